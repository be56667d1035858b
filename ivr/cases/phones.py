"""Phone numbers in E.164, read with phonenumbers (US by default, as the office's data is)."""

from __future__ import annotations

import re

import phonenumbers


class InvalidPhone(ValueError):
    pass


# The common shapes of a US number in an office file; anything else takes phonenumbers' full parser.
_US_SHAPED = re.compile(r"(?:\+?1[-. ]?)?\(?([2-9][0-9]{2})\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})")
_US_METADATA = phonenumbers.PhoneMetadata.metadata_for_region("US")
# Geographic and mobile numbers: phonenumbers' own US patterns, matched directly (an import checks millions).
_US_VALID = re.compile(
    f"(?:{_US_METADATA.fixed_line.national_number_pattern})|(?:{_US_METADATA.mobile.national_number_pattern})"
)


def normalize_phone(text: str, region: str = "US") -> str:
    """Return E.164 for a dialable number, or raise InvalidPhone (an extension is refused, never dropped)."""
    raw = (text or "").strip()
    if region == "US":
        shaped = _US_SHAPED.fullmatch(raw)
        if shaped and _US_VALID.fullmatch(national := "".join(shaped.groups())):
            return "+1" + national
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"unparseable phone number {text!r}") from None
    if number.extension:
        raise InvalidPhone(f"phone number {text!r} has an extension, which the dialer cannot dial; give the line alone")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Show a caller's number with only the last four digits, for queue views."""
    return f"•••{e164[-4:]}" if len(e164) >= 4 else "•••"
