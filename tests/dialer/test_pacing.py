"""Pacing strategies: pure rules, no Redis."""

from __future__ import annotations

import random

from ivr.dialer.pacing import (
    URGENCY,
    Estimates,
    FloorSnapshot,
    Limits,
    PredictivePacer,
    ProgressivePacer,
    add_capped,
    answers_within,
    available_at,
    call_threshold,
    estimates_from,
    human_probability,
    pacer_for,
    person_share,
    threshold,
)

MEASURED = Estimates(resolved=500, p_human=0.3, p_fast=0.1, human_ring_mean=7.5, human_ring_sd=1.7)
LIMITS = Limits(max_calls=10)


def snap(**fields) -> FloorSnapshot:
    base = dict(now=1000.0, signed_in=10, ready=0, estimates=MEASURED, humans_30d=1000, abandoned_30d=20)
    return FloorSnapshot(**{**base, **fields})


def test_nobody_signed_in_is_message_mode_and_the_campaign_mode_otherwise():
    assert pacer_for("predictive", 0).name == "message"
    assert pacer_for("progressive", 3).name == "progressive"
    assert pacer_for("preview", 3).calls(snap(ready=3), LIMITS) == 0
    assert pacer_for("", 3).name == "predictive"


def test_progressive_places_one_call_per_ready_employee_not_already_covered():
    assert ProgressivePacer().calls(snap(ready=4, in_flight=[990.0]), LIMITS) == 3
    assert ProgressivePacer().calls(snap(ready=4, waiting_inbound=4), LIMITS) == 0


def test_predictive_places_nothing_when_nobody_is_or_will_be_free():
    assert PredictivePacer().calls(snap(ready=0, wrap_ends=[1100.0], talking=9), LIMITS) == 0


def test_predictive_overdials_for_a_pool_but_stays_within_the_ceilings():
    calls = PredictivePacer().calls(snap(ready=6), LIMITS)
    assert 6 < calls <= LIMITS.max_calls
    assert PredictivePacer().calls(snap(ready=6), Limits(max_calls=3)) == 3
    assert PredictivePacer().calls(snap(ready=6, signed_in=2), LIMITS) == 6  # 3 lines per employee


def test_predictive_counts_employees_whose_wrap_up_ends_before_the_answer():
    assert PredictivePacer().calls(snap(ready=0, wrap_ends=[1002.0, 1003.0]), LIMITS) >= 2


def test_a_new_campaign_dials_progressively_until_it_has_measured_enough():
    fresh = snap(ready=6, estimates=Estimates(resolved=3))
    assert PredictivePacer().calls(fresh, LIMITS) == 6


def test_behind_budget_lowers_the_risk_each_call_may_carry():
    good, bad = snap(abandoned_30d=0), snap(abandoned_30d=40)
    assert threshold(bad, LIMITS) < threshold(good, LIMITS)
    assert threshold(snap(humans_30d=10), LIMITS) < threshold(good, LIMITS)


def test_an_unanswered_call_past_the_usual_ring_time_is_no_longer_a_likely_person():
    assert human_probability(1.0, MEASURED) > 0.25
    assert human_probability(20.0, MEASURED) < 0.01


def test_a_wrap_up_long_overdue_is_no_employee_coming_free():
    """Its leg never came back to wait (a lost webhook): counting it would dial for someone who cannot answer."""
    due, overdue = snap(ready=0, wrap_ends=(999.5,)), snap(ready=0, wrap_ends=(1000.0 - 31,))
    assert available_at(due, 1000.5, 30.0, 180.0) == 1
    assert available_at(overdue, 1000.5, 30.0, 180.0) == 0


def test_talkers_count_only_when_the_horizon_covers_their_wrap_up():
    floor = snap(ready=0, talking=10)
    assert available_at(floor, 1010.0, 30.0, 180.0) == 0
    assert available_at(floor, 1200.0, 30.0, 180.0) >= 5


def test_estimates_blend_the_hour_buckets():
    est = estimates_from([{"resolved": "80", "human": "20", "ring_human": "140", "busy": "8"}, {"resolved": "20"}])
    assert est.resolved == 100 and est.p_human == 0.2 and est.human_ring_mean == 7.0 and est.p_fast == 0.08


PICKUPS = Estimates(
    resolved=500, p_human=0.3, p_fast=0.1, p_machine=0.2, human_ring_mean=8.0, human_ring_sd=1.7, verdict_mean=2.5
)


def test_a_picked_up_call_is_likely_a_person_heard_at_its_verdict_time():
    sd = PICKUPS.human_ring_sd
    assert answers_within(4.0, 0.5, PICKUPS, sd, picked_age=0.5) < 0.01  # heard ~2 s from now, not within 0.5 s
    heard = answers_within(4.0, 3.0, PICKUPS, sd, picked_age=1.0)
    assert 0.55 < heard <= 0.6  # 0.3 / (0.3 + 0.2) of pickups are people
    assert answers_within(12.0, 5.0, PICKUPS, sd, picked_age=6.0) == 0.0  # no verdict long after: a machine


def test_a_call_still_ringing_cannot_be_heard_before_its_pickup_plus_the_verdict_time():
    sd = PICKUPS.human_ring_sd
    assert answers_within(0.0, 1.4, PICKUPS, sd) == 0.0  # heard 2.5 ± 0.5 s after pickup: never within 1.5 s
    # Past the usual pickup time and still ringing: much less likely a person than without pickup events.
    blind = Estimates(**{**PICKUPS.__dict__, "verdict_mean": 0.0})
    assert answers_within(7.0, 5.0, PICKUPS, sd) < 0.7 * answers_within(7.0, 5.0, blind, sd)


