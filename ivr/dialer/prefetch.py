"""Reading ahead for the dialer's next claim, so that its round trip also reads what facts.load would read next.

facts.load reads a batch in rounds: the cases (round 1), then per taxpayer their records (round 2: the person's
references come from the case's SSN/EIN, so round 2 waits for round 1). A paced dialer claims one case or a few
each tick, so each round is a round trip per tick. Here a claim's round trip also asks which cases are first in line
after it; the next batch's pipeline reads their case records; and the next claim reads, after the claim script and
in the same round trip, rounds 1 and 2 for those cases. Everything the next load uses is read after its claim, as
before: the earlier case record only names whose records to read, and load uses round 2 only when the fresh case
record names the same person and number (else, or for cases not foreseen, it reads as before). A guess that misses
costs a few wasted reads, never a wrong fact.
"""

from __future__ import annotations

import redis

from ivr.cases.sealing import current_seal
from ivr.cases.store import case_from_hash
from ivr.dialer import facts
from ivr.dialer.persons import LOOKBACK_SECONDS, read_refs
from ivr.keys import KeySchema


class ClaimPrefetch:
    def __init__(self, keys: KeySchema) -> None:
        self.keys = keys
        self._next: list[str] = []  # the cases first in line after the last claim
        self._persons: dict[str, tuple[list[str], str]] = {}  # case id → (person's references, phone) as read

    def queue_with_claim(self, pipe: redis.client.Pipeline, now: float, limit: int) -> tuple:
        """After the claim on `pipe`: rounds 1 and 2 for the cases foreseen, and who is first in line after it."""
        ids, persons = self._next, self._persons
        self._next, self._persons = [], {}
        facts.queue_case_rows(pipe, self.keys, ids)
        since = now - LOOKBACK_SECONDS
        plan = [(case_id, *persons[case_id]) for case_id in ids if case_id in persons]
        sizes = [facts.queue_person_rows(pipe, self.keys, refs, phone, since) for _case_id, refs, phone in plan]
        pipe.zrange(self.keys.cases_due(), 0, max(limit, 1) - 1)
        return ids, plan, sizes

    def read_claim(self, queued: tuple, replies: list) -> tuple[dict[str, tuple] | None, dict[str, tuple]]:
        """(facts.load's case_rows, its person_rows) from the replies that follow the claim's."""
        ids, plan, sizes = queued
        rows = iter(replies)
        case_rows = facts.case_rows_from(ids, [next(rows) for _ in range(3 * len(ids))]) if ids else None
        person_rows = {
            case_id: (refs, phone, [next(rows) for _ in range(size)])
            for (case_id, refs, phone), size in zip(plan, sizes, strict=True)
        }
        self._next = list(next(rows))
        return case_rows, person_rows

    def queue_cases(self, pipe: redis.client.Pipeline) -> list[str]:
        """On the batch's last pipeline: the case records of those first in line (whose person to read next).
        Returns the ids queued, for read_cases."""
        ids = list(self._next)
        for case_id in ids:
            pipe.hgetall(self.keys.case(case_id))
        return ids

    def read_cases(self, ids: list[str], replies: list) -> None:
        # Outside a key rotation the person's one reference is the record's own index digest (written with its
        # sealed SSN/EIN): a guess needs no decryption. load checks it against the reference it computes.
        rotating = current_seal().previous is not None
        for case_id, row in zip(ids, replies, strict=True):
            if not rotating and row.get("tin_ref") and row.get("taxpayer_phone"):
                self._persons[case_id] = ([row["tin_ref"]], row["taxpayer_phone"])
                continue
            try:
                case = case_from_hash(case_id, row)
            except Exception:  # noqa: BLE001 - unreadable: load reads (and reports) it as usual
                continue
            if case is not None:
                self._persons[case_id] = (read_refs(case.tin), case.taxpayer_phone)
