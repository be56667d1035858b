"""The dialer's batch against the emulator: every call goes through the twilio SDK into emulator.RestApi."""

from __future__ import annotations

import threading
import time

import pytest
from dialer_support import MIDDAY, MORNING_EAST, emulator_clock, make_dialer, make_emulator

from emulator.parties import AnsweringMachine, InvalidNumber, NoAnswerLine
from ivr import clock
from ivr.cases.crn import spoken
from ivr.cases.sealing import person_ref
from ivr.dialer.placing import CallRequest, Failure, PlacementError
from ivr.dialer.policy import DAY, HOUR


def calls_to(emu, phone: str) -> list:
    return [record for record in emu.store.calls.values() if record.to == phone]


def practitioner_phone(app, caf: str) -> str:
    return app.extensions["acs"].store.get_practitioner(caf).phone


def taxpayer_phone(app, case_id: str) -> str:
    return app.extensions["acs"].store.get_case(case_id).taxpayer_phone


def history(app, case_id: str, kind: str | None = None):
    return [e for e in app.extensions["acs"].history.entries(case_id) if kind in (None, e.kind)]


@pytest.mark.parametrize(
    ("case_id", "caf"),
    [
        ("ACS-000105", "1279-04006R"),  # two 2848s from the same practitioner
        ("ACS-000106", "2700-60143R"),  # the most recently received wins over the lower CAF
        ("ACS-000107", "0973-71420R"),  # same day: lowest CAF
        ("ACS-000110", "1385-11463"),  # the newer 2848 is revoked
        ("ACS-000112", "9122-81942"),  # a newer 8821 never makes its holder the contact
    ],
)
def test_the_valid_poa_practitioner_is_called(app, emu, dialer, case_id, caf):
    report = dialer.dial_cases([case_id])
    assert len(report.placed) == 1
    assert len(calls_to(emu, practitioner_phone(app, caf))) == 1
    assert not calls_to(emu, taxpayer_phone(app, case_id))


@pytest.mark.parametrize("case_id", ["ACS-000104", "ACS-000108", "ACS-000109", "ACS-000111"])
def test_without_a_valid_poa_the_taxpayer_is_called(app, emu, dialer, case_id):
    report = dialer.dial_cases([case_id])
    (attempt_id,) = report.placed
    assert len(calls_to(emu, taxpayer_phone(app, case_id))) == 1
    attempt = dialer.attempts.get(attempt_id)
    assert attempt.contact == "taxpayer" and attempt.crn == dialer.store.crns_for_case(case_id)["taxpayer"]


def test_the_call_carries_the_webhooks_events_timeout_and_amd(app, emu, dialer):
    report = dialer.dial_cases(["ACS-000101"])
    ((attempt_id, sid),) = report.placed.items()
    leg = emu.legs[sid]
    assert leg.callbacks.extra["url"] == f"https://acs.example.test/voice/outbound/answer?attempt={attempt_id}"
    assert leg.callbacks.status_url == f"https://acs.example.test/voice/outbound/status?attempt={attempt_id}"
    # The outcome only: no `initiated` (the REST answer names the CallSid, and reconciliation finds a call whose
    # answer was lost in Twilio's call list); `answered` only for predictive pacing (test_paced).
    assert leg.callbacks.status_events == {"completed"}
    assert leg.callbacks.machine_detection == "DetectMessageEnd"
    assert leg.callbacks.timeout >= 15
    assert leg.record.from_ == "+12025550100"


def test_voicemail_then_the_same_crn_on_the_next_attempt(app, emu, dialer):
    emu.assign(practitioner_phone(app, "0401-23456R"), AnsweringMachine("A"))
    first = dialer.dial_cases(["ACS-000101"])
    emu.run(until=emu.engine.now() + 300)
    (entry,) = history(app, "ACS-000101", "call_out")
    assert entry.detail["outcome"] == "voicemail"
    crn = dialer.attempts.get(next(iter(first.placed))).crn
    assert spoken(crn) in " ".join(emu.legs[next(iter(first.placed.values()))].recorded)
    second = dialer.dial_cases(["ACS-000101"])
    assert dialer.attempts.get(next(iter(second.placed))).crn == crn


