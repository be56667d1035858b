"""`acs worker` SIGKILLed halfway through a paced batch (issue 9 §2, "SIGKILL mid-tick").

Before: the attempts never sent to Twilio were written 15 min later as "Twilio never confirmed it; treated as
unanswered" and retried 2 h later. Now an attempt with no call behind it is recorded as not placed and dialed again
at once; the calls that did go out are recorded once, by their status callbacks or by reconciliation.
"""

from __future__ import annotations

from fault_support import wait_for

CASES = 10


def test_attempts_never_sent_are_not_placed_and_redialed_at_once(office):
    case_ids = sorted(office.redis.smembers(office.keys.case_ids()))[:CASES]
    office.env["ACS_MAX_CPS"] = "5"  # ten calls paced over 2 s: the kill lands in the middle
    office.env["ACS_DIALER_TICK_SECONDS"] = "2"
    office.make_due(case_ids)
    worker = office.worker()
    wait_for(lambda: len(office.calls()) >= 3, 20, 0.05, "the first calls of the batch")
    worker.kill_group()
    sent_before_kill = len(office.calls())
    assert sent_before_kill < CASES

    office.worker()

    def settled() -> bool:
        every = [office.attempts(cid) for cid in case_ids]
        return all(a and all(x["state"] == "final" for x in a) and a[-1].get("call_sid") for a in every)

    wait_for(settled, 60, 0.5, "every case to have a finished call")
    calls = office.calls()
    assert len(calls) == CASES, "each case called exactly once"
    not_placed = 0
    for case_id in case_ids:
        attempts = office.attempts(case_id)  # a not-placed attempt leaves the 7-in-7 count: only calls are listed
        assert len(attempts) == 1 and attempts[0]["call_sid"], attempts
        history = office.history(case_id)
        assert not any("treated as unanswered" in line for line in history), history
        not_placed += sum("not placed" in line for line in history)
        # The not-placed attempt did not count as an unanswered try.
        unanswered = office.redis.hget(office.keys.case_dialing(case_id), "unanswered")
        assert unanswered in (None, "0", "1")
    assert not_placed == CASES - sent_before_kill
    print(f"sent before the kill: {sent_before_kill}; recorded not placed and redialed: {not_placed}")
