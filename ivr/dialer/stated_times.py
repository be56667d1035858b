"""Times a person said are inconvenient ("not before noon", "never on Tuesdays"), recorded on the case and obeyed.

12 CFR 1006.6(b)(1)(i): a collector may not call at a time it knows is inconvenient to the consumer. The phrases an
employee types are parsed into three plain limits, judged in the callee's local time like the calling window.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time

from ivr.dialer.office_days import WEEKDAYS, weekday_names

_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_NAMED = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


@dataclass(frozen=True)
class StatedTimes:
    not_before: time | None = None
    not_after: time | None = None
    never_days: frozenset[int] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return self.not_before is not None or self.not_after is not None or bool(self.never_days)

    def why_not(self, local: datetime) -> str | None:
        """None when a call at this local time respects what the person said, else which statement it breaks."""
        clock = local.time().replace(tzinfo=None)
        if local.weekday() in self.never_days:
            return f"never on {local:%A}s"
        if self.not_before is not None and clock < self.not_before:
            return f"not before {self.not_before:%H:%M}"
        if self.not_after is not None and clock >= self.not_after:
            return f"not after {self.not_after:%H:%M}"
        return None

    def openings(self) -> list[time]:
        return [self.not_before] if self.not_before is not None else []

    def describe(self) -> str:
        parts = []
        if self.not_before is not None:
            parts.append(f"not before {self.not_before:%H:%M}")
        if self.not_after is not None:
            parts.append(f"not after {self.not_after:%H:%M}")
        if self.never_days:
            parts.append(f"never on {weekday_names(self.never_days)}")
        return "; ".join(parts) or "none stated"

    def to_json(self) -> str:
        return json.dumps(
            {
                "not_before": self.not_before.strftime("%H:%M") if self.not_before else None,
                "not_after": self.not_after.strftime("%H:%M") if self.not_after else None,
                "never_days": sorted(self.never_days),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> StatedTimes:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            time.fromisoformat(data["not_before"]) if data.get("not_before") else None,
            time.fromisoformat(data["not_after"]) if data.get("not_after") else None,
            frozenset(int(d) for d in data.get("never_days") or ()),
        )


def parse(text: str) -> StatedTimes:
    """Read `not before noon; not after 6pm; never on Tuesdays` (`;` or `,` between statements); ValueError."""
    not_before = not_after = None
    never: set[int] = set()
    for raw in re.split(r"[;,\n]", text or ""):
        phrase = " ".join(raw.lower().split())
        if not phrase:
            continue
        if phrase.startswith("not before "):
            not_before = parse_time(phrase.removeprefix("not before "))
        elif phrase.startswith("not after "):
            not_after = parse_time(phrase.removeprefix("not after "))
        elif match := re.match(r"^(?:never|not|no calls) on (.+)$", phrase):
            never |= _days(match.group(1))
        else:
            raise ValueError(
                f"cannot read {raw.strip()!r}: write 'not before 12:00', 'not after 6pm' or 'never on Tuesdays'"
            )
    if not_before is not None and not_after is not None and not not_before < not_after:
        raise ValueError("'not before' must be earlier than 'not after'")
    if len(never) == 7:
        raise ValueError("that rules out every day: record a stop-calling request instead")
    return StatedTimes(not_before, not_after, frozenset(never))


def parse_time(text: str) -> time:
    text = text.strip().rstrip(".")
    if text in _NAMED:
        return _NAMED[text]
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a time of day (e.g. 9am, 12:30, noon)")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = (match.group(3) or "").replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"{text!r} is not a time of day")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"{text!r} is not a time of day")
    return time(hour, minute)


def _days(text: str) -> set[int]:
    days: set[int] = set()
    for word in re.split(r"\s*(?:\band\b|/|&|\s)\s*", text):
        word = word.strip().rstrip("s") if word not in ("weekends", "weekend") else "weekend"
        if not word:
            continue
        if word == "weekend":
            days |= {5, 6}
        elif word[:3] in WEEKDAYS:
            days.add(WEEKDAYS.index(word[:3]))
        else:
            raise ValueError(f"{word!r} is not a day of the week")
    return days