def test_a_tick_takes_only_due_cases_and_schedules_by_outcome(app, emu, dialer, redis, keys):
    redis.delete(keys.cases_due())
    redis.zadd(keys.cases_due(), {"ACS-000101": 0, "ACS-000102": MIDDAY + HOUR})
    emu.assign(practitioner_phone(app, "0401-23456R"), NoAnswerLine("A"))
    report = dialer.tick()
    assert report.claimed == ["ACS-000101"]
    emu.run(until=emu.engine.now() + 120)
    assert history(app, "ACS-000101", "call_out")[0].detail["outcome"] == "no-answer"
    assert redis.zscore(keys.cases_due(), "ACS-000101") == pytest.approx(MIDDAY + 2 * HOUR, abs=120)
    assert report.next_due == MIDDAY + HOUR  # before the retry was written


def test_a_callee_outside_their_hours_is_deferred_to_the_next_allowed_moment(app, redis, keys, sample_data):
    emu = make_emulator(app, at=MORNING_EAST)
    clock.use(emulator_clock(emu))
    try:
        report = make_dialer(app, emu).dial_cases(["ACS-000103"])  # Honolulu, 04:00 local
    finally:
        clock.use(None)
    assert not report.placed and not emu.store.calls
    assert report.deferred["ACS-000103"] == MORNING_EAST + 4 * HOUR  # 08:00 HST
    assert redis.zscore(keys.cases_due(), "ACS-000103") == MORNING_EAST + 4 * HOUR
    assert "outside 08:00–21:00" in history(app, "ACS-000103", "call_deferred")[0].summary
    assert not redis.hexists(keys.dialer_locks(), "ACS-000103")


def test_a_call_whose_slot_comes_after_the_callees_hours_is_deferred_not_placed(app, redis, keys, sample_data):
    """A tick checks the window when it plans, but places on paced slots: the check must hold at the slot too."""
    nine_pm_new_york = MIDDAY + 6 * HOUR
    emu = make_emulator(app, at=nine_pm_new_york - 5)
    manual = clock.ManualClock(nine_pm_new_york - 5)
    dialer = make_dialer(app, emu)

    class SlowTwilio:  # each REST request takes 10 s of the clock
        def __init__(self, real):
            self.real = real

        def place(self, call: CallRequest) -> str:
            manual.advance(10)
            return self.real.place(call)

    dialer.placer = SlowTwilio(dialer.placer)
    clock.use(manual)
    try:
        report = dialer.dial_cases(["ACS-000104", "ACS-000111"])  # two taxpayers in New York
    finally:
        clock.use(None)
        dialer.close()
    assert len(report.placed) == 1 and len(emu.store.calls) == 1
    (called,) = {dialer.attempts.get(a).case_id for a in report.placed}
    (deferred,) = {"ACS-000104", "ACS-000111"} - {called}
    assert redis.zscore(keys.cases_due(), deferred) == MIDDAY + 17 * HOUR  # 08:00 New York
    assert not redis.hexists(keys.dialer_locks(), deferred)
    assert not calls_to(emu, taxpayer_phone(app, deferred))


def tin_ref(app, case_id: str) -> str:
    return person_ref(app.extensions["acs"].store.get_case(case_id).tin)


def test_seven_attempts_in_seven_days_then_wait(app, emu, dialer, redis, keys):
    calls = keys.contact_calls(tin_ref(app, "ACS-000101"), "0401-23456R")  # per person per debt, not per case
    redis.zadd(calls, {f"AT{n:020d}": MIDDAY - n * DAY + 60 for n in range(7)})
    report = dialer.dial_cases(["ACS-000101"])
    assert not report.placed
    # The oldest of the seven (6 days ago) leaves the window tomorrow: due then, inside the window.
    assert report.deferred["ACS-000101"] == pytest.approx(MIDDAY + DAY + 60)


def test_quiet_for_seven_days_after_a_conversation(app, emu, dialer, redis, keys):
    redis.hset(keys.taxpayer_conversations(tin_ref(app, "ACS-000101")), "0401-23456R", MIDDAY - 2 * DAY)
    report = dialer.dial_cases(["ACS-000101"])
    assert not report.placed and report.deferred["ACS-000101"] == MIDDAY + 5 * DAY


def test_the_per_case_lock_keeps_a_second_worker_off_the_case(app, emu, dialer):
    assert dialer.attempts.claim(MIDDAY, 1, 3600, "other-worker", case_ids=["ACS-000101"]) == ["ACS-000101"]
    assert dialer.dial_cases(["ACS-000101"]).claimed == []
    assert not emu.store.calls


