"""Clocks and the event loop that drives every call leg.

The engine is a priority queue of timed callbacks. With a `VirtualClock` the loop jumps straight to the next
event, so a ten-minute hold costs microseconds; with a `RealClock` it sleeps until the event is due, which is
what a developer dialling through `acs emulator` needs. Callbacks never run while the queue lock is held, so a
webhook that calls back into the REST API (same thread or another) cannot deadlock the loop.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: Virtual time zero: a weekday afternoon, inside every calling window.
DEFAULT_EPOCH = datetime(2026, 1, 5, 15, 0, 0, tzinfo=UTC)


class Clock:
    """Seconds since the emulator started, plus the matching wall-clock datetime."""

    epoch: datetime

    def now(self) -> float:
        raise NotImplementedError

    def datetime(self, at: float | None = None) -> datetime:
        """Return the datetime for emulator time `at` (default: now)."""
        return self.epoch + timedelta(seconds=self.now() if at is None else at)

    def wait_until(self, at: float, cond: threading.Condition) -> None:
        """Block (holding `cond`) until time `at` or until notified."""
        raise NotImplementedError

    def advance_to(self, at: float) -> None:
        """Move time forward to `at` (only the virtual clock can)."""


class VirtualClock(Clock):
    """Time that only moves when the engine reaches the next event."""

    def __init__(self, epoch: datetime = DEFAULT_EPOCH) -> None:
        self.epoch = epoch
        self._now = 0.0
        self._last: tuple[float, datetime, datetime] = (0.0, epoch, epoch)  # (at, epoch, datetime) of the last ask

    def now(self) -> float:
        return self._now

    def datetime(self, at: float | None = None) -> datetime:
        """Clock.datetime, remembered for the last time asked: time stands still between events, and every
        webhook and record of an event asks for the same instant (datetimes are immutable, so one can be shared)."""
        if at is None:
            at = self._now
        last = self._last
        if last[0] == at and last[1] is self.epoch:
            return last[2]
        moment = self.epoch + timedelta(seconds=at)
        self._last = (at, self.epoch, moment)
        return moment

    def advance_to(self, at: float) -> None:
        if at > self._now:
            self._now = at

    def wait_until(self, at: float, cond: threading.Condition) -> None:
        self.advance_to(at)


class RealClock(Clock):
    """Wall-clock time, for manual testing against a running app."""

    def __init__(self) -> None:
        self._start = time.monotonic()
        self.epoch = datetime.now(UTC)

    def now(self) -> float:
        return time.monotonic() - self._start

    def wait_until(self, at: float, cond: threading.Condition) -> None:
        delay = at - self.now()
        if delay > 0:
            cond.wait(delay)


class Engine:
    """Timed callbacks on one clock; `run()` drives them in the caller's thread, `start()` in a thread."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or VirtualClock()
        self._heap: list[tuple[float, int, Callable, tuple]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        #: One driver at a time: run() may be called from several threads (POST /_emulator/run is served on a
        #: thread per request); re-entrant so a callback of the running thread could still drive it.
        self._driver = threading.RLock()
        self.events_run = 0

    def now(self) -> float:
        return self.clock.now()

    def schedule(self, delay: float, fn: Callable, *args) -> None:
        """Run `fn(*args)` `delay` seconds from now; safe to call from any thread."""
        self.schedule_at(self.clock.now() + max(0.0, delay), fn, *args)

    def schedule_at(self, at: float, fn: Callable, *args) -> None:
        with self._cond:
            heapq.heappush(self._heap, (at, next(self._seq), fn, args))
            self._cond.notify()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)

    def next_time(self) -> float | None:
        with self._cond:
            return self._heap[0][0] if self._heap else None

    def run(self, until: float | None = None, max_events: int = 2_000_000) -> int:
        """Run due events until none are left, time passes `until`, or `max_events` ran; return the count."""
        if self._thread is not None:
            raise RuntimeError("the engine is running in its own thread (start()); stop() it before run()")
        with self._driver:
            return self._run(until, max_events)

    def _run(self, until: float | None, max_events: int) -> int:
        count = 0
        while count < max_events:
            with self._cond:
                if not self._heap:
                    break
                at = self._heap[0][0]
                if until is not None and at > until:
                    self.clock.advance_to(until)
                    break
                if at > self.clock.now():
                    self.clock.wait_until(at, self._cond)
                    if at > self.clock.now():
                        continue  # woken early by a new event: re-check the head
                _, _, fn, args = heapq.heappop(self._heap)
            fn(*args)
            count += 1
            self.events_run += 1
        return count

    @property
    def running(self) -> bool:
        """True while `start()`'s thread drives the loop."""
        return self._thread is not None

    def start(self) -> None:
        """Drive the loop in a daemon thread (real-time serving, or virtual fast-forward)."""
        if self._thread:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="emulator-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._stopping:
                    self._cond.wait(0.5)
                if self._stopping:
                    return
                at = self._heap[0][0]
                if at > self.clock.now():
                    self.clock.wait_until(at, self._cond)
                    continue
                _, _, fn, args = heapq.heappop(self._heap)
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - one broken leg must not stop a long-running server
                import logging

                logging.getLogger("emulator").exception("event failed")
            self.events_run += 1
