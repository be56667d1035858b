"""Do-not-call and stop-calling records in Redis: per number, per person, and numbers retired as wrong.

Every record says who asked, how (console, cli, import, keypad) and when, so `acs why` can explain a refusal.
The dialer sees a record on its next attempt: the facts loader reads these hashes on every tick.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import redis

from ivr.keys import KeySchema

HOW = ("console", "cli", "import", "keypad", "outcome")
CHUNK = 500


@dataclass(frozen=True)
class DncRecord:
    who: str
    how: str
    at: float
    reason: str = ""

    def to_json(self) -> str:
        return json.dumps({"who": self.who, "how": self.how, "at": round(self.at, 3), "reason": self.reason})

    @classmethod
    def from_json(cls, text: str) -> DncRecord:
        data = json.loads(text)
        who, how = str(data.get("who", "")), str(data.get("how", ""))
        return cls(who, how, float(data.get("at") or 0), str(data.get("reason") or ""))

    def describe(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.at))
        reason = f": {self.reason}" if self.reason else ""
        return f"by {self.who} via {self.how} on {when}{reason}"


def describe(raw: str | None) -> str:
    """A stored record as the rules show it (an unreadable one still counts: never call on a guess)."""
    if not raw:
        return ""
    try:
        return DncRecord.from_json(raw).describe()
    except (ValueError, TypeError, AttributeError):
        return "recorded (details unreadable)"


class DoNotCall:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys

    # --- numbers -----------------------------------------------------------------------------------------
    def add(self, phone: str, record: DncRecord) -> bool:
        """Put a number on the list; False when it was already there (the first record is kept)."""
        return bool(self.redis.hsetnx(self.keys.dnc_numbers(), phone, record.to_json()))

    def add_many(self, rows: Iterable[tuple[str, DncRecord]]) -> int:
        """Bulk add in chunks of pipelined HSETNX (never one long command); returns how many were new."""
        added, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                added += self._add_chunk(batch)
                batch = []
        return added + (self._add_chunk(batch) if batch else 0)

    def _add_chunk(self, rows: list[tuple[str, DncRecord]]) -> int:
        pipe = self.redis.pipeline(transaction=False)
        for phone, record in rows:
            pipe.hsetnx(self.keys.dnc_numbers(), phone, record.to_json())
        return sum(1 for result in pipe.execute() if result)

    def remove(self, phone: str) -> bool:
        return bool(self.redis.hdel(self.keys.dnc_numbers(), phone))

    def get(self, phone: str) -> DncRecord | None:
        raw = self.redis.hget(self.keys.dnc_numbers(), phone)
        return DncRecord.from_json(raw) if raw else None

    def numbers(self) -> Iterator[tuple[str, DncRecord]]:
        """Every listed number, read with HSCAN (an operator's listing, never a dialer path)."""
        for phone, raw in self.redis.hscan_iter(self.keys.dnc_numbers(), count=CHUNK):
            yield phone, DncRecord.from_json(raw)

    # --- persons and wrong numbers ---------------------------------------------------------------------------
    def stop_person(self, tin_ref: str, record: DncRecord) -> None:
        self.redis.hset(self.keys.dnc_persons(), tin_ref, record.to_json())

    def resume_person(self, tin_ref: str) -> bool:
        return bool(self.redis.hdel(self.keys.dnc_persons(), tin_ref))

    def person(self, tin_ref: str) -> DncRecord | None:
        raw = self.redis.hget(self.keys.dnc_persons(), tin_ref)
        return DncRecord.from_json(raw) if raw else None

    def retire_number(self, tin_ref: str, phone: str, record: DncRecord) -> None:
        """A wrong number: never call it again for this taxpayer (others who own it are unaffected)."""
        self.redis.hset(self.keys.taxpayer_wrong_numbers(tin_ref), phone, record.to_json())