def test_concurrent_workers_never_call_a_case_twice(app, emu, redis, keys, virtual_clock, sample_data):
    workers = [make_dialer(app, emu, batch_size=7, tick_seconds=1000.0) for _ in range(4)]
    due = redis.zcard(keys.cases_due())
    threads = [threading.Thread(target=lambda d=d: [d.tick() for _ in range(5)]) for d in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    attempts = [a for case_id in redis.smembers(keys.case_ids()) for a in workers[0].attempts.for_case(case_id)]
    assert len({a.case_id for a in attempts}) == len(attempts)
    assert len(emu.store.calls) == len(attempts) <= due
    for d in workers:
        d.close()


def test_twilio_busy_signals_are_retried_and_the_attempt_is_sent_once(app, emu, dialer):
    emu.faults.fail_next("calls.create", count=2, status=429)
    report = dialer.dial_cases(["ACS-000101"])
    (attempt_id,) = report.retrying
    assert dialer.attempts.get(attempt_id).state == "pending"
    with pytest.raises(PlacementError) as raised:
        dialer.resend(attempt_id)
    assert raised.value.failure is Failure.TRANSIENT
    assert dialer.resend(attempt_id) == "placed"
    assert dialer.resend(attempt_id) == "skipped"
    assert len(emu.store.calls) == 1


def test_a_resend_that_would_fall_outside_the_callees_hours_is_deferred_not_placed(app, emu, dialer, redis, keys):
    emu.faults.fail_next("calls.create", count=1, status=429)
    (attempt_id,) = dialer.dial_cases(["ACS-000101"]).retrying  # 15:00 in New York
    late = MIDDAY + 7 * HOUR  # 22:00 in New York: RQ's backoff brought the resend past the window
    clock.use(lambda: late)
    assert dialer.resend(attempt_id) == "deferred"
    assert not emu.store.calls
    attempt = dialer.attempts.get(attempt_id)
    assert attempt.state == "final" and attempt.outcome == "deferred"
    assert redis.zscore(keys.cases_due(), "ACS-000101") == MIDDAY + 17 * HOUR  # 08:00 New York
    assert not redis.hexists(keys.dialer_locks(), "ACS-000101")
    assert dialer.attempts.dialing_state("ACS-000101").get("unanswered", "0") == "0"


def test_a_5xx_is_transient_too(app, emu, dialer):
    emu.faults.fail_next("calls.create", count=1, status=503)
    assert len(dialer.dial_cases(["ACS-000101"]).retrying) == 1


def test_an_invalid_number_is_recorded_flagged_and_never_retried(app, emu, dialer, redis, keys):
    emu.assign(practitioner_phone(app, "0401-23456R"), InvalidNumber())
    report = dialer.dial_cases(["ACS-000101"])
    assert len(report.rejected) == 1 and not report.retrying
    assert redis.zscore(keys.cases_due(), "ACS-000101") is None
    assert "21211" in redis.hget(keys.dialer_flagged(), "ACS-000101")
    (entry,) = history(app, "ACS-000101", "call_out")
    assert entry.detail["outcome"] == "rejected" and "flagged" in entry.summary
    assert not redis.hexists(keys.dialer_locks(), "ACS-000101")


def test_a_worker_killed_after_twilio_accepted_never_causes_a_second_call(app, emu, dialer, redis, keys):
    """The worker opened the attempt and Twilio accepted the call, then the worker died before writing it down."""

    class DiesAfterSending:
        def __init__(self, real):
            self.real = real

        def place(self, call: CallRequest) -> str:
            self.real.place(call)
            raise PlacementError(Failure.UNKNOWN, "worker killed")

    redis.delete(keys.cases_due())
    redis.zadd(keys.cases_due(), {"ACS-000101": 0})
    crashing = make_dialer(app, emu)
    crashing.placer = DiesAfterSending(crashing.placer)
    report = crashing.dial_cases(["ACS-000101"])
    (attempt_id,) = report.unknown
    # Retrying the attempt, another tick, a forced dial: none of them sends it again.
    assert dialer.resend(attempt_id) == "skipped"
    assert dialer.tick().placed == {}
    assert dialer.dial_cases(["ACS-000101"]).claimed == []
    assert len(emu.store.calls) == 1
    # Twilio's status callback still settles the attempt, with the CallSid the worker never saw.
    emu.run(until=emu.engine.now() + 300)
    attempt = dialer.attempts.get(attempt_id)
    assert attempt.state == "final" and attempt.call_sid == next(iter(emu.store.calls))
    assert not redis.zscore(keys.attempts_placing(), attempt_id)
    crashing.close()


def test_an_attempt_nobody_ever_confirms_is_reaped(app, emu, dialer, redis, keys, virtual_clock):
    crashing = make_dialer(app, emu)

    class Vanishes:
        def place(self, call):
            raise PlacementError(Failure.UNKNOWN, "connection reset")

    crashing.placer = Vanishes()
    (attempt_id,) = crashing.dial_cases(["ACS-000101"]).unknown
    assert dialer.reap(MIDDAY + 60) == 0
    assert dialer.reap(MIDDAY + 3600) == 1
    assert dialer.attempts.get(attempt_id).outcome == "unconfirmed"
    assert redis.zscore(keys.cases_due(), "ACS-000101") == pytest.approx(MIDDAY + 3600 + 2 * HOUR)


def test_a_reap_reads_a_bounded_batch_of_stale_attempts(dialer, redis, keys):
    """Thousands of attempts left in `placing` (a crash under load) are settled a batch per tick, never all at once."""
    redis.zadd(keys.attempts_placing(), {f"AT{n:020d}": MIDDAY - 7200 for n in range(5)})
    assert len(dialer.attempts.stale_placing(MIDDAY, limit=2)) == 2
    assert dialer.reap(MIDDAY) == 5  # unknown ids are dropped; default batch covers them
    assert redis.zcard(keys.attempts_placing()) == 0


def test_bad_data_never_crashes_a_tick(app, emu, dialer, redis, keys):
    redis.hset(keys.case("BROKEN-1"), "case_type", "NOT_A_TYPE")
    redis.hset(keys.case("ACS-000101"), "status", "closed")
    redis.hset(keys.case("ACS-000104"), "taxpayer_phone", "+1555")
    redis.hset(keys.taxpayer_conversations(tin_ref(app, "ACS-000105")), "1279-04006R", "yesterday-ish")
    redis.delete(keys.cases_due())
    due = {"BROKEN-1": 0, "GHOST-1": 0, "ACS-000101": 0, "ACS-000104": 0, "ACS-000102": 0, "ACS-000105": 0}
    redis.zadd(keys.cases_due(), due)
    report = dialer.tick()
    assert set(report.dropped) == {"BROKEN-1", "GHOST-1", "ACS-000101", "ACS-000105"}
    assert len(report.placed) == 1 and len(report.rejected) == 1
    assert redis.zcard(keys.cases_due()) == 1  # only ACS-000102, awaiting its outcome
    assert "unreadable" in redis.hget(keys.dialer_flagged(), "BROKEN-1")


def test_an_unreadable_authorization_never_sends_the_call_to_the_taxpayer(app, emu, dialer, redis, keys):
    """With a POA on file the taxpayer must not be called directly: a record we cannot read flags the case."""
    case = dialer.store.get_case("ACS-000101")
    for authorization_id in redis.smembers(keys.taxpayer_authorizations(dialer.store.seal.ref(case.tin.digits))):
        redis.hset(keys.authorization(authorization_id), "received", "last spring")
    report = dialer.dial_cases(["ACS-000101"])
    assert not report.placed and not emu.store.calls
    assert "authorization" in report.dropped["ACS-000101"]
    assert "authorization" in redis.hget(keys.dialer_flagged(), "ACS-000101")
    assert not redis.hexists(keys.dialer_locks(), "ACS-000101")


def test_the_calls_per_second_ceiling_is_shared_through_redis(dialer, redis):
    now = MIDDAY
    first = dialer.attempts.reserve_slots(now, 5, 10.0)
    second = dialer.attempts.reserve_slots(now, 5, 10.0)
    third = dialer.attempts.reserve_slots(now + 100, 1, 10.0)
    assert first == now and second == pytest.approx(now + 0.5) and third == now + 100


def test_a_batch_keeps_to_the_cps_ceiling_beyond_the_wait_cap(app, emu, virtual_clock, sample_data, monkeypatch):
    """The cap guards against another worker's skewed clock; it must not let a batch's own later slots bunch up."""
    monkeypatch.setattr("ivr.dialer.batch.MAX_SLOT_WAIT_SECONDS", 0.01)
    paced = make_dialer(app, emu, max_cps=50.0, concurrency=8)
    sent: list[float] = []

    class Recording:
        def __init__(self, real):
            self.real = real

        def place(self, call: CallRequest) -> str:
            sent.append(time.monotonic())
            return self.real.place(call)

    paced.placer = Recording(paced.placer)
    cases = ["ACS-000101", "ACS-000102", "ACS-000104", "ACS-000105", "ACS-000106", "ACS-000108", "ACS-000109"]
    started = time.monotonic()
    try:
        assert len(paced.dial_cases(cases).placed) == len(cases)
    finally:
        paced.close()
    # A lower bound from before the batch reserved its slots (sleeps never end early). Measured from the first call
    # instead, a first thread the scheduler ran late shrank the span and failed the test on a loaded machine.
    assert max(sent) - started >= (len(cases) - 1) / 50.0 * 0.99


@pytest.mark.parametrize("cps", ["0", "-1", "nan"])
def test_a_calls_per_second_ceiling_that_cannot_pace_is_a_clear_error(cps):
    from ivr.config import Config
    from ivr.dialer.batch import DialerSettings

    with pytest.raises(ValueError, match="ACS_MAX_CPS"):
        DialerSettings.from_config(Config.from_env({"ACS_MAX_CPS": cps}))


def test_a_tick_never_takes_more_than_the_cps_ceiling_allows(app, emu, redis, keys, virtual_clock, sample_data):
    slow = make_dialer(app, emu, max_cps=1.0, tick_seconds=3.0, batch_size=100)
    assert slow.settings.tick_limit() == 3
    slow.close()


def test_a_status_callback_that_beats_the_worker_keeps_its_outcome(app, emu, dialer, redis, keys):
    from ivr.dialer.attempts import Attempt
    from ivr.dialer.outcomes import WRITTEN, record_call_end
    from ivr.dialer.policy import Policy

    attempt = Attempt("AT" + "c" * 20, "ACS-000101", "taxpayer", "taxpayer", "+12025550104", "4012345675", "", MIDDAY)
    pipe = redis.pipeline()
    dialer.attempts.create(pipe, attempt, MIDDAY)
    pipe.execute()
    sid = "CA" + "d" * 32
    assert record_call_end(dialer.attempts, Policy(), attempt.attempt_id, "busy", "", sid, MIDDAY) == WRITTEN
    dialer.attempts.placed(attempt.attempt_id, sid)  # the worker's write arrives second
    stored = dialer.attempts.get(attempt.attempt_id)
    assert stored.state == "final" and stored.outcome == "busy" and stored.call_sid == sid
    assert not redis.zscore(keys.attempts_placing(), attempt.attempt_id)


@pytest.mark.parametrize(("at_open", "now"), [(2, 2), (2, 5), (None, 5)])
def test_an_unanswered_call_counts_on_the_streak_the_case_has_when_it_ends(app, dialer, redis, keys, at_open, now):
    """The attempt notes the streak it was opened on, saving a read; if the streak moved meanwhile (or was not
    noted), the outcome is judged again on the one written now."""
    from dataclasses import replace

    from ivr.dialer.attempts import Attempt
    from ivr.dialer.outcomes import WRITTEN, record_call_end
    from ivr.dialer.policy import Policy

    attempt = Attempt("AT" + "e" * 20, "ACS-000101", "taxpayer", "taxpayer", "+12025550104", "4012345675", "", MIDDAY)
    attempt = replace(attempt, unanswered_at_open=at_open)
    pipe = redis.pipeline()
    dialer.attempts.create(pipe, attempt, MIDDAY)
    pipe.execute()
    redis.hset(keys.case_dialing(attempt.case_id), "unanswered", str(now))
    stored = dialer.attempts.get(attempt.attempt_id)
    assert stored.unanswered_at_open == at_open
    written = record_call_end(dialer.attempts, Policy(), attempt.attempt_id, "no-answer", "", "CA" + "f" * 32, MIDDAY)
    assert written == WRITTEN
    assert redis.hget(keys.case_dialing(attempt.case_id), "unanswered") == str(now + 1)
    assert dialer.attempts.get(attempt.attempt_id).state == "final"


def test_a_crn_draw_that_hits_a_number_taken_still_opens_the_attempt_with_a_fresh_one(
    app, emu, dialer, redis, keys, monkeypatch
):
    """The batch's one write round trip opens attempts whose CRN was issued; one whose draw hit a number already
    taken is drawn again and opened after, with that CRN (the rare path)."""
    from ivr.cases import crn as crn_rules
    from ivr.dialer.attempts import utc_day

    taken = app.extensions["acs"].store.issue_crn("ACS-000999", "taxpayer")
    draws = iter([taken, crn_rules.new_crn()])
    monkeypatch.setattr(crn_rules, "new_crn", lambda: next(draws))
    report = dialer.dial_cases(["ACS-000103"])
    ((attempt_id, _sid),) = report.placed.items()
    attempt = dialer.attempts.get(attempt_id)
    issued = redis.hgetall(keys.case_crns("ACS-000103"))
    assert attempt.crn != taken and list(issued.values()) == [attempt.crn]
    assert attempt.state in ("placed", "final") and dialer.attempts.day_counts(utc_day(MIDDAY))["opened"] == 1
