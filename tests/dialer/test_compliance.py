"""The compliance engine over plain facts: each rule, the explanation, and next_allowed as the FIRST allowed instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.cases.poa import Authorization
from ivr.dialer.compliance import RULES, Facts, PractitionerFacts, allows, context, evaluate, screen
from ivr.dialer.compliance_settings import ComplianceSettings
from ivr.dialer.frequency import DAY
from ivr.dialer.office_days import OfficeCalendar
from ivr.dialer.stated_times import StatedTimes, parse

NEW_YORK, BOSTON, HONOLULU, ALASKA_SPLIT, GUAM = (
    "+12125550100",
    "+16175550123",
    "+18085550100",
    "+19075550100",
    "+16715550100",
)
PHONES = [
    NEW_YORK,
    BOSTON,
    HONOLULU,
    ALASKA_SPLIT,
    GUAM,
    "+13125550100",
    "+16025550100",
    "+17875550100",
    "+15555550101",
]
HOUR = 3600


def utc(*args) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


WEDNESDAY_NOON_NY = utc(2026, 12, 2, 17, 0)


def rule(decision, name):
    (found,) = [r for r in decision.rules if r.rule == name]
    return found


def test_an_ordinary_case_may_be_called_and_says_why():
    decision = evaluate(Facts("C1", NEW_YORK), WEDNESDAY_NOON_NY)
    assert decision.allowed and decision.next_allowed == WEDNESDAY_NOON_NY
    shown = decision.to_dict()
    assert shown["contact"] == {"kind": "taxpayer", "name": "the taxpayer", "phone": "•••0100"}
    assert {r["rule"] for r in shown["rules"]} >= {"calling_window", "office_days", "frequency", "do_not_call"}
    assert "0100" in str(shown) and "2125550100" not in str(shown)


def test_calling_window_in_callee_local_time_every_zone():
    early = utc(2026, 12, 2, 12, 59)  # 07:59 in New York
    decision = evaluate(Facts("C1", NEW_YORK), early)
    assert not decision.allowed and decision.next_allowed == utc(2026, 12, 2, 13, 0)
    # Adak and Anchorage: the later zone's 08:00 opens the window.
    assert evaluate(Facts("C1", ALASKA_SPLIT), utc(2026, 12, 2, 17, 30)).next_allowed == utc(2026, 12, 2, 18, 0)


def test_federal_holidays_weekends_and_closed_dates():
    thanksgiving = utc(2026, 11, 26, 17, 0)
    decision = evaluate(Facts("C1", NEW_YORK), thanksgiving)
    assert "Thanksgiving" in rule(decision, "office_days").detail
    assert decision.next_allowed == utc(2026, 11, 27, 13, 0)  # Friday 08:00 New York
    saturday = utc(2026, 12, 5, 17, 0)
    assert evaluate(Facts("C1", NEW_YORK), saturday).next_allowed == utc(2026, 12, 7, 13, 0)
    closed = ComplianceSettings(calendar=OfficeCalendar.parse("mon-sat", "2026-12-07"))
    assert evaluate(Facts("C1", NEW_YORK), saturday, closed).allowed
    assert evaluate(Facts("C1", NEW_YORK), utc(2026, 12, 7, 17, 0), closed).next_allowed == utc(2026, 12, 8, 13, 0)


def test_reg_f_counts_the_person_not_the_case_and_the_representative_separately():
    calls = {"taxpayer": tuple(WEDNESDAY_NOON_NY - n * HOUR - 60 for n in range(7))}
    decision = evaluate(Facts("C1", NEW_YORK, calls=calls), WEDNESDAY_NOON_NY)
    assert not rule(decision, "frequency").ok and "1006.14" in rule(decision, "frequency").detail
    poa = Authorization("0401-23456R", "ref", "2848", frozenset({"1040:2022"}), date(2026, 1, 2))
    represented = Facts(
        "C1", NEW_YORK, periods=("1040:2022",), authorizations=(poa,),
        practitioners={"0401-23456R": PractitionerFacts("Pat Doe", HONOLULU)}, calls=calls,
    )  # fmt: skip
    decision = evaluate(represented, utc(2026, 12, 2, 20, 0))
    assert decision.allowed and decision.contact.kind == "practitioner" and decision.contact.phone == HONOLULU
    assert "practitioner is called, not the taxpayer" in rule(decision, "represented").detail


def test_massachusetts_two_calls_in_seven_days():
    calls = {"taxpayer": (WEDNESDAY_NOON_NY - DAY, WEDNESDAY_NOON_NY - 2 * DAY)}
    decision = evaluate(Facts("C1", BOSTON, calls=calls), WEDNESDAY_NOON_NY)
    assert not rule(decision, "state_frequency").ok and "940 CMR 7.04" in rule(decision, "state_frequency").detail
    assert rule(decision, "frequency").ok
    assert decision.next_allowed == WEDNESDAY_NOON_NY + 5 * DAY  # Monday, an office day


def test_do_not_call_stop_requests_and_wrong_numbers_are_never():
    for facts in (
        Facts("C1", NEW_YORK, dnc_numbers={NEW_YORK: "by callee via keypad"}),
        Facts("C1", NEW_YORK, stop_person="by jdoe via console"),
        Facts("C1", NEW_YORK, wrong_numbers={NEW_YORK: "by jdoe via outcome"}),
        Facts("C1", NEW_YORK, is_open=False),
    ):
        decision = evaluate(facts, WEDNESDAY_NOON_NY)
        assert not decision.allowed and decision.next_allowed is None


def test_stated_inconvenient_times_are_obeyed():
    stated = {"taxpayer": parse("not before noon; never on Wednesdays")}
    decision = evaluate(Facts("C1", NEW_YORK, stated=stated), utc(2026, 12, 2, 15, 0))  # Wed 10:00
    assert "never on Wednesdays" in rule(decision, "stated_times").detail
    assert decision.next_allowed == utc(2026, 12, 3, 17, 0)  # Thursday noon in New York


def test_parsing_stated_times():
    assert parse("not before 9am, not after 5:30 pm") == StatedTimes(time(9), time(17, 30))
    assert parse("never on weekends").never_days == {5, 6}
    for bad in ("sometimes", "not before 25:00", "not before 6pm; not after 9am"):
        try:
            parse(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")


# --- properties ----------------------------------------------------------------------------------------------
start = utc(2026, 1, 1)
instants = st.floats(min_value=start, max_value=start + 365 * DAY, allow_nan=False).map(lambda t: float(int(t)))


@st.composite
def facts_and_time(draw):
    at = draw(instants)
    phone = draw(st.sampled_from(PHONES))
    calls = tuple(at - draw(st.floats(0, 8 * DAY)) for _ in range(draw(st.integers(0, 9))))
    conversation = at - draw(st.floats(0, 9 * DAY)) if draw(st.booleans()) else None
    stated = StatedTimes(
        draw(st.sampled_from([None, time(10), time(12, 30)])),
        draw(st.sampled_from([None, time(15), time(20, 45)])),
        frozenset(draw(st.sets(st.integers(0, 6), max_size=3))),
    )
    closed = {datetime.fromtimestamp(at + d * DAY, UTC).date() for d in draw(st.sets(st.integers(0, 10), max_size=3))}
    settings = ComplianceSettings(
        calendar=OfficeCalendar(frozenset(draw(st.sets(st.integers(0, 6), min_size=1))), frozenset(closed))
    )
    facts = Facts(
        "C1",
        phone,
        calls={"taxpayer": calls},
        conversations={"taxpayer": conversation} if conversation is not None else {},
        stated={"taxpayer": stated},
    )
    return facts, at, settings


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_and_time(), st.randoms(use_true_random=False))
def test_next_allowed_is_the_first_instant_the_engine_allows(case, rng):
    facts, at, config = case
    decision = evaluate(facts, at, config)
    assert decision.allowed == allows(facts, at, config)
    if decision.allowed:
        assert decision.next_allowed == at
        return
    found = decision.next_allowed
    if found is None:
        probes = [at + rng.uniform(0, 60 * DAY) for _ in range(300)]
        assert not any(allows(facts, t, config) for t in probes)
        return
    assert found > at
    assert allows(facts, found, config), "next_allowed must itself be allowed"
    assert not allows(facts, found - 1, config), "one second earlier must not be"
    span = found - at
    probes = [at + span * rng.random() for _ in range(150)] + [at + h * HOUR for h in range(int(span // HOUR) + 1)][
        :300
    ]
    assert not any(allows(facts, t, config) for t in probes if t < found), "an earlier instant was allowed"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_and_time())
def test_the_plans_screen_is_evaluate_less_an_allowed_cases_details(case):
    facts, at, config = case
    full, screened = evaluate(facts, at, config), screen(facts, at, config)
    if full.allowed:
        assert screened.allowed and screened.rules == ()
        assert (screened.contact, screened.next_allowed, screened.case_id) == (full.contact, at, facts.case_id)
    else:
        assert screened == full


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts_and_time(), st.sampled_from([0, HOUR / 2, 7 * HOUR, 2 * DAY]))
def test_each_rules_verdict_alone_is_its_check_verdict(case, later):
    facts, at, config = case
    ctx = context(facts, at, config)
    for rule in RULES:
        assert rule.ok(ctx, at + later) == rule.check(ctx, at + later)[0], rule.name
