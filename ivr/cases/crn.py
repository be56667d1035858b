"""Case Reference Numbers: the only identifier ever spoken to a caller.

Ten digits: nine random digits from `secrets` (first one non-zero, so it survives being read as a number) and a
Luhn check digit, so a mistyped digit is caught before any lookup. Random, so nothing about the taxpayer or the
case can be derived from it. Issuing, reuse and collision handling live in the store.
"""

from __future__ import annotations

import secrets

from stdnum import luhn

CRN_LENGTH = 10


def new_crn() -> str:
    # One draw, uniform over the bodies whose first digit is non-zero (as nine draws of a digit each would be).
    first = 10 ** (CRN_LENGTH - 2)
    body = str(first + secrets.randbelow(9 * first))
    return body + luhn.calc_check_digit(body)


def is_well_formed(text: str) -> bool:
    """True for ten digits with a correct check digit."""
    return len(text) == CRN_LENGTH and text.isdigit() and text[0] != "0" and luhn.is_valid(text)


def clean_crn(text: str) -> str:
    """Strip the spaces and dashes people type when copying a CRN."""
    return "".join(ch for ch in (text or "") if ch not in " -\t")


def spoken(crn: str) -> str:
    """Digit-by-digit text for Say, grouped 3-3-4 with pauses, e.g. `4 0 1, 2 3 4, 5 6 7 8`."""
    groups = (crn[:3], crn[3:6], crn[6:])
    return ", ".join(" ".join(group) for group in groups)
