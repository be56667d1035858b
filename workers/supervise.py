"""`acs worker`'s outer loop: ride out Redis outages, and move due delayed jobs under a short lease.

RQ's own scheduler is not used by a long-running worker. Its lock (`rq:scheduler-lock:<queue>`) lives 61 s after
its holder dies, and a worker that could not take it at start tries again only at its maintenance interval
(10 minutes), so a worker restarted after a SIGKILL left every delayed tick and resend waiting up to ~11 minutes.
Instead each worker runs a `SchedulerLease` thread: whoever holds a 10-second lease (refreshed every second) moves
due jobs from RQ's scheduled registries onto their queues with RQ's own `RQScheduler.enqueue_scheduled_jobs`; a
dead holder's lease lapses in at most 10 s. The same thread is the dialer's watchdog: when no tick is pending (the
last one failed before it could schedule the next, say during a Redis outage) it schedules one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Sequence

import redis
from rq import Worker
from rq.scheduler import RQScheduler
from rq.scripts import acquire_or_refresh_lock, release_lock

from ivr import clock
from ivr.keys import KeySchema
from workers.queues import DialerQueues

log = logging.getLogger(__name__)

REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)
LEASE_SECONDS = 10
#: A tick overdue (or missing) this long is presumed lost and replaced.
TICK_GRACE_SECONDS = 20.0
MAX_BACKOFF_SECONDS = 10.0


class SchedulerLease(threading.Thread):
    """Enqueue due delayed jobs while holding the lease; keep the dialer's tick heartbeat alive."""

    def __init__(self, connection: redis.Redis, keys: KeySchema, queue_names: Sequence[str], interval: float = 1.0):
        super().__init__(name="acs-scheduler", daemon=True)
        self.connection = connection
        self.keys = keys
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.interval = interval
        self.queue_names = list(queue_names)
        self.stopping = threading.Event()
        self._missing_since: float | None = None

    def run(self) -> None:
        backoff = self.interval
        scheduler = None
        while not self.stopping.wait(backoff):
            try:
                if scheduler is None:
                    scheduler = RQScheduler(self.queue_names, connection=self.connection)
                    scheduler.prepare_registries(self.queue_names)
                if (
                    acquire_or_refresh_lock(
                        self.connection, self.keys.dialer_scheduler_lease(), self.owner, LEASE_SECONDS
                    )
                    != "taken"
                ):
                    scheduler.enqueue_scheduled_jobs()
                    self._watch_ticks()
                backoff = self.interval
            except REDIS_DOWN as exc:
                backoff = min(max(backoff, 0.5) * 2, MAX_BACKOFF_SECONDS)
                log.warning("scheduler: Redis unreachable (%s); retrying in %.0f s", type(exc).__name__, backoff)
            except Exception:  # noqa: BLE001 - the heartbeat must outlive one bad job record
                log.exception("scheduler: unexpected error")
                backoff = MAX_BACKOFF_SECONDS

    def _watch_ticks(self) -> None:
        now = clock.now()
        pending = self.connection.get(self.keys.dialer_next_tick())
        if pending is not None and float(pending) > now - TICK_GRACE_SECONDS:
            self._missing_since = None
            return
        # Missing: a tick is running (it clears the mark when it starts) or the heartbeat is lost. Wait a grace.
        if self._missing_since is None:
            self._missing_since = time.monotonic()
        if time.monotonic() - self._missing_since >= TICK_GRACE_SECONDS:
            if DialerQueues(self.connection, self.keys).schedule_tick(now, now, grace=TICK_GRACE_SECONDS):
                log.warning("scheduler: the dialer's next tick was lost; scheduled one now")
            self._missing_since = None

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        with contextlib.suppress(*REDIS_DOWN):
            release_lock(self.connection, self.keys.dialer_scheduler_lease(), self.owner)


class _Worker(Worker):
    """RQ's Worker, remembering whether it stopped because it was asked to (not because Redis went away)."""

    asked_to_stop = False

    def request_stop(self, signum, frame):
        self.asked_to_stop = True
        return super().request_stop(signum, frame)


def wait_for_redis(connection: redis.Redis, first: float = 0.5) -> None:
    """Block until Redis answers, backing off (0.5 s doubling to 10 s) and saying so once per try."""
    delay = first
    while True:
        try:
            connection.ping()
            return
        except REDIS_DOWN as exc:
            log.warning("worker: Redis unreachable (%s); retrying in %.1f s", type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)


def run_worker(connection: redis.Redis, keys: KeySchema, queue_names: Sequence[str], burst: bool = False) -> None:
    """Work the queues until asked to stop; a Redis outage restarts the RQ worker once Redis is back."""
    if burst:
        # One pass: RQ's scheduler moves what is due, then the queues are worked until empty.
        Worker(list(queue_names), connection=connection).work(burst=True, with_scheduler=True)
        return
    lease = SchedulerLease(connection, keys, queue_names)
    lease.start()
    try:
        while True:
            wait_for_redis(connection)
            try:
                # Keep the dialer's heartbeat going: a tick now (unless one is pending), every tick schedules the next.
                DialerQueues(connection, keys).schedule_tick(clock.now(), clock.now())
                worker = _Worker(list(queue_names), connection=connection)
                worker.work()
            except REDIS_DOWN as exc:
                log.warning("worker: lost Redis (%s); reconnecting", type(exc).__name__)
                continue
            if worker.asked_to_stop:  # SIGTERM/SIGINT: RQ finished the job in hand; leave
                return
            log.warning("worker: the RQ worker stopped on an error; restarting it once Redis answers")
            time.sleep(0.5)
    finally:
        lease.stop()
