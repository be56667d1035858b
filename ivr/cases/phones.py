"""Phone numbers in E.164, read with phonenumbers (US by default, as the office's data is)."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def normalize_phone(text: str, region: str = "US") -> str:
    """Return E.164 for a dialable number, or raise InvalidPhone."""
    try:
        number = phonenumbers.parse((text or "").strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(f"unparseable phone number {text!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """Show a caller's number with only the last four digits, for queue views."""
    return f"•••{e164[-4:]}" if len(e164) >= 4 else "•••"
