"""Taxpayer identification numbers (SSN and EIN): parsing, matching and masking.

The rules live in python-stdnum; this module only decides which of the two a string is and how it is shown.
A TIN is never logged or spoken: `mask()` is the only way one leaves this module for display.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

from stdnum.exceptions import ValidationError
from stdnum.us import ein, ssn

TinKind = Literal["SSN", "EIN"]


class InvalidTin(ValueError):
    """Raised for a TIN that is neither a valid SSN nor a valid EIN; the message never repeats the digits."""


@dataclass(frozen=True)
class Tin:
    kind: TinKind
    digits: str

    def __str__(self) -> str:  # pragma: no cover - guard against accidental formatting
        return self.masked

    def __repr__(self) -> str:
        return f"Tin({self.kind}, {self.masked})"

    @property
    def formatted(self) -> str:
        """Full number in its printed form; only for storage and explicit, audited reveals."""
        return ssn.format(self.digits) if self.kind == "SSN" else ein.format(self.digits)

    @property
    def masked(self) -> str:
        return mask_digits(self.kind, self.digits)


def mask_digits(kind: TinKind, digits: str) -> str:
    last4 = digits[-4:]
    return f"***-**-{last4}" if kind == "SSN" else f"**-***{last4}"


# Nine digits, bare or split 3-2-4 / 2-7 by dashes, dots or spaces, not inside a longer run of digits.
_TIN_SHAPED = re.compile(r"(?<![\d-])(\d{3}[-. ]?\d{2}[-. ]?\d{4}|\d{2}[-. ]\d{7})(?![\d-])")


def redact(text: str) -> str:
    """Mask anything shaped like an SSN/EIN in free text (an error message echoing a value from a wrong column)."""
    return _TIN_SHAPED.sub(lambda m: "***-**-" + m.group(0)[-4:], text)


def parse_tin(text: str) -> Tin:
    """Read a TIN as written in a file: `123-45-6789` is an SSN, `12-3456789` an EIN, bare digits either."""
    raw = (text or "").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) != 9 or any(ch not in "0123456789- " for ch in raw):
        raise InvalidTin("not a 9-digit SSN or EIN")
    if _is_ein_layout(raw):
        return _checked("EIN", digits)
    if _is_ssn_layout(raw):
        return _checked("SSN", digits)
    if "-" in raw:  # hyphens decide the kind, so misplaced ones (`12-34-56789`) must not be guessed at
        raise InvalidTin("hyphens misplaced: write an SSN as ###-##-#### and an EIN as ##-#######")
    return parse_keyed_tin(digits)


def parse_keyed_tin(digits: str) -> Tin:
    """Read 9 digits keyed on a phone, where the layout is unknown: SSN first, then EIN."""
    if len(digits) != 9 or not digits.isdigit():
        raise InvalidTin("not a 9-digit SSN or EIN")
    if ssn.is_valid(digits):
        return Tin("SSN", digits)
    if ein.is_valid(digits):
        return Tin("EIN", digits)
    raise InvalidTin("not a valid SSN or EIN")


def keyed_candidates(digits: str) -> list[Tin]:
    """Every reading of keyed digits: nine digits can be both a valid SSN and a valid EIN."""
    candidates = []
    if len(digits) == 9 and digits.isdigit():
        if ssn.is_valid(digits):
            candidates.append(Tin("SSN", digits))
        if ein.is_valid(digits):
            candidates.append(Tin("EIN", digits))
    return candidates


def _is_ssn_layout(raw: str) -> bool:
    return len(raw) == 11 and raw[3] == "-" and raw[6] == "-"


def _is_ein_layout(raw: str) -> bool:
    return len(raw) == 10 and raw[2] == "-"


def _checked(kind: TinKind, digits: str) -> Tin:
    if kind == "EIN":
        if not _ein_prefix_valid(digits[:2]):
            raise InvalidTin("not a valid EIN")
        return Tin(kind, digits)
    try:
        ssn.validate(digits)
    except ValidationError:
        raise InvalidTin(f"not a valid {kind}") from None
    return Tin(kind, digits)


@functools.cache
def _ein_prefix_valid(prefix: str) -> bool:
    """stdnum judges an EIN by its campus prefix alone (a database lookup): ask once per prefix, not per row."""
    return ein.is_valid(prefix + "0000001")
