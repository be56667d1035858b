"""Taxpayer identification numbers (SSN and EIN): parsing, matching and masking.

The rules live in python-stdnum; this module only decides which of the two a string is and how it is shown.
A TIN is never logged or spoken: `mask()` is the only way one leaves this module for display.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
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


def _separator_class() -> str:
    """Characters people put between the digits of a number: every Unicode dash, the minus sign, slashes,
    dots, underscores and whitespace."""
    dashes = "".join(chr(c) for c in range(0x2D, 0x10EAE) if unicodedata.category(chr(c)) == "Pd")
    others = "\u2212\u2043\u2027\u00b7/\u2044\u2215\uff0f.\u2024\uff0e_"
    return "[" + re.escape(dashes + others) + r"\s]"


# A run: groups of digits joined by 1-3 separator characters (`015 – 14 – 6380` counts as one run).
_RUN = re.compile(rf"\d+(?:{_separator_class()}{{1,3}}\d+)*")
_GROUP = re.compile(r"\d+")
# A UUID (8-4-4-4-12 hex digits, at least one a-f letter so nine typed digits never pass for one): an id.
_UUID = re.compile(
    r"(?<![0-9A-Za-z])(?=[0-9-]*[A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"(?![0-9A-Za-z])"
)
_OPAQUE_TOKEN = 16  # a digit group inside an alphanumeric token this long is an id (CallSid, digest), not a TIN
_MASK = "***-**-"
TIN_DIGITS = 9


def redact(text: str) -> str:
    """Mask every SSN/EIN-shaped number in free text: nine digits with any separators (or none) between them.

    The one redaction used for notes, messages, logs, audit entries and CLI output. Within a run of digit groups
    joined by separators, any consecutive whole groups holding exactly nine digits become `***-**-` + their last
    four. So `015–14–6380`, `015/14/6380`, `0 1 5 1 4 6 3 8 0`, `015-14-6380-ok` and a CAF-shaped `0151-46380`
    are masked, while a CRN (ten digits), a phone number (`202-555-0123`, `+12025550123`), a date, an amount
    (`$1,234,567.89`), an IPv4 address and an opaque id (a CallSid, a UUID such as an RQ job id) are left
    readable. A single unbroken run of ten or more digits is never masked: it is a CRN or a phone number, not a TIN.
    """
    if sum(map(str.isdigit, text)) < TIN_DIGITS:  # the common case: nothing that could be one
        return text
    if "-" in text and _UUID.search(text):  # an RQ job id, a request id: keep it whole, mask around it
        pieces, done = [], 0
        for found in _UUID.finditer(text):
            pieces += [_redact_run(text[done : found.start()]), found.group(0)]
            done = found.end()
        return "".join(pieces) + _redact_run(text[done:])
    return _redact_run(text)


def _redact_run(text: str) -> str:
    out: list[str] = []
    done = 0
    for run in _RUN.finditer(text):
        spans = _tin_spans(text, run)
        for start, end in spans:
            digits = [ch for ch in text[start:end] if ch.isdigit()]
            out.append(text[done:start] + _MASK + "".join(digits[-4:]))
            done = end
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _tin_spans(text: str, run: re.Match) -> list[tuple[int, int]]:
    """Spans to mask in `run`: each stretch of whole digit groups covered by windows of exactly nine digits."""
    groups = [(m.start() + run.start(), m.end() + run.start()) for m in _GROUP.finditer(run.group(0))]
    if len(groups) == 1 and groups[0][1] - groups[0][0] != TIN_DIGITS:
        return []
    if _left_is_opaque(text, groups[0]):
        groups = groups[1:]
    if groups and _right_is_opaque(text, groups[-1]):
        groups = groups[:-1]
    if not groups or _is_exempt(text, run):
        return []
    # Mark every group inside some nine-digit window, then mask each stretch of marked groups as one: taking
    # windows greedily from the left could mask `12345 0151` and print the TIN that follows it.
    barrier = _date_groups(text, groups)
    marked = [False] * len(groups)
    for i in range(len(groups)):
        total, j = 0, i
        while j < len(groups) and total < TIN_DIGITS and not barrier[j]:
            total += groups[j][1] - groups[j][0]
            j += 1
        if total == TIN_DIGITS:
            marked[i:j] = [True] * (j - i)
    spans: list[tuple[int, int]] = []
    previous = False
    for (start, end), is_marked in zip(groups, marked, strict=True):
        if is_marked and previous:
            spans[-1] = (spans[-1][0], end)
        elif is_marked:
            spans.append((start, end))
        previous = is_marked
    return spans


def _date_groups(text: str, groups: list[tuple[int, int]]) -> list[bool]:
    """Flag the groups that form a date (`2026-11-25`, `11/25/2026`): a time after one is not part of a TIN."""
    flags = [False] * len(groups)
    for i in range(len(groups) - 2):
        parts = [text[a:b] for a, b in groups[i : i + 3]]
        seps = {text[groups[i][1] : groups[i + 1][0]], text[groups[i + 1][1] : groups[i + 2][0]]}
        if len(seps) != 1 or seps.pop() not in ("-", "/", "."):
            continue
        if len(parts[0]) == 4:
            year, month, day = parts
        elif len(parts[2]) == 4:
            month, day, year = parts
        else:
            continue
        a, b = sorted((int(month), int(day))) if len(month) <= 2 and len(day) <= 2 else (0, 0)
        if 1900 <= int(year) <= 2099 and 1 <= a <= 12 and b <= 31:  # either order: 11/25/2026 or 25.11.2026
            flags[i : i + 3] = [True] * 3
    return flags


def _alnum_before(text: str, index: int) -> int:
    count = 0
    while count < _OPAQUE_TOKEN and index - count > 0 and text[index - count - 1].isalnum():
        count += 1
    return count


def _alnum_after(text: str, index: int) -> int:
    count = 0
    while count < _OPAQUE_TOKEN and index + count < len(text) and text[index + count].isalnum():
        count += 1
    return count


def _left_is_opaque(text: str, group: tuple[int, int]) -> bool:
    """The group ends a mask already written (`***-**-6380`) or sits inside a long id like a CallSid."""
    start, end = group
    if text[max(start - 2, 0) : start] == "*-":
        return True
    return _alnum_before(text, start) + (end - start) + _alnum_after(text, end) >= _OPAQUE_TOKEN


def _right_is_opaque(text: str, group: tuple[int, int]) -> bool:
    start, end = group
    return _alnum_before(text, start) + (end - start) + _alnum_after(text, end) >= _OPAQUE_TOKEN


def _is_exempt(text: str, run: re.Match) -> bool:
    """An amount after a currency sign (`$123456789.00`) or an IPv4 address (`192.168.100.200`)."""
    body = run.group(0)
    if run.start() > 0 and unicodedata.category(text[run.start() - 1]) == "Sc" and _AMOUNT.fullmatch(body):
        return True
    if _IPV4.fullmatch(body):
        try:
            ipaddress.IPv4Address(body)
            return True
        except ValueError:
            return False
    return False


_AMOUNT = re.compile(r"(?:[1-9]\d*|0)(?:\.\d{1,2})?")  # `$015146380` is not an amount
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


_SSN_PRINTED = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}")
_EIN_PRINTED = re.compile(r"[0-9]{2}-[0-9]{7}")


@functools.lru_cache(maxsize=1 << 14)
def parse_tin(text: str) -> Tin:
    """Read a TIN as written in a file: `123-45-6789` is an SSN, `12-3456789` an EIN, bare digits either.

    Cached (a Tin is immutable; an invalid one raises, which is not cached): an import reads each taxpayer's
    number once per case, and python-stdnum's SSN check is ~5 µs.
    """
    raw = (text or "").strip()
    if _SSN_PRINTED.fullmatch(raw):  # the common layouts, without the general checks below
        return _checked("SSN", raw[:3] + raw[4:6] + raw[7:])
    if _EIN_PRINTED.fullmatch(raw):
        return _checked("EIN", raw[:2] + raw[3:])
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
