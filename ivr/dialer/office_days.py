"""Office days and holidays: the dialer calls only on office days that are not US federal holidays or closed dates.

A date is judged in the callee's local time, in every zone the number may ring in, so nobody is called on the 4th
of July wherever they are. Federal holidays come from the `holidays` package (observed days included).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def federal_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("US", years=[year], observed=True))


@dataclass(frozen=True)
class OfficeCalendar:
    office_days: frozenset[int] = frozenset(range(5))  # Monday=0 … Friday=4
    closed_dates: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, office_days: str | None, closed_dates: str | None) -> OfficeCalendar:
        """Read ACS_OFFICE_DAYS (`mon,tue,…` or `mon-fri`) and ACS_CLOSED_DATES (`YYYY-MM-DD,…`)."""
        return cls(parse_days(office_days) if office_days else cls.office_days, parse_dates(closed_dates or ""))

    def why_closed(self, day: date) -> str | None:
        """None on an open day, else why the office does not dial that day."""
        if day.weekday() not in self.office_days:
            return f"{day:%A} is not an office day"
        holiday = federal_holidays(day.year).get(day)
        if holiday:
            return f"{day:%Y-%m-%d} is a federal holiday ({holiday})"
        if day in self.closed_dates:
            return f"{day:%Y-%m-%d} is a closed date (ACS_CLOSED_DATES)"
        return None

    def is_open(self, local: datetime) -> bool:
        return self.why_closed(local.date()) is None


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon,wed,fri` or `tuesdays`… → weekday numbers (Monday=0); ValueError with the bad part."""
    days: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if "-" in part:
            first, last = (_day(p) for p in part.split("-", 1))
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
        else:
            days.add(_day(part))
    if not days:
        raise ValueError(f"no days in {text!r}")
    return frozenset(days)


def _day(text: str) -> int:
    key = text.strip().lower()[:3]
    if key not in WEEKDAYS:
        raise ValueError(f"{text!r} is not a day of the week (mon, tue, …)")
    return WEEKDAYS.index(key)


def parse_dates(text: str) -> frozenset[date]:
    found = set()
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                found.add(date.fromisoformat(part))
            except ValueError:
                raise ValueError(f"ACS_CLOSED_DATES: {part!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(found)


def weekday_names(days: Iterable[int]) -> str:
    return ", ".join(f"{WEEKDAYS[d].title()}" for d in sorted(days))
