"""The limited-content message left for a taxpayer (12 CFR 1006.2(j)): a name, a request to call back, numbers.

A third party may hear a taxpayer's voicemail or pick up the phone, so the message holds only the office's name,
a person's name, a request to call back and the callback numbers — no case number, no tax words. The wording is
configurable (ACS_VOICEMAIL_TEXT, ACS_VOICEMAIL_OFFICE, ACS_VOICEMAIL_PERSON) and checked when it is read: a
wording that would disclose anything is refused in one line, never spoken.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_OFFICE = "the A C S office"
DEFAULT_PERSON = "Jordan Lee"
DEFAULT_TEXT = (
    "Hello, this is {person} from {office}. Please call us back at {numbers}. "
    "Again, please call {person} at {numbers}. Thank you."
)
PLACEHOLDERS = frozenset({"office", "person", "numbers"})
#: Words that would tell a third party what the call is about.
FORBIDDEN = (
    r"tax\w*", r"irs", r"i r s", r"internal revenue", r"revenue", r"treasury", r"collect\w*", r"debt\w*", r"owe\w*",
    r"balance\w*", r"lev(?:y|ies)", r"liens?", r"payments?", r"penalt\w*", r"refunds?", r"audit\w*", r"cases?",
    r"accounts?", r"crn", r"reference number", r"social security", r"ssn", r"ein", r"delinquen\w*", r"garnish\w*",
)  # fmt: skip
_FORBIDDEN = re.compile(r"\b(?:" + "|".join(FORBIDDEN) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class LimitedContent:
    office: str = DEFAULT_OFFICE
    person: str = DEFAULT_PERSON
    text: str = DEFAULT_TEXT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LimitedContent:
        """Read and check the wording; ValueError (one line) when it could disclose anything."""
        wording = cls(
            env.get("ACS_VOICEMAIL_OFFICE") or DEFAULT_OFFICE,
            env.get("ACS_VOICEMAIL_PERSON") or DEFAULT_PERSON,
            env.get("ACS_VOICEMAIL_TEXT") or DEFAULT_TEXT,
        )
        wording.check()
        return wording

    def check(self) -> None:
        fields = {name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None}
        unknown = fields - PLACEHOLDERS
        if unknown:
            allowed = "{office}, {person}, {numbers}"
            raise ValueError(f"ACS_VOICEMAIL_TEXT may use only {allowed}, not {sorted(unknown)}")
        if "numbers" not in fields:
            raise ValueError("ACS_VOICEMAIL_TEXT must give the callback {numbers}")
        for name, value in (("ACS_VOICEMAIL_TEXT", self.text), ("ACS_VOICEMAIL_OFFICE", self.office),
                            ("ACS_VOICEMAIL_PERSON", self.person)):  # fmt: skip
            found = disclosure(value)
            if found:
                raise ValueError(f"{name} must not say {found!r}: a limited-content message holds no tax words")
            if re.search(r"\d", value.replace("{numbers}", "")):
                raise ValueError(f"{name} must not contain digits (a case or reference number)")

    def render(self, spoken_numbers: Sequence[str]) -> str:
        return self.text.format(office=self.office, person=self.person, numbers=" or ".join(spoken_numbers))


def disclosure(text: str) -> str | None:
    """The first word in `text` that would disclose the call's purpose, or None."""
    match = _FORBIDDEN.search(text)
    return match.group(0) if match else None
