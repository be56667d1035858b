"""The dialer's rules as plain functions: how a call ended, what happens next, and when a case may be called.

No Redis, no RQ, no Twilio: every rule takes the facts and `now` (epoch seconds) and returns a decision.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ivr.config import number_setting

DAY = 86_400
HOUR = 3_600
MINUTE = 60


class Outcome(StrEnum):
    CONVERSATION = "conversation"  # a person answered and heard the message
    VOICEMAIL = "voicemail"  # the message was left after the beep
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    FAILED = "failed"  # the carrier could not complete the call
    CANCELED = "canceled"
    MACHINE_NO_MESSAGE = "machine-no-message"  # a machine/fax picked up and no message could be left
    REJECTED = "rejected"  # Twilio refused the call for good (invalid number, …): the case is flagged


#: Outcomes that reached the contact: the follow-up rules apply rather than the retry rules.
CONTACTS = frozenset({Outcome.CONVERSATION, Outcome.VOICEMAIL})
FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
MACHINE_ANSWERS = frozenset({"machine_end_beep", "machine_end_silence", "machine_end_other", "machine_start"})


class Action(StrEnum):
    RETRY = "retry"
    FOLLOW_UP = "follow-up"
    STOP = "stop"


@dataclass(frozen=True)
class Policy:
    """Limits and delays; every one can be set from the environment (see `from_env`)."""

    max_attempts_per_window: int = 7
    attempt_window_seconds: int = 7 * DAY
    quiet_after_conversation_seconds: int = 7 * DAY
    follow_up_after_voicemail_seconds: int = 2 * DAY
    max_attempts: int = 10  # unanswered attempts in a row before the dialer stops and leaves it to an employee
    retry_base_seconds: int = 2 * HOUR  # no-answer: 2 h, 4 h, 8 h … capped
    retry_busy_seconds: int = 15 * MINUTE
    retry_cap_seconds: int = DAY

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Policy:
        """Read the ACS_* overrides (README "The dialer" lists them)."""

        def number(name: str, default: int) -> int:
            return number_setting(env, name, default, int)

        defaults = cls()
        return cls(
            max_attempts_per_window=number("ACS_MAX_ATTEMPTS_PER_WINDOW", defaults.max_attempts_per_window),
            attempt_window_seconds=number("ACS_ATTEMPT_WINDOW_DAYS", 7) * DAY,
            quiet_after_conversation_seconds=number("ACS_QUIET_DAYS_AFTER_CONVERSATION", 7) * DAY,
            follow_up_after_voicemail_seconds=number("ACS_FOLLOW_UP_HOURS_AFTER_VOICEMAIL", 48) * HOUR,
            max_attempts=number("ACS_MAX_ATTEMPTS", defaults.max_attempts),
            retry_base_seconds=number("ACS_RETRY_BASE_MINUTES", 120) * MINUTE,
            retry_busy_seconds=number("ACS_RETRY_BUSY_MINUTES", 15) * MINUTE,
            retry_cap_seconds=defaults.retry_cap_seconds,
        )


@dataclass(frozen=True)
class Step:
    action: Action
    at: float | None  # when the case is next due; None when the dialer stops
    reason: str


def classify(call_status: str, answered_by: str | None, message_played: bool) -> Outcome:
    """What a finished call amounted to, from its final status and what the answer webhook saw."""
    if call_status == "completed":
        answered_by = answered_by or "unknown"
        if answered_by in MACHINE_ANSWERS:
            return Outcome.VOICEMAIL if message_played else Outcome.MACHINE_NO_MESSAGE
        if answered_by == "fax":
            return Outcome.MACHINE_NO_MESSAGE
        return Outcome.CONVERSATION if message_played else Outcome.NO_ANSWER
    return {
        "busy": Outcome.BUSY,
        "no-answer": Outcome.NO_ANSWER,
        "failed": Outcome.FAILED,
        "canceled": Outcome.CANCELED,
    }.get(call_status, Outcome.FAILED)


def next_step(policy: Policy, outcome: Outcome, unanswered_in_a_row: int, now: float) -> Step:
    """Decide the follow-up after an outcome; `unanswered_in_a_row` counts this attempt when it was unanswered."""
    if outcome is Outcome.CONVERSATION:
        return Step(Action.FOLLOW_UP, now + policy.quiet_after_conversation_seconds, "spoke with the contact")
    if outcome is Outcome.VOICEMAIL:
        return Step(Action.FOLLOW_UP, now + policy.follow_up_after_voicemail_seconds, "voicemail left")
    if outcome is Outcome.REJECTED:
        return Step(Action.STOP, None, "the number was refused; the case needs a correct phone number")
    if unanswered_in_a_row >= policy.max_attempts:
        return Step(Action.STOP, None, f"{unanswered_in_a_row} attempts without reaching anyone")
    if outcome is Outcome.BUSY:
        delay = policy.retry_busy_seconds
    else:
        delay = min(policy.retry_base_seconds * 2 ** max(unanswered_in_a_row - 1, 0), policy.retry_cap_seconds)
    return Step(Action.RETRY, now + delay, f"{outcome.value}: retry #{unanswered_in_a_row + 1}")


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None) -> float:
    """Exponential backoff with full jitter for API faults (attempt 1, 2, …)."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)
