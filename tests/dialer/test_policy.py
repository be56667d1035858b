import random

import pytest

from ivr.dialer.policy import DAY, HOUR, Action, Outcome, Policy, backoff, classify, next_step

POLICY = Policy()
NOW = 1_795_701_600.0


@pytest.mark.parametrize(
    ("status", "answered_by", "played", "outcome"),
    [
        ("completed", "human", True, Outcome.CONVERSATION),
        ("completed", "unknown", True, Outcome.CONVERSATION),
        ("completed", "machine_end_beep", True, Outcome.VOICEMAIL),
        ("completed", "machine_end_silence", True, Outcome.VOICEMAIL),
        ("completed", "machine_end_beep", False, Outcome.MACHINE_NO_MESSAGE),
        ("completed", "fax", False, Outcome.MACHINE_NO_MESSAGE),
        ("completed", None, False, Outcome.NO_ANSWER),
        ("busy", None, False, Outcome.BUSY),
        ("no-answer", None, False, Outcome.NO_ANSWER),
        ("failed", None, False, Outcome.FAILED),
        ("canceled", None, False, Outcome.CANCELED),
    ],
)
def test_classify(status, answered_by, played, outcome):
    assert classify(status, answered_by, played) is outcome


def test_a_conversation_is_followed_up_after_the_quiet_period():
    step = next_step(POLICY, Outcome.CONVERSATION, 0, NOW)
    assert step.action is Action.FOLLOW_UP and step.at == NOW + 7 * DAY


def test_a_voicemail_is_followed_up_in_two_days():
    step = next_step(POLICY, Outcome.VOICEMAIL, 0, NOW)
    assert step.action is Action.FOLLOW_UP and step.at == NOW + 2 * DAY


def test_unanswered_calls_back_off_exponentially_then_stop():
    delays = [next_step(POLICY, Outcome.NO_ANSWER, n, NOW).at - NOW for n in range(1, 5)]
    assert delays == [2 * HOUR, 4 * HOUR, 8 * HOUR, 16 * HOUR]
    assert next_step(POLICY, Outcome.NO_ANSWER, 8, NOW).at - NOW == DAY  # capped
    assert next_step(POLICY, Outcome.BUSY, 1, NOW).at - NOW == 15 * 60
    stop = next_step(POLICY, Outcome.FAILED, POLICY.max_attempts, NOW)
    assert stop.action is Action.STOP and stop.at is None


def test_a_refused_number_stops_at_once():
    assert next_step(POLICY, Outcome.REJECTED, 0, NOW).action is Action.STOP


def test_backoff_grows_and_jitters_within_bounds():
    rng = random.Random(1)
    for attempt in range(1, 10):
        value = backoff(attempt, 1.0, 60.0, rng)
        ceiling = min(60.0, 2 ** (attempt - 1))
        assert ceiling / 2 <= value <= ceiling
