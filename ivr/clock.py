"""The time the dialer's rules see: the system clock, or a virtual one so `acs demo` can play hours in seconds.

Everything time-dependent in the dialer (calling windows, attempt limits, follow-ups) asks `now()` instead of
calling time.time() itself; the demo and tests install another clock with `use()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_source: Callable[[], float] = time.time


def now() -> float:
    """Epoch seconds according to the installed clock."""
    return _source()


def use(source: Callable[[], float] | None) -> None:
    """Install a clock for this process (None restores the system clock)."""
    global _source
    with _lock:
        _source = source or time.time


@contextmanager
def frozen(at: float) -> Iterator[ManualClock]:
    """Run a block with a manual clock starting at `at` (tests)."""
    manual = ManualClock(at)
    previous = _source
    use(manual)
    try:
        yield manual
    finally:
        use(previous)


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, at: float):
        self.at = float(at)

    def __call__(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds

    def set(self, at: float) -> None:
        self.at = float(at)