def test_a_call_still_ringing_may_be_heard_from_the_low_end_of_the_verdict_times():
    """AMD hears some people sooner than others: with verdicts at 2.5 ± 0.5 s after pickup, a call still ringing
    counts as a possible person as if the verdict came 1.5 s after pickup (mean less two spreads), not 2.5 s."""
    sd = PICKUPS.human_ring_sd
    exact = Estimates(**{**PICKUPS.__dict__, "verdict_sd": 0.0})
    early = Estimates(**{**PICKUPS.__dict__, "verdict_mean": 1.5, "verdict_sd": 0.0})
    assert answers_within(7.0, 5.0, PICKUPS, sd) == answers_within(7.0, 5.0, early, sd)
    assert answers_within(7.0, 5.0, PICKUPS, sd) > answers_within(7.0, 5.0, exact, sd)
    wild = Estimates(**{**PICKUPS.__dict__, "verdict_sd": 5.0})  # never before the pickup itself
    blind = Estimates(**{**PICKUPS.__dict__, "verdict_mean": 0.0})
    assert answers_within(7.0, 5.0, wild, sd) == answers_within(7.0, 5.0, blind, sd)


def test_pickups_let_predictive_place_more_once_the_calls_ringing_are_known_not_to_be_people():
    tight = Estimates(**{**PICKUPS.__dict__, "verdict_sd": 0.1})  # AMD hears people 2.5 ± 0.1 s after pickup
    ringing = dict(ready=2, in_flight=[993.0, 993.0, 993.0], estimates=tight)
    blind = snap(**{**ringing, "estimates": Estimates(**{**tight.__dict__, "verdict_mean": 0.0})})
    known = snap(**ringing, picked_up=[None, None, None])
    assert PredictivePacer().calls(known, LIMITS) > PredictivePacer().calls(blind, LIMITS)


def test_estimates_measure_the_pickup_to_verdict_time_only_from_enough_pickups():
    few = estimates_from([{"resolved": "80", "human": "20", "picked_human": "3", "verdict_human": "7.5"}])
    assert few.verdict_mean == 0.0
    bucket = {"resolved": "80", "human": "20", "machine": "16", "picked_human": "10", "verdict_human": "25"}
    bucket |= {"verdict_human_sq": "65", "pickup_human": "60", "pickup_human_sq": "360", "picked_machine": "4"}
    est = estimates_from([bucket])
    assert est.verdict_mean == 2.5 and est.p_machine == 0.2 and abs(est.verdict_sd - 0.5) < 1e-9
    assert est.pickup_human == (6.0, 0.0) and est.pickup_machine == (0.0, 0.0)  # 4 machine pickups: too few


def test_an_early_pickup_is_a_person_and_a_late_one_a_machine_once_pickup_times_are_measured():
    timed = Estimates(**{**PICKUPS.__dict__, "pickup_human": (6.0, 1.7), "pickup_machine": (13.5, 4.3)})
    assert person_share(5.0, timed) > 0.9 and person_share(12.0, timed) < 0.3
    assert abs(person_share(5.0, PICKUPS) - 0.6) < 1e-9  # unmeasured: the mix, 0.3 / (0.3 + 0.2)


def test_a_call_may_carry_more_risk_while_an_employee_is_already_waiting():
    waiting, ending = snap(ready=1), snap(ready=0, wrap_ends=[1000.5])  # the same employee free at every answer
    assert abs(call_threshold(waiting, LIMITS) - URGENCY**2 * call_threshold(ending, LIMITS)) < 1e-12
    # One raised call per waiting employee; the tick's further calls are for employees about to be free.
    two = snap(ready=2)
    assert call_threshold(two, LIMITS, 1) == call_threshold(two, LIMITS, 0) == call_threshold(waiting, LIMITS)
    assert call_threshold(two, LIMITS, 2) == call_threshold(ending, LIMITS)
    placed = []
    for tenths in range(60, 130):  # one in-flight call, older and older: less and less likely a person
        old = [1000.0 - tenths / 10]
        placed.append(
            (
                PredictivePacer().calls(snap(ready=1, in_flight=old), LIMITS),
                PredictivePacer().calls(snap(ready=0, wrap_ends=[1000.5], in_flight=old), LIMITS),
            )
        )
    assert all(now >= later for now, later in placed) and any(now > later for now, later in placed)


def test_a_pickup_whose_verdict_is_overdue_is_less_and_less_likely_a_person():
    sd = PICKUPS.human_ring_sd
    fresh = answers_within(5.0, 5.0, PICKUPS, sd, picked_age=1.0)
    overdue = answers_within(7.0, 5.0, PICKUPS, sd, picked_age=3.0)  # people are heard 2.5 ± 0.5 s after pickup
    assert overdue < 0.5 * fresh
    wide = Estimates(**{**PICKUPS.__dict__, "verdict_sd": 2.0})
    assert answers_within(7.0, 5.0, wide, sd, picked_age=3.0) > 1.5 * overdue  # a wide spread: 3 s is not late


def _add_capped_reference(dist: list[float], p: float) -> list[float]:
    """The textbook form: bucket k gets (k-1 answered, this call a person) + (k answered, not)."""
    out = [dist[0] * (1.0 - p)]
    for k in range(1, len(dist)):
        out.append(dist[k - 1] * p + dist[k] * (1.0 - p))
    out[-1] += dist[-1] * p
    return out


def test_add_capped_is_bit_for_bit_the_textbook_form():
    rng = random.Random(11)
    for _ in range(20_000):
        size = rng.randint(1, 12)
        dist = [rng.random() for _ in range(size)]
        p = rng.choice([0.0, 1.0, rng.random(), rng.random() * 1e-9])
        assert add_capped(dist, p) == _add_capped_reference(dist, p)
    assert add_capped([1.0], 0.3) == [1.0]  # one bucket: "that many or more" keeps all of it
