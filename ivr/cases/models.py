"""Plain records shared by the store, the importer and the views (no Redis, no Flask)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ivr.cases.tin import Tin

_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,39}")
CASE_ID_RULE = "a letter or digit, then letters, digits, '-', '_' or '.' (ASCII, max 40)"


def is_case_id(text: str) -> bool:
    """The one rule for case ids: they travel in URLs and Redis key names, so plain ASCII only."""
    return _CASE_ID.fullmatch(text) is not None


class CaseType(StrEnum):
    BAL_DUE = "BAL_DUE"
    NON_FILER = "NON_FILER"


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Case:
    case_id: str
    case_type: CaseType
    tin: Tin
    taxpayer_name: str
    taxpayer_phone: str
    periods: tuple[str, ...]
    balance: Decimal | None
    status: CaseStatus = CaseStatus.OPEN

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.OPEN


@dataclass(frozen=True)
class Practitioner:
    caf: str
    name: str
    firm: str
    phone: str


@dataclass(frozen=True)
class CrnRecord:
    crn: str
    case_id: str
    contact: str  # a CAF, or TAXPAYER_CONTACT
    issued_at: float


TAXPAYER_CONTACT = "taxpayer"


@dataclass(frozen=True)
class HistoryEntry:
    entry_id: str
    at: float
    kind: str
    actor: str
    summary: str
    detail: dict = field(default_factory=dict)
