"""Per-person compliance records survive a data key rotation, and Reg F holds across workers dialing at once."""

from __future__ import annotations

import threading

import pytest
from dialer_support import MIDDAY, make_dialer, make_emulator

from ivr import clock
from ivr.cases.rekey import Rekey
from ivr.cases.sealing import DataKey, TinSeal, install, person_ref
from ivr.cases.store import Store
from ivr.data_key import generate_key, parse_key
from ivr.dialer import facts
from ivr.dialer.compliance_settings import ComplianceSettings
from ivr.dialer.dnc import DncRecord, DoNotCall
from ivr.dialer.frequency import DAY
from ivr.dialer.persons import CallCounts, Reservation, read_refs
from ivr.sample_data import load_sample_data

AT = MIDDAY
CANDIDATES = ["ACS-000104", "ACS-000108", "ACS-000109", "ACS-000111"]  # no valid POA: the taxpayer is called


def seal_of(*texts: str) -> TinSeal:
    keys = [DataKey(parse_key(text, "key")) for text in texts]
    return TinSeal(keys[0], keys[1] if len(keys) > 1 else None)


def verdicts(redis, keys, case_ids) -> dict[str, tuple[bool, list[str]]]:
    rules = ComplianceSettings()
    out = {}
    for case_id in case_ids:
        decision = facts.decide_case(redis, keys, case_id, AT, rules)
        out[case_id] = (decision.allowed, decision.failed)
    return out


def test_a_key_rotation_resets_no_count_no_quiet_week_and_no_stop_request(redis, keys, config_overrides):
    DATA_KEY = config_overrides["ACS_DATA_KEY"]  # noqa: N806 - the tests' data key, before the rotation
    install(seal_of(DATA_KEY))
    load_sample_data(redis, keys)
    store = Store(redis, keys)
    counted, talked, stopped, control = CANDIDATES
    tins = {case_id: store.get_case(case_id).tin for case_id in CANDIDATES}
    assert len({t.digits for t in tins.values()}) == 4  # four different people
    assert all(allowed for allowed, _ in verdicts(redis, keys, CANDIDATES).values())

    # Seven calls in the week (through the dialer's reservation), a conversation two days ago, a stop request.
    calls = CallCounts(redis, keys)
    for n in range(7):
        refused = calls.reserve([Reservation(read_refs(tins[counted]), "taxpayer", f"AT{n:020d}", AT - DAY - n, n)], AT)
        assert not refused
    conversations = facts.conversations_key(keys, talked, redis.hgetall(keys.case(talked)))
    redis.hset(conversations, "taxpayer", f"{AT - 2 * DAY:.3f}")  # as the call outcome's script notes it
    DoNotCall(redis, keys).stop_person(person_ref(tins[stopped]), DncRecord("alice", "console", AT - DAY))
    old_refs = {case_id: person_ref(tin) for case_id, tin in tins.items()}

    def expect_forbidden(when: str) -> None:
        seen = verdicts(redis, keys, CANDIDATES)
        assert not seen[counted][0] and "frequency" in seen[counted][1], when  # the 8th call in 7 days
        assert not seen[talked][0] and "frequency" in seen[talked][1], when  # the quiet week after a conversation
        assert not seen[stopped][0] and "do_not_call" in seen[stopped][1], when
        assert seen[control][0], when

    expect_forbidden("before the rotation")
    old, new = DATA_KEY, generate_key()
    rotating = seal_of(new, old)
    install(rotating)  # every process now writes under the new key and reads both
    expect_forbidden("new key loaded, nothing moved yet")
    rekey = Rekey(redis, keys, rotating, chunk=10)
    rekey._case_chunk(0)
    expect_forbidden("rekey midway")
    report = rekey.run()
    assert report.persons >= 1 and "compliance records" in report.summary()
    expect_forbidden("rekey done, old key still loaded")
    for case_id in (counted, talked, stopped):
        old_ref = old_refs[case_id]
        assert not redis.exists(keys.contact_calls(old_ref, "taxpayer"), keys.taxpayer_conversations(old_ref))
        assert not redis.hexists(keys.dnc_persons(), old_ref) and not redis.exists(keys.taxpayer_called(old_ref))
    install(seal_of(new))  # the old key retired
    expect_forbidden("old key retired")
    assert redis.zcard(keys.contact_calls(person_ref(tins[counted]), "taxpayer")) == 7
    assert redis.ttl(keys.contact_calls(person_ref(tins[counted]), "taxpayer")) > 30 * DAY


