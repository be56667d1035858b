"""Tax matters written `FORM:PERIOD`, e.g. `1040:2004`, `941:2005Q3`, `720:200612`."""

from __future__ import annotations

import functools
import re

_ANNUAL_FORMS = {
    "1040", "1040A", "1040EZ", "1040NR", "1040SR", "1041", "1065", "1120", "1120S", "1120F", "940", "943", "944",
    "945", "990", "990T", "1042", "706", "709", "CT-1",
}  # fmt: skip
_QUARTERLY_FORMS = {"941", "720"}
#: Forms the office handles; a file naming another (`9999:2020`) has a typo, not a new kind of tax.
KNOWN_FORMS = _ANNUAL_FORMS | _QUARTERLY_FORMS | {"2290", "11C", "730"}
# ASCII digits only and fullmatch: \d also takes "١٠٤٠", and `$` lets "1040\n" through.
_FORM = re.compile(r"[0-9]{3,4}[A-Z]{0,2}|CT-1")
_PERIOD = re.compile(r"([0-9]{4})(?:Q([1-4])|(0[1-9]|1[0-2]))?")


class InvalidPeriod(ValueError):
    pass


def normalize_tax_period(text: str) -> str:
    """Validate one `FORM:PERIOD` and return it upper-cased; quarterly forms need a quarter, annual a year."""
    form, sep, period = (text or "").strip().upper().partition(":")
    if not sep or not _FORM.fullmatch(form):
        raise InvalidPeriod(f"bad tax period {text!r}: expected FORM:PERIOD such as 1040:2004 or 941:2005Q3")
    if form not in KNOWN_FORMS:
        known = ", ".join(sorted(KNOWN_FORMS))
        raise InvalidPeriod(f"bad tax period {text!r}: unknown form {form} (expected one of {known})")
    match = _PERIOD.fullmatch(period)
    if not match or not 1900 <= int(match[1]) <= 2100:
        raise InvalidPeriod(f"bad tax period {text!r}: period must be YYYY, YYYYQn or YYYYMM")
    is_quarter = match[2] is not None
    is_plain_year = match[2] is None and match[3] is None
    if form in _QUARTERLY_FORMS and not is_quarter:
        raise InvalidPeriod(f"bad tax period {text!r}: form {form} is filed quarterly (e.g. {form}:2005Q3)")
    if form in _ANNUAL_FORMS and not is_plain_year:
        raise InvalidPeriod(f"bad tax period {text!r}: form {form} is filed yearly (e.g. {form}:2004)")
    return f"{form}:{period}"


@functools.lru_cache(maxsize=4096)
def parse_periods(text: str) -> tuple[str, ...]:
    """Parse a `;`-separated list; empty entries are errors, duplicates are folded, order kept."""
    items = [part.strip() for part in (text or "").split(";")]
    if not any(items):
        raise InvalidPeriod("no tax periods given")
    seen: dict[str, None] = {}
    for item in items:
        if not item:
            raise InvalidPeriod("empty entry in the tax period list")
        seen[normalize_tax_period(item)] = None
    return tuple(seen)
