"""Finding the first instant a local-time condition holds in every time zone a number may ring in.

The rules about time (calling window, office days, stated inconvenient times) are each true on a union of
local-time intervals that open at known times of day (08:00, midnight, "not before noon"). The first allowed
instant at or after `t` is therefore `t` itself or one of those openings in one of the zones: checking the
openings in order gives the exact answer, not an approximation on a grid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

#: How far ahead a rule looks before it says "never" (a calendar year and a little).
HORIZON_DAYS = 400


def aware(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def first_opening(
    zones: Sequence[ZoneInfo],
    t: float,
    openings: Iterable[time],
    allowed: Callable[[datetime], bool],
    horizon_days: int = HORIZON_DAYS,
) -> float | None:
    """The first instant ≥ t where `allowed` holds: t itself or a local opening time in one of `zones`."""
    when = aware(t)
    if allowed(when):
        return t
    times = sorted(set(openings) | {time(0, 0)})
    first_dates = {zone: when.astimezone(zone).date() for zone in zones}

    def midnight(zone: ZoneInfo, day: int) -> datetime:
        return datetime.combine(first_dates[zone] + timedelta(days=day), time(0, 0), tzinfo=zone).astimezone(UTC)

    # Chunks of days, checked in time order. Zones' days overlap, so a chunk is complete only up to the earliest
    # local midnight that ends it; candidates from the day before the chunk may still fall inside it.
    checked_until = when
    for lo, hi in ((0, 3), (3, 14), (14, 60), (60, horizon_days)):
        limit = min(midnight(zone, hi) for zone in zones)
        candidates = sorted(
            candidate
            for zone in zones
            for day in range(max(lo - 1, 0), hi + 1)
            for at in times
            if checked_until < (candidate := _instant(first_dates[zone] + timedelta(days=day), at, zone)) < limit
        )
        for candidate in candidates:
            if allowed(candidate):
                return candidate.timestamp()
        checked_until = max(checked_until, limit - timedelta(microseconds=1))
    return None


def _instant(date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local date and time (a time skipped by a DST change is normalised forward)."""
    return datetime.combine(date, at, tzinfo=zone).astimezone(UTC)
