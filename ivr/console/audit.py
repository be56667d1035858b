"""The console's audit log: who looked at or did what to which case, when. Append-only (a Redis stream).

Entries never carry an SSN/EIN — a reveal is logged as the fact of the reveal, not the number.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import redis

from ivr.cases.tin import redact
from ivr.keys import KeySchema

MAX_ENTRIES = 1_000_000


@dataclass(frozen=True)
class AuditEntry:
    entry_id: str
    at: float
    employee: str
    action: str
    case_id: str
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AuditFilter:
    employee: str = ""
    case_id: str = ""
    action: str = ""
    since: float | None = None
    until: float | None = None

    def matches(self, entry: AuditEntry) -> bool:
        return (
            (not self.employee or entry.employee == self.employee)
            and (not self.case_id or entry.case_id == self.case_id)
            and (not self.action or entry.action == self.action)
        )


class AuditLog:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys

    def record(self, employee: str, action: str, case_id: str = "", **detail: str | int | float | None) -> None:
        # Whatever was typed (a username, a reason, a lookup) may hold an SSN/EIN: the log keeps it masked.
        detail = {k: redact(v) if isinstance(v, str) else v for k, v in detail.items()}
        fields = {
            "at": f"{time.time():.3f}",
            "employee": redact(employee),
            "action": action,
            "case_id": case_id,
            "detail": json.dumps({k: v for k, v in detail.items() if v is not None}, sort_keys=True),
        }
        self.redis.xadd(self.keys.audit_log(), fields, maxlen=MAX_ENTRIES, approximate=True)

    def search(self, filters: AuditFilter | None = None, limit: int = 200, scan: int = 20_000) -> list[AuditEntry]:
        """Newest first; at most `limit` matches among the newest `scan` entries in the time range."""
        filters = filters or AuditFilter()
        newest = f"{int(filters.until * 1000)}" if filters.until else "+"
        oldest = f"{int(filters.since * 1000)}" if filters.since else "-"
        found: list[AuditEntry] = []
        for entry_id, fields in self.redis.xrevrange(self.keys.audit_log(), max=newest, min=oldest, count=scan):
            entry = AuditEntry(
                entry_id=entry_id,
                at=float(fields["at"]),
                employee=fields["employee"],
                action=fields["action"],
                case_id=fields.get("case_id", ""),
                detail=json.loads(fields.get("detail") or "{}"),
            )
            if filters.matches(entry):
                found.append(entry)
                if len(found) >= limit:
                    break
        return found

    def actions(self) -> list[str]:
        """Distinct action names seen recently, for the filter form."""
        rows = self.redis.xrevrange(self.keys.audit_log(), count=2000)
        return sorted({fields["action"] for _id, fields in rows})
