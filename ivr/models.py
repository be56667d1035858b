"""Plain records shared by the store, the importer and the views (no Redis, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ivr.tin import Tin


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
