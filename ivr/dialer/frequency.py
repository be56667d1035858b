"""Call-frequency limits: at most N call attempts within any D consecutive days, none for a while after a conversation.

Regulation F, 12 CFR 1006.14(b)(2): more than seven calls within seven consecutive days, or any within seven days
after a telephone conversation, about a debt. States may be stricter (Massachusetts, 940 CMR 7.04(1)(f): two in
seven days). A rolling window of D×24 hours is used: every set of calls inside D calendar days also fits inside one
rolling window, so keeping the rolling count within the limit keeps every calendar-day count within it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DAY = 86_400


@dataclass(frozen=True)
class FrequencyLimit:
    max_calls: int  # 0: no count limit
    days: float
    quiet_days_after_conversation: float = 0
    source: str = ""

    @property
    def window_seconds(self) -> float:
        return self.days * DAY

    @property
    def quiet_seconds(self) -> float:
        return self.quiet_days_after_conversation * DAY

    def describe(self) -> str:
        parts = []
        if self.max_calls:
            parts.append(f"{self.max_calls} calls in {self.days:g} days")
        if self.quiet_days_after_conversation:
            parts.append(f"none within {self.quiet_days_after_conversation:g} days after a conversation")
        return ", ".join(parts) or "no limit"


def in_window(limit: FrequencyLimit, calls: Sequence[float], at: float) -> list[float]:
    """The calls the limit counts at `at`: those placed after at − window, oldest first.

    A call recorded after `at` (a worker's clock ahead of this one) counts too: never fewer calls than were made.
    Judging a past instant (`acs why --at`), the facts hold only the calls placed by then (facts.load's
    `history_until`).
    """
    since = at - limit.window_seconds
    return sorted(c for c in calls if since < c)


def why_not(limit: FrequencyLimit, calls: Sequence[float], conversation: float | None, at: float) -> str | None:
    """None when one more call at `at` keeps within the limit, else why not."""
    if limit.quiet_seconds and conversation is not None and conversation <= at < conversation + limit.quiet_seconds:
        return f"a conversation took place less than {limit.quiet_days_after_conversation:g} days ago"
    if limit.max_calls:
        counted = in_window(limit, calls, at)
        if len(counted) >= limit.max_calls:
            return f"{len(counted)} calls already in the last {limit.days:g} days (limit {limit.max_calls})"
    return None


def first_allowed(limit: FrequencyLimit, calls: Sequence[float], conversation: float | None, at: float) -> float:
    """The first instant ≥ at where `why_not` is None (each jump is a lower bound, so the loop is exact)."""
    t = at
    for _ in range(len(calls) + 3):
        moved = False
        if limit.quiet_seconds and conversation is not None and conversation <= t < conversation + limit.quiet_seconds:
            t = conversation + limit.quiet_seconds
            moved = True
        if limit.max_calls:
            counted = in_window(limit, calls, t)
            if len(counted) >= limit.max_calls:
                t = counted[-limit.max_calls] + limit.window_seconds
                moved = True
        if not moved:
            return t
    return t
