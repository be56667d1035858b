"""History lines say what the callee actually heard: the taxpayer's limited-content message carries no CRN."""

from __future__ import annotations

import pytest

from ivr.dialer.attempts import SEEN_LIMIT, Attempt, Attempts
from ivr.dialer.outcomes import WRITTEN, record_call_end, summary
from ivr.dialer.policy import Action, Outcome, Policy

AT = 1_800_000_000.0


def _attempt(kind: str) -> Attempt:
    contact = "040123456R" if kind == "practitioner" else "taxpayer"
    return Attempt(
        attempt_id="a1",
        case_id="ACS-000104",
        contact=contact,
        contact_kind=kind,
        to="+12025550104",
        crn="7968333471",
        state="open",
        created_at=AT,
        contact_name="Avery Ashford",
    )


@pytest.mark.parametrize("outcome", [Outcome.CONVERSATION, Outcome.VOICEMAIL])
def test_taxpayer_lines_do_not_claim_a_crn_was_given(outcome):
    text = summary(_attempt("taxpayer"), outcome, Action.FOLLOW_UP, AT, "")
    assert "CRN" not in text and "7968333471" not in text
    assert "limited-content" in text


@pytest.mark.parametrize("outcome", [Outcome.CONVERSATION, Outcome.VOICEMAIL])
def test_practitioner_lines_keep_the_crn(outcome):
    assert "CRN 7968333471" in summary(_attempt("practitioner"), outcome, Action.FOLLOW_UP, AT, "")


def _opened(redis, keys, attempt_id: str = "AT" + "c" * 20) -> tuple[Attempts, Attempt]:
    attempts = Attempts(redis, keys)
    attempt = Attempt(attempt_id, "ACS-000104", "taxpayer", "taxpayer", "+12025550104", "7968333471", "placing", AT)
    pipe = redis.pipeline()
    attempts.create(pipe, attempt, AT)
    pipe.execute()
    return attempts, attempt


@pytest.mark.parametrize(("since", "outcome"), [(None, "conversation"), ("machine_end_beep", "voicemail")])
def test_an_attempt_noted_earlier_is_judged_as_it_is_when_the_call_ends(redis, keys, since, outcome):
    """The answer noted at the answer webhook saves the read, unless another process noted a new answer since."""
    attempts, attempt = _opened(redis, keys)
    assert attempts.answered(attempt.attempt_id, "human", message_played=True) is not None
    if since:
        Attempts(redis, keys).answered(attempt.attempt_id, since, message_played=True)
    pipe = redis.pipeline(transaction=False)
    pipe.set(keys.dialer_pace(), "1")  # the caller's own command rides with the first round trip
    noted, case = attempts.seen(attempt.attempt_id)
    assert noted is not None and case is None and attempts.seen(attempt.attempt_id) == (None, None)  # used once
    sid = "CA" + "1" * 32
    written = record_call_end(
        attempts, Policy(), attempt.attempt_id, "completed", "", sid, AT + 60, attempt=noted, pipe=pipe
    )
    assert written == WRITTEN and redis.get(keys.dialer_pace()) == "1"
    assert redis.hget(keys.attempt(attempt.attempt_id), "outcome") == outcome
    assert redis.xlen(keys.case_history("ACS-000104")) == 1


def test_an_attempt_that_is_final_already_still_sends_the_callers_commands(redis, keys):
    attempts, attempt = _opened(redis, keys)
    noted = attempts.answered(attempt.attempt_id, "human", message_played=True)
    sid = "CA" + "1" * 32
    assert record_call_end(attempts, Policy(), attempt.attempt_id, "completed", "", sid, AT + 60) == WRITTEN
    pipe = redis.pipeline(transaction=False)
    pipe.set(keys.dialer_pace(), "1")
    assert (
        record_call_end(attempts, Policy(), attempt.attempt_id, "completed", "", sid, AT + 61, attempt=noted, pipe=pipe)
        == 0
    )
    assert redis.get(keys.dialer_pace()) == "1" and redis.xlen(keys.case_history("ACS-000104")) == 1


def test_attempts_noted_are_bounded_oldest_forgotten_first(redis, keys):
    attempts = Attempts(redis, keys)
    for n in range(SEEN_LIMIT + 1):
        attempts.noted(f"AT{n:020x}", ["case_id", "ACS-000104", "state", "placed"])
    attempts.noted_case(f"AT{0:020x}", {"tin_ref": "r"})
    attempts.noted(f"AT{SEEN_LIMIT + 1:020x}", ["case_id", "ACS-000104", "state", "placed"])
    assert attempts.seen(f"AT{0:020x}") == (None, None) and attempts.seen(f"AT{1:020x}") == (None, None)
    assert attempts.seen(f"AT{SEEN_LIMIT:020x}")[0] is not None and attempts.seen(f"AT{2:020x}")[0] is not None
    assert len(attempts._seen) == SEEN_LIMIT - 2 and not attempts._seen_cases
    attempts.noted_case("AT" + "f" * 20, {"tin_ref": "r"})  # never noted here: nothing to go with
    assert not attempts._seen_cases


@pytest.mark.parametrize("changed", [False, True])
def test_a_conversation_goes_to_the_person_of_the_case_as_it_is_when_the_call_ends(redis, keys, sample_data, changed):
    """The case read at the answer names whose conversation it is, unless the case's person changed since."""
    attempts, attempt = _opened(redis, keys)
    attempts.answered(attempt.attempt_id, "human", message_played=True)
    case = redis.hgetall(keys.case("ACS-000104"))
    person = keys.taxpayer_conversations(case["tin_ref"])
    other_case = redis.hgetall(keys.case("ACS-000101"))  # another person's
    other = keys.taxpayer_conversations(other_case["tin_ref"])
    attempts.noted_case(attempt.attempt_id, case)
    if changed:  # the case as noted was another person's (re-imported since): that person must not get it
        attempts.noted_case(attempt.attempt_id, other_case)
    noted, case_hash = attempts.seen(attempt.attempt_id)
    pipe = redis.pipeline(transaction=False)
    sid = "CA" + "1" * 32
    written = record_call_end(
        attempts, Policy(), attempt.attempt_id, "completed", "", sid, AT + 60, attempt=noted, pipe=pipe, case=case_hash
    )
    assert written == WRITTEN and redis.hget(keys.attempt(attempt.attempt_id), "outcome") == "conversation"
    assert redis.hget(person, "taxpayer") == f"{AT + 60:.3f}" and not redis.exists(other)
