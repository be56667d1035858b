"""Turning Twilio's final call status into the case's history line and next step (the status callback's logic).

Kept apart from the Flask view so it can be tested and reused without HTTP; idempotency comes from
`Attempts.finish`, which writes nothing for an attempt that is already final.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime

import redis

from ivr.dialer.attempts import STALE_ATTEMPT, STALE_STREAK, Attempt, Attempts, Finish
from ivr.dialer.facts import conversations_key
from ivr.dialer.policy import CONTACTS, FINAL_CALL_STATUSES, Action, Outcome, Policy, classify, next_step
from ivr.dialer.window import CallingWindow

WRITTEN, DUPLICATE, UNKNOWN_ATTEMPT, NOT_FINAL = 1, 0, -1, None
#: record_call_end's `attempt` when the caller has not read it.
UNREAD = object()

_DESCRIBED = {
    Outcome.CONVERSATION: "spoke with {who} and gave CRN {crn}",
    Outcome.VOICEMAIL: "voicemail left for {who} with CRN {crn}",
    Outcome.NO_ANSWER: "no answer from {who}",
    Outcome.BUSY: "{who}'s line was busy",
    Outcome.FAILED: "the call to {who} failed",
    Outcome.CANCELED: "the call to {who} was canceled",
    Outcome.MACHINE_NO_MESSAGE: "a machine answered for {who}; no message could be left",
}
# The taxpayer hears only the limited-content message (office, a person, callback numbers): no CRN is given.
_DESCRIBED_TAXPAYER = _DESCRIBED | {
    Outcome.CONVERSATION: "a person answered for {who} and heard the limited-content message",
    Outcome.VOICEMAIL: "limited-content voicemail left for {who}",
}


def record_call_end(
    attempts: Attempts,
    policy: Policy,
    attempt_id: str,
    call_status: str,
    answered_by: str,
    call_sid: str,
    now: float,
    window: CallingWindow | None = None,
    attempt: Attempt | None | object = UNREAD,
    pipe: redis.client.Pipeline | None = None,
    case: dict[str, str] | None = None,
) -> int | None:
    """Record a final status once; returns WRITTEN, DUPLICATE, UNKNOWN_ATTEMPT, or NOT_FINAL (ignored).

    With `window`, the next attempt is moved to the callee's next allowed moment right away, so the history says
    when the call will really happen and no tick wakes up only to defer it. `attempt`: the attempt as the caller
    already read it (None: no such attempt), saving the read. `pipe`: the caller's commands, sent with the first
    round trip here (with the outcome itself, unless a conversation's case is read first); with it, `attempt` is one
    noted earlier (Attempts.seen), so the outcome is written only if the attempt's answer and key press are still
    those (else it is read again and judged anew). `case`: with `pipe`, the case's hash as read then, so a
    conversation's person is known without reading it now (the outcome is written only if it is still theirs).
    """
    pending = [pipe]

    def send(queue=None):
        """Run `queue` (a command on a pipeline, or a call without one) with the caller's commands, if unsent."""
        pipe, pending[0] = pending[0], None
        if pipe is None:
            return queue(None) if queue is not None else None
        if queue is None:
            pipe.execute()
            return None
        queue(pipe)
        return pipe.execute()[-1]

    if call_status not in FINAL_CALL_STATUSES:
        send()
        if call_sid:
            attempts.note_call_sid(attempt_id, call_sid)  # lets reconciliation find the call if no final comes
        return NOT_FINAL
    if attempt is UNREAD:
        attempt = attempts.get(attempt_id)
    if attempt is None or attempt.state == "final":
        send()
        return UNKNOWN_ATTEMPT if attempt is None else DUPLICATE
    outcome = classify(call_status, answered_by or attempt.answered_by, attempt.message_played)
    conversations, case_ref = "", None
    if outcome is Outcome.CONVERSATION:
        # Regulation F's quiet week runs per person, across all their cases: the case (whose person it is) is read
        # here, unless it was at the answer, and the conversation noted by the script that writes the outcome.
        if pipe is not None and case is not None:
            case_hash, case_ref = case, case.get("tin_ref", "")
        else:
            case_key = attempts.keys.case(attempt.case_id)
            case_hash = send(lambda pipe: (pipe or attempts.redis).hgetall(case_key))
        with contextlib.suppress(KeyError, ValueError):  # an unreadable case: the outcome is still written
            conversations = conversations_key(attempts.keys, attempt.case_id, case_hash) or ""
    # A contact ends the unanswered streak whatever it was. Otherwise the streak the dialer saw when it opened the
    # attempt is assumed, and written only if it still is (else read, as an attempt from before that note is).
    if outcome in CONTACTS:
        streak = None
    elif attempt.unanswered_at_open is not None:
        streak = attempt.unanswered_at_open
    else:
        streak = _streak(attempts, attempt.case_id)

    def finish(streak: int | None, expected: int | None) -> int:
        unanswered = 0 if streak is None else streak + 1
        step = next_step(policy, outcome, unanswered, now)
        if step.at is not None and window is not None:
            with contextlib.suppress(ValueError):  # no common window: the tick defers or flags it when it comes due
                at = window.next_allowed(attempt.to, datetime.fromtimestamp(step.at, UTC)).timestamp()
                step = replace(step, at=at)
        result = Finish(
            call_sid=call_sid,
            call_status=call_status,
            outcome=outcome.value,
            next_due=step.at,
            unanswered=unanswered,
            conversation_at=now if outcome is Outcome.CONVERSATION else None,
            at=now,
            summary=summary(attempt, outcome, step.action, step.at, step.reason),
            stop_reason=step.reason if step.action is Action.STOP else "",
            detail={"answered_by": answered_by or attempt.answered_by, "pressed": attempt.pressed},
            conversations_key=conversations,
            streak_was=expected,
            seen=attempt if pipe is not None else None,
            case_ref=case_ref,
        )
        return send(lambda pipe: attempts.finish(attempt, result, pipe))

    assumed = streak is not None and streak == attempt.unanswered_at_open
    written = finish(streak, streak if assumed else None)
    if written == STALE_STREAK:  # the streak moved since the attempt was opened: judge on the one written now
        written = finish(_streak(attempts, attempt.case_id), None)
    if written == STALE_ATTEMPT:  # answered or pressed since it was noted: judge on the attempt as it is now
        return record_call_end(attempts, policy, attempt_id, call_status, answered_by, call_sid, now, window)
    return written


def _streak(attempts: Attempts, case_id: str) -> int:
    """Unanswered calls in a row on the case so far."""
    return int(attempts.dialing_state(case_id).get("unanswered") or 0)


def summary(attempt: Attempt, outcome: Outcome, action: Action, at: float | None, reason: str) -> str:
    """One history line, for people: what happened and what the dialer does next (never an SSN/EIN or amount)."""
    described = _DESCRIBED if attempt.for_practitioner else _DESCRIBED_TAXPAYER
    text = "Outbound call: " + described[outcome].format(who=attempt.who, crn=attempt.crn)
    if attempt.pressed == "1":
        text += "; they pressed 1 for a collection employee"
    if action is Action.STOP or at is None:
        return f"{text}. Dialer stopped: {reason}."
    when = f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M} UTC"
    return f"{text}. {'Follow-up' if action is Action.FOLLOW_UP else 'Retry'} due {when}."
