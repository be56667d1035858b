"""One CSV row of an import, read and checked: the columns, the per-row parsers and how a bad row is reported.

Pure rules (no Redis): the importer streams rows through these and keeps only what it needs to write them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from ivr.cases.caf import InvalidCaf, normalize_caf
from ivr.cases.models import CASE_ID_RULE, CaseType, Practitioner, is_case_id
from ivr.cases.periods import InvalidPeriod, parse_periods
from ivr.cases.phones import InvalidPhone, normalize_phone
from ivr.cases.poa import FORMS, Authorization
from ivr.cases.sealing import TinSeal, current_seal
from ivr.cases.tin import InvalidTin, Tin, parse_tin, redact

CASE_COLUMNS = ("case_id", "case_type", "tin", "taxpayer_name", "taxpayer_phone", "periods", "balance")
PRACTITIONER_COLUMNS = ("caf", "name", "firm", "phone")
AUTHORIZATION_COLUMNS = ("caf", "tin", "form", "periods", "received", "revoked")
COLUMNS = {"cases": CASE_COLUMNS, "practitioners": PRACTITIONER_COLUMNS, "authorizations": AUTHORIZATION_COLUMNS}
KINDS = tuple(COLUMNS)

MAX_BALANCE = Decimal(10) ** 12
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# C0 and C1 controls, DEL and NUL: they corrupt terminals, logs and the importer's own record separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
ROW_ERRORS = (InvalidTin, InvalidCaf, InvalidPeriod, InvalidPhone, ValueError)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __post_init__(self) -> None:
        # Every message quotes what the row held (a CAF, a phone, a duplicate key): a TIN in the wrong column
        # must not be echoed, whichever message carries it.
        object.__setattr__(self, "message", redact(self.message))

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class AuthorizationRow:
    authorization: Authorization
    tin: Tin
    authorization_id: str  # keyed digest of (CAF, TIN, form, received): stable across re-imports, not reversible


def _required(row: dict[str, str], column: str) -> str:
    if not row[column]:
        raise ValueError(f"{column} is empty")
    return row[column]


def check_case_row(
    row: dict[str, str],
) -> tuple[str, CaseType, Tin, str, str, tuple[str, ...], Decimal | None]:
    """A case row's values in Case's field order, checked (an import checks millions: no Case built)."""
    case_id = _required(row, "case_id")
    if not is_case_id(case_id):
        raise ValueError(f"case_id {redact(case_id)!r} must be {CASE_ID_RULE}")
    if redact(case_id) != case_id:
        # A case id travels in URLs, key names and logs; one shaped like an SSN/EIN would leak it there.
        raise ValueError(f"case_id {redact(case_id)!r} is shaped like an SSN/EIN; use the office's case number")
    case_type = _CASE_TYPES.get(row["case_type"].upper())
    if case_type is None:
        raise ValueError(f"unknown case_type {row['case_type']!r}; expected BAL_DUE or NON_FILER")
    tin = parse_tin(_required(row, "tin"))
    balance = _parse_balance(row["balance"], case_type)
    return (
        case_id,
        case_type,
        tin,
        _text(row, "taxpayer_name"),
        normalize_phone(_required(row, "taxpayer_phone")),
        parse_periods(row["periods"]),
        balance,
    )


_CASE_TYPES = {member.value: member for member in CaseType}


def _parse_balance(text: str, case_type: CaseType) -> Decimal | None:
    if case_type is CaseType.NON_FILER:
        if text:
            raise ValueError("balance must be empty for a NON_FILER case")
        return None
    if not text:
        raise ValueError("balance is required for a BAL_DUE case")
    try:
        balance = Decimal(text.replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise ValueError(f"balance {text!r} is not an amount in dollars") from None
    if not balance.is_finite() or balance < 0 or balance.as_tuple().exponent < -2:
        raise ValueError(f"balance {text!r} must be a non-negative amount with at most two decimals")
    if balance >= MAX_BALANCE:  # also keeps `1e999999999` from being written out as a billion digits
        raise ValueError(f"balance {text!r} is too large (at most {MAX_BALANCE - 1:,} dollars)")
    return balance


def parse_practitioner_row(row: dict[str, str]) -> Practitioner:
    return Practitioner(
        caf=normalize_caf(row["caf"]),
        name=_text(row, "name"),
        firm=_text(row, "firm", required=False),
        phone=normalize_phone(_required(row, "phone")),
    )


def parse_authorization_row(row: dict[str, str], seal: TinSeal | None = None) -> AuthorizationRow:
    seal = seal or current_seal()
    caf = normalize_caf(row["caf"])
    tin = parse_tin(_required(row, "tin"))
    form = row["form"]
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; expected 2848 or 8821")
    received = _parse_date(row["received"], "received")
    revoked = _parse_date(row["revoked"], "revoked") if row["revoked"] else None
    if revoked and revoked < received:
        raise ValueError("revoked date is before the received date")
    authorization = Authorization(
        caf=caf,
        tin_ref=seal.ref(tin.digits),
        form=form,
        periods=frozenset(parse_periods(row["periods"])),
        received=received,
        revoked=revoked,
    )
    seed = f"{caf}|{tin.digits}|{form}|{received.isoformat()}"
    return AuthorizationRow(authorization, tin, seal.authorization_id(seed))


def _parse_date(text: str, column: str) -> date:
    if not _ISO_DATE.match(text):
        raise ValueError(f"{column} date {text!r} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} date {text!r} is not YYYY-MM-DD") from None


def format_errors(errors: Iterable[RowError]) -> str:
    return "\n".join(str(error) for error in errors)


def _text(row: dict[str, str], column: str, required: bool = True) -> str:
    """A free-text column (a name): required unless told, and free of control characters such as NUL."""
    value = _required(row, column) if required else row[column]
    if _CONTROL.search(value):
        raise ValueError(f"{column} contains a control character (NUL, tab, escape, …); remove it")
    return value
