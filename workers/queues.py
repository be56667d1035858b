"""Queue names, the RQ connection, and how dialer jobs get scheduled (enqueued by dotted path)."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue, Retry

from ivr.config import Config
from ivr.dialer.policy import backoff
from ivr.keys import KeySchema
from ivr.redis_conn import redis_url_for

#: Ticks (one batch of due cases each) and single-case dials.
DIALER_QUEUE = "acs-dialer"
#: Attempts Twilio refused for a moment (429/5xx), resent with backoff; listened to first.
RETRY_QUEUE = "acs-dialer-retry"
WORKER_QUEUES = (RETRY_QUEUE, DIALER_QUEUE)

TICK_JOB = "workers.jobs.dial_due"
CASE_JOB = "workers.jobs.dial_case"
RESEND_JOB = "workers.jobs.resend_attempt"
API_RETRIES = 6

# Schedule a tick for ARGV[1] unless one is already pending at or before it (and not stale).
# KEYS: next_tick. ARGV: at, now, grace.
_CLAIM_TICK = """
local pending = tonumber(redis.call('GET', KEYS[1]) or '')
local at, now = tonumber(ARGV[1]), tonumber(ARGV[2])
if pending and pending <= at and pending > now - tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', math.max(60, math.ceil(at - now) + 600))
return 1
"""
# Forget the pending tick if it is the one now running. KEYS: next_tick. ARGV: at.
_CLEAR_TICK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""


def rq_connection(config: Config) -> redis.Redis:
    """RQ wants raw bytes (no decode_responses), so it gets its own client on the same server."""
    return redis.Redis.from_url(redis_url_for(config))


class DialerQueues:
    """Enqueue the dialer's jobs; used by `acs dial`, the tick job itself and the demo."""

    def __init__(self, connection: redis.Redis, keys: KeySchema):
        self.connection = connection
        self.keys = keys
        self.dialer = Queue(DIALER_QUEUE, connection=connection)
        self.retry = Queue(RETRY_QUEUE, connection=connection)
        self._claim_tick = connection.register_script(_CLAIM_TICK)
        self._clear_tick = connection.register_script(_CLEAR_TICK)

    def tick_now(self):
        return self.dialer.enqueue(TICK_JOB)

    def dial_case(self, case_id: str, employee: str | None = None):
        """A call on one case now; `employee`: preview mode's clicker, who takes the answer (an extra argument
        only then, so jobs queued before and `acs dial --case` keep their one-argument form)."""
        if employee:
            return self.dialer.enqueue(CASE_JOB, case_id, employee)
        return self.dialer.enqueue(CASE_JOB, case_id)

    def schedule_tick(self, at: float, now: float, grace: float = 60.0):
        """Make sure one tick runs at `at` (clock time); returns the job, or None when one is already pending."""
        stamp = f"{at:.3f}"
        if not self._claim_tick(keys=[self.keys.dialer_next_tick()], args=[stamp, f"{now:.3f}", grace]):
            return None
        delay = at - now
        if delay <= 0:
            return self.dialer.enqueue(TICK_JOB, stamp)
        return self.dialer.enqueue_in(timedelta(seconds=delay), TICK_JOB, stamp)

    def tick_started(self, scheduled_for: str | None) -> None:
        if scheduled_for:
            self._clear_tick(keys=[self.keys.dialer_next_tick()], args=[scheduled_for])

    def resend_later(self, attempt_id: str, base_seconds: float):
        """Resend an attempt after exponential backoff with jitter, retried by RQ's own Retry."""
        intervals = [round(backoff(n, base_seconds)) for n in range(2, API_RETRIES + 2)]
        retry = Retry(max=API_RETRIES, interval=intervals)
        first = backoff(1, base_seconds)
        if first < 0.5:
            return self.retry.enqueue(RESEND_JOB, attempt_id, retry=retry)
        return self.retry.enqueue_in(timedelta(seconds=first), RESEND_JOB, attempt_id, retry=retry)
