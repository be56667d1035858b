"""When a callee may be called: 08:00–21:00 in their local time, derived from the phone number.

A number whose prefix spans several time zones (parts of Alaska, Florida, Indiana, …) must be inside the window
in every one of them. Numbers without a known zone fall back to their country's zones; a US number with nothing
known is held to the continental extremes plus Hawaii, so it is never called at night anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezones

FALLBACK_ZONES = ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu")
#: NANP territories whose numbers phonenumbers sometimes cannot place: their region still fixes the zone
#: (the continental fallback would let the dialer ring American Samoa or Guam in the middle of the night).
TERRITORY_ZONES = {
    "AS": "Pacific/Pago_Pago",
    "GU": "Pacific/Guam",
    "MP": "Pacific/Saipan",
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
}


@dataclass(frozen=True)
class CallingWindow:
    start: time = time(8, 0)
    end: time = time(21, 0)

    @classmethod
    def parse(cls, text: str | None) -> CallingWindow:
        """Read `HH:MM-HH:MM` (ACS_CALL_WINDOW); empty gives 08:00-21:00."""
        if not text:
            return cls()
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise ValueError(f"ACS_CALL_WINDOW must look like 08:00-21:00, not {text!r}") from None
        if not start < end:
            raise ValueError(f"ACS_CALL_WINDOW must start before it ends: {text!r}")
        return cls(start, end)

    def allows(self, e164: str, when: datetime) -> bool:
        """True when `when` (aware) is inside the window in every zone the number may be in."""
        return all(self._inside(when.astimezone(zone)) for zone in zones_for(e164))

    def next_allowed(self, e164: str, when: datetime) -> datetime:
        """The earliest moment at or after `when` that `allows` the call (`when` itself if already allowed)."""
        if self.allows(e164, when):
            return when
        # The allowed set is an intersection of daily windows, so it opens at one of the zones' window starts.
        candidates = []
        for zone in zones_for(e164):
            local = when.astimezone(zone)
            for days in range(0, 3):
                day = local.date() + timedelta(days=days)
                start = datetime.combine(day, self.start, tzinfo=zone)
                if start >= when:
                    candidates.append(start)
        for candidate in sorted(candidates):
            if self.allows(e164, candidate):
                return candidate.astimezone(when.tzinfo)
        raise ValueError("no common calling window for this number's time zones")

    def _inside(self, local: datetime) -> bool:
        return self.start <= local.time().replace(tzinfo=None) < self.end


@lru_cache(maxsize=4096)
def zones_for(e164: str) -> tuple[ZoneInfo, ...]:
    """Every time zone the number may ring in."""
    try:
        number = phonenumbers.parse(e164, "US")
    except phonenumbers.NumberParseException:
        return tuple(ZoneInfo(name) for name in FALLBACK_ZONES)
    names = [n for n in phone_timezones.time_zones_for_number(number) if n != phone_timezones.UNKNOWN_TIMEZONE]
    # The region only matters for a number without exactly one zone: looked up (a third pass over the region's
    # patterns) only then. Every number the dialer calls is a miss of the cache above, once.
    if (not names or len(names) > 1) and (region := phonenumbers.region_code_for_number(number)) in TERRITORY_ZONES:
        names = [TERRITORY_ZONES[region]]
    if not names:
        names = [
            n
            for n in phone_timezones._country_level_time_zones_for_number(number)
            if n != phone_timezones.UNKNOWN_TIMEZONE
        ]
    if not names or len(names) > 3 and number.country_code == 1:
        names = list(FALLBACK_ZONES)
    return tuple(ZoneInfo(name) for name in sorted(set(names)))
