"""The dialer obeys the engine: property tests through the real Dialer, Redis and the emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from dialer_support import MIDDAY, make_dialer, make_emulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import clock
from ivr.cases.sealing import person_ref
from ivr.dialer.compliance import Facts, evaluate
from ivr.dialer.compliance_settings import ComplianceSettings
from ivr.dialer.dnc import DncRecord, DoNotCall
from ivr.dialer.frequency import DAY
from ivr.dialer.office_days import OfficeCalendar
from ivr.dialer.stated_times import StatedTimes

TAXPAYER_CASES = ["ACS-000104", "ACS-000108", "ACS-000109", "ACS-000111"]  # no valid POA: the taxpayer is called
PHONES = ["+12125550100", "+16175550123", "+18085550100", "+19075550100", "+13035550100", "+17875550100"]
CLOSED = date(2026, 12, 8)


@pytest.fixture
def setup(app, redis, keys, sample_data):
    emu = make_emulator(app)
    rules = ComplianceSettings(calendar=OfficeCalendar(frozenset(range(5)), frozenset({CLOSED})))
    dialer = make_dialer(app, emu, compliance=rules)
    yield app, emu, dialer, rules
    dialer.close()
    clock.use(None)


def reset(redis, keys, case_id: str, ref: str) -> None:
    redis.delete(
        keys.contact_calls(ref, "taxpayer"),
        keys.taxpayer_conversations(ref),
        keys.case_stated_times(case_id),
        keys.dnc_numbers(),
        keys.dnc_persons(),
        keys.case_attempts(case_id),
        keys.case_dialing(case_id),
    )
    redis.hdel(keys.dialer_locks(), case_id)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    case_id=st.sampled_from(TAXPAYER_CASES),
    phone=st.sampled_from(PHONES),
    offset=st.floats(0, 14 * DAY).map(int),
    ages=st.lists(st.floats(1, 8 * DAY), max_size=9),
    talked=st.one_of(st.none(), st.floats(1, 9 * DAY)),
    stated=st.sampled_from([StatedTimes(), StatedTimes(time(12)), StatedTimes(None, time(15), frozenset({1, 3}))]),
    listed=st.booleans(),
)
def test_the_dialer_never_places_a_call_the_engine_forbids(
    setup, redis, keys, case_id, phone, offset, ages, talked, stated, listed
):
    app, emu, dialer, rules = setup
    store = app.extensions["acs"].store
    ref = person_ref(store.get_case(case_id).tin)
    reset(redis, keys, case_id, ref)
    at = float(MIDDAY - 3 * DAY + offset)
    redis.hset(keys.case(case_id), "taxpayer_phone", phone)
    calls = tuple(at - age for age in ages)
    if calls:
        redis.zadd(keys.contact_calls(ref, "taxpayer"), {f"AT{n:020d}": t for n, t in enumerate(calls)})
    if talked is not None:
        redis.hset(keys.taxpayer_conversations(ref), "taxpayer", at - talked)
    if stated:
        redis.hset(keys.case_stated_times(case_id), "taxpayer", stated.to_json())
    if listed:
        DoNotCall(redis, keys).add(phone, DncRecord("test", "cli", at - DAY))
    # The engine's verdict from facts built by hand (not by the loader the dialer uses).
    facts = Facts(
        case_id,
        phone,
        calls={"taxpayer": calls},
        conversations={"taxpayer": at - talked} if talked is not None else {},
        stated={"taxpayer": stated},
        dnc_numbers={phone: "listed"} if listed else {},
    )
    expected = evaluate(facts, at, rules)
    before = len(emu.store.calls)
    clock.use(lambda: at)
    report = dialer.dial_cases([case_id])
    placed = len(emu.store.calls) - before
    assert placed == (1 if expected.allowed else 0), expected.reasons
    if expected.allowed:
        (call,) = [c for c in emu.store.calls.values() if c.to == phone][-1:]
        assert call.to == phone
    elif expected.next_allowed is None:
        assert case_id in report.dropped
    else:
        assert report.deferred[case_id] == pytest.approx(expected.next_allowed)


def test_a_skipped_case_records_why_once_a_day_not_every_tick(setup, redis, keys):
    app, emu, dialer, _rules = setup
    saturday = datetime(2026, 12, 5, 17, 0, tzinfo=UTC).timestamp()
    clock.use(lambda: saturday)
    for _ in range(3):
        redis.hdel(keys.dialer_locks(), "ACS-000104")
        report = dialer.dial_cases(["ACS-000104"])
        assert "ACS-000104" in report.deferred
    entries = [e for e in app.extensions["acs"].history.entries("ACS-000104") if e.kind == "call_deferred"]
    assert len(entries) == 1 and "office_days" in entries[0].summary


def test_two_cases_of_one_person_in_one_tick_share_the_count(setup, redis, keys):
    """Reg F counts the person: the batch counts its own calls before deciding the next case of the same person."""
    app, emu, dialer, _rules = setup
    store = app.extensions["acs"].store
    first, second = store.get_case("ACS-000104"), store.get_case("ACS-000108")
    same_person = {
        f: redis.hget(keys.case("ACS-000104"), f) for f in ("tin_kind", "tin_last4", "tin_sealed", "tin_ref")
    }
    redis.hset(keys.case("ACS-000108"), mapping=same_person)
    ref = person_ref(first.tin)
    assert person_ref(store.get_case("ACS-000108").tin) == ref and second.case_id == "ACS-000108"
    at = MIDDAY
    redis.zadd(keys.contact_calls(ref, "taxpayer"), {f"AT{n:020d}": at - DAY - n for n in range(6)})
    clock.use(lambda: at)
    report = dialer.dial_cases(["ACS-000104", "ACS-000108"])
    assert len(report.placed) == 1 and len(report.deferred) == 1
    assert redis.zcard(keys.contact_calls(ref, "taxpayer")) == 7
