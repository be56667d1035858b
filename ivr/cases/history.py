"""A case's history: an append-only Redis stream of what happened, when, and who did it.

Summaries are written for people reading the console; they must never carry an SSN/EIN (callers pass masked
values). `detail` holds machine-readable extras (call sid, attempt id, queue result, …).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

import redis

from ivr.cases.models import HistoryEntry
from ivr.keys import KeySchema

SYSTEM_ACTOR = "system"


class History:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys

    def append(
        self,
        case_id: str,
        kind: str,
        summary: str,
        actor: str = SYSTEM_ACTOR,
        pipe: redis.client.Pipeline | None = None,
        at: float | None = None,
        **detail: str | int | float | None,
    ) -> None:
        """Add one entry; `pipe` makes it part of a caller's pipeline or transaction, `at` serves a virtual clock."""
        fields = {
            "at": f"{time.time() if at is None else at:.3f}",
            "kind": kind,
            "actor": actor,
            "summary": summary,
            "detail": encode_detail({k: v for k, v in detail.items() if v is not None}),
        }
        (pipe or self.redis).xadd(self.keys.case_history(case_id), fields)

    def entries(self, case_id: str, count: int | None = None) -> list[HistoryEntry]:
        """Oldest first; the import is implied by the case's `opened_at` (no stream is kept for it alone)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(self.keys.case(case_id), "opened_at", "case_type")
        pipe.xrange(self.keys.case_history(case_id), count=count)
        (opened_at, case_type), rows = pipe.execute()
        entries = [entry_from_fields(entry_id, fields) for entry_id, fields in rows]
        if opened_at:
            entries.insert(0, opened_entry(float(opened_at), case_type or ""))
        return entries[:count] if count is not None else entries


def opened_entry(at: float, case_type: str) -> HistoryEntry:
    """The `case_opened` entry an import implies (stream ids start at 0-1, so `0-0` sorts before any)."""
    summary = f"{case_type} case imported"
    return HistoryEntry(entry_id="0-0", at=at, kind="case_opened", actor=SYSTEM_ACTOR, summary=summary)


def encode_detail(detail: Mapping[str, object]) -> str:
    """The `detail` field of an entry, for writers that append without History (e.g. inside a Lua script)."""
    return json.dumps(detail, sort_keys=True)


def entry_from_fields(entry_id: str, fields: dict[str, str]) -> HistoryEntry:
    return HistoryEntry(
        entry_id=entry_id,
        at=float(fields["at"]),
        kind=fields["kind"],
        actor=fields["actor"],
        summary=fields["summary"],
        detail=json.loads(fields.get("detail") or "{}"),
    )
