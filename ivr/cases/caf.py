"""CAF numbers (Centralized Authorization File) as printed on Form 2848: `0401-23456R`."""

from __future__ import annotations

import re

_CAF = re.compile(r"([0-9]{4})-?([0-9]{5})(R?)")  # ASCII digits only (\d also takes "٠٤٠١"), fullmatch


class InvalidCaf(ValueError):
    pass


def normalize_caf(text: str) -> str:
    """Return the one stored form (hyphen after the fourth digit, upper-case R), accepting it with or without."""
    match = _CAF.fullmatch((text or "").strip().upper())
    if not match:
        raise InvalidCaf("CAF must be nine digits, hyphen after the fourth optional, optional R suffix")
    return f"{match[1]}-{match[2]}{match[3]}"
