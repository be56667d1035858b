"""Figures for the manager's campaign view: today's outbound calls by outcome, and the inbound queue.

Outbound figures come from the day counters the dialer keeps as it opens attempts and records their outcomes
(ivr.dialer.attempts: one small hash per UTC day), so the page costs the same with ten cases or a million; when the
dialer has recorded nothing the view shows zeros rather than failing. Queue figures come from the waiting list and
the counters /voice/acs/queue-result keeps.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ivr.dialer.attempts import Attempts
from ivr.services import Services

REACHED = frozenset({"conversation", "human", "reached", "answered"})
VOICEMAIL = frozenset({"voicemail", "machine"})
NO_ANSWER = frozenset({"no-answer", "busy", "machine-no-message"})
FAILED = frozenset({"failed", "canceled", "rejected"})
OUTBOUND_OUTCOMES = REACHED | VOICEMAIL | NO_ANSWER | FAILED
ABANDONED_RESULTS = frozenset({"hangup"})
NOT_CALLS = frozenset({"not-placed", "deferred"})


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
    outcomes, placed = _outbound_today(svc, start.date().isoformat())
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


def _outbound_today(svc: Services, day: str) -> tuple[Counter[str], int]:
    """Dialer outcomes recorded on `day` (UTC), and the calls placed that day.

    Attempts opened but never sent (Twilio had no such call; the rules closed before its turn) are not calls.
    """
    counts = Attempts(svc.redis, svc.keys).day_counts(day)
    outcomes = Counter({name.removeprefix("outcome:"): n for name, n in counts.items() if name.startswith("outcome:")})
    placed = counts.get("opened", 0) - sum(outcomes[o] for o in NOT_CALLS)
    return Counter({o: n for o, n in outcomes.items() if o in OUTBOUND_OUTCOMES}), placed