def test_reads_during_a_rotation_merge_records_under_both_keys(redis, keys, config_overrides):
    """A call written under the new key and six left under the old one still make seven."""
    DATA_KEY = config_overrides["ACS_DATA_KEY"]  # noqa: N806
    install(seal_of(DATA_KEY))
    load_sample_data(redis, keys)
    tin = Store(redis, keys).get_case("ACS-000104").tin
    calls = CallCounts(redis, keys)
    for n in range(6):
        calls.reserve([Reservation(read_refs(tin), "taxpayer", f"AT{n:020d}", AT - DAY - n, n)], AT)
    install(seal_of(generate_key(), DATA_KEY))
    assert len(read_refs(tin)) == 2
    assert not calls.reserve([Reservation(read_refs(tin), "taxpayer", "AT-new", AT - DAY, 6)], AT)
    assert calls.reserve([Reservation(read_refs(tin), "taxpayer", "AT-stale", AT, 6)], AT) == {"AT-stale"}
    allowed, failed = verdicts(redis, keys, ["ACS-000104"])["ACS-000104"]
    assert not allowed and "frequency" in failed


@pytest.fixture
def two_workers(app, redis, keys, sample_data, monkeypatch):
    """Two dialers (as two worker processes would be) whose ticks both read the facts before either writes."""
    emu = make_emulator(app)
    dialers = [make_dialer(app, emu), make_dialer(app, emu)]
    both_read = threading.Barrier(2, timeout=10)
    real_load = facts.load

    def load_then_wait(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        if threading.current_thread() is not threading.main_thread():
            both_read.wait()
        return loaded

    monkeypatch.setattr(facts, "load", load_then_wait)
    clock.use(lambda: AT)
    yield emu, dialers
    clock.use(None)
    for dialer in dialers:
        dialer.close()


def test_two_workers_dialing_two_cases_of_one_person_at_once_place_one_call(two_workers, app, redis, keys):
    emu, dialers = two_workers
    first, second = "ACS-000104", "ACS-000108"
    same_person = {f: redis.hget(keys.case(first), f) for f in ("tin_kind", "tin_last4", "tin_sealed", "tin_ref")}
    redis.hset(keys.case(second), mapping=same_person)
    ref = person_ref(app.extensions["acs"].store.get_case(first).tin)
    redis.zadd(keys.contact_calls(ref, "taxpayer"), {f"AT{n:020d}": AT - DAY - n for n in range(6)})  # limit - 1
    reports = {}

    def tick(dialer, case_id):
        reports[case_id] = dialer.dial_cases([case_id])

    threads = [threading.Thread(target=tick, args=pair) for pair in zip(dialers, (first, second), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    placed = sum(len(report.placed) for report in reports.values())
    deferred = [case_id for case_id, report in reports.items() if case_id in report.deferred]
    assert placed == 1 and len(deferred) == 1, reports
    assert redis.zcard(keys.contact_calls(ref, "taxpayer")) == 7
    # The refused case is due again now; its next tick sees the seventh call and the engine defers it for days.
    (late,) = deferred
    again = facts.decide_case(redis, keys, late, AT)
    assert not again.allowed and "frequency" in again.failed
    assert dialers[0].attempts.for_case(late) == []  # no attempt was ever opened for it
