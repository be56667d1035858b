"""Figures for the manager's campaign view: today's outbound calls by outcome, and the inbound queue.

Outbound figures are counted from today's case history entries that carry a dialer outcome (the dialer records
one per finished attempt); when the dialer has recorded nothing the view shows zeros rather than failing.
Queue figures come from the waiting list and the counters /voice/acs/queue-result keeps.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr.cases.history import entry_from_fields
from ivr.services import Services

REACHED = frozenset({"conversation", "human", "reached", "answered"})
VOICEMAIL = frozenset({"voicemail", "machine"})
NO_ANSWER = frozenset({"no-answer", "busy", "machine-no-message"})
FAILED = frozenset({"failed", "canceled", "rejected"})
OUTBOUND_OUTCOMES = REACHED | VOICEMAIL | NO_ANSWER | FAILED
ABANDONED_RESULTS = frozenset({"hangup"})
MAX_CASES_SCANNED = 50_000


@dataclass(frozen=True)
class CampaignStats:
    day: str
    calls_placed: int
    reached: int
    voicemail: int
    no_answer: int
    failed: int
    waiting_now: int
    longest_wait_seconds: int
    average_wait_seconds: int | None
    abandoned: int
    answered_from_queue: int
    queue_results: dict[str, int] = field(default_factory=dict)


def campaign_stats(svc: Services, now: float | None = None) -> CampaignStats:
    now = time.time() if now is None else now
    start = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    outcomes, placed = _outbound_today(svc, start.timestamp())
    queue = svc.config.queue_name
    pipe = svc.redis.pipeline(transaction=False)
    pipe.hgetall(svc.keys.queue_stats(queue))
    pipe.zrange(svc.keys.queue_waiting(queue), 0, 0, withscores=True)
    pipe.zcard(svc.keys.queue_waiting(queue))
    stats, oldest, waiting = pipe.execute()
    results = {name.removeprefix("result:"): int(v) for name, v in stats.items() if name.startswith("result:")}
    left = sum(results.values())
    wait_total = int(stats.get("wait_seconds", 0))
    return CampaignStats(
        day=start.date().isoformat(),
        calls_placed=max(placed, sum(outcomes.values())),
        reached=sum(outcomes[o] for o in REACHED),
        voicemail=sum(outcomes[o] for o in VOICEMAIL),
        no_answer=sum(outcomes[o] for o in NO_ANSWER),
        failed=sum(outcomes[o] for o in FAILED),
        waiting_now=int(waiting),
        longest_wait_seconds=int(now - oldest[0][1]) if oldest else 0,
        average_wait_seconds=round(wait_total / left) if left else None,
        abandoned=sum(count for result, count in results.items() if result in ABANDONED_RESULTS),
        answered_from_queue=results.get("bridged", 0),
        queue_results=results,
    )


def _outbound_today(svc: Services, since: float) -> tuple[Counter[str], int]:
    """Dialer outcomes in any case's history with `at` in the day from `since`, and attempts placed that day.

    History `at` may come from the dialer's clock, so the stream is read from a day earlier (ids are real
    milliseconds) and filtered on `at`; attempts placed count in-flight calls the history has not seen yet.
    """
    until = since + 86_400
    case_ids = svc.store.all_case_ids()[:MAX_CASES_SCANNED]
    counts: Counter[str] = Counter()
    placed = 0
    start_id = f"{int((since - 86_400) * 1000)}-0"
    for offset in range(0, len(case_ids), 500):
        pipe = svc.redis.pipeline(transaction=False)
        batch = case_ids[offset : offset + 500]
        for case_id in batch:
            pipe.xrange(svc.keys.case_history(case_id), min=start_id)
        for case_id in batch:
            pipe.zcount(svc.keys.case_attempts(case_id), since, f"({until}")
        results = pipe.execute()
        for rows in results[: len(batch)]:
            for entry_id, fields in rows:
                if fields.get("kind") != "call_out":
                    continue
                entry = entry_from_fields(entry_id, fields)
                outcome = entry.detail.get("outcome") if isinstance(entry.detail, dict) else None
                if outcome in OUTBOUND_OUTCOMES and since <= entry.at < until:
                    counts[outcome] += 1
        placed += sum(int(n) for n in results[len(batch) :])
    return counts, placed
