"""facts.load reads the call history the engine counts: every call for the dialer, those placed by then as of a
past instant."""

from __future__ import annotations

from ivr.cases.store import Store
from ivr.dialer import facts
from ivr.dialer.frequency import DAY
from ivr.dialer.persons import CallCounts, Reservation, read_refs

NOW = 1_796_244_000.0  # Wednesday 2026-12-02 20:00 UTC


def place_call(redis, keys, case_id: str, attempt_id: str, at: float, counted: int = 0) -> None:
    """As the dialer counts a call (`counted`: the calls its engine saw before this one)."""
    refs = read_refs(Store(redis, keys).get_case(case_id).tin)
    assert not CallCounts(redis, keys).reserve([Reservation(refs, "taxpayer", attempt_id, at, counted)], at)


def test_the_dialer_counts_a_call_stamped_after_now(redis, keys, sample_data):
    """A worker whose clock runs a few seconds ahead stamps its call "later": it still counts (never fewer)."""
    place_call(redis, keys, "ACS-000104", "AT-ahead", NOW + 5)
    loaded, _errors = facts.load(redis, keys, ["ACS-000104"], NOW)
    assert loaded["ACS-000104"].facts.calls["taxpayer"] == (NOW + 5,)
    assert "1 call(s)" in _frequency(facts.decide_case(redis, keys, "ACS-000104", NOW))


def test_as_of_a_past_instant_only_calls_placed_by_then_count(redis, keys, sample_data):
    place_call(redis, keys, "ACS-000104", "AT-earlier", NOW - 2 * DAY)
    place_call(redis, keys, "ACS-000104", "AT-later", NOW + DAY, counted=1)
    loaded, _errors = facts.load(redis, keys, ["ACS-000104"], NOW, history_until=NOW)
    assert loaded["ACS-000104"].facts.calls["taxpayer"] == (NOW - 2 * DAY,)
    assert "1 call(s)" in _frequency(facts.decide_case(redis, keys, "ACS-000104", NOW, as_of=True))
    assert "0 call(s)" in _frequency(facts.decide_case(redis, keys, "ACS-000104", NOW - 2 * DAY - 1, as_of=True))
    assert "2 call(s)" in _frequency(facts.decide_case(redis, keys, "ACS-000104", NOW))


def _frequency(decision) -> str:
    return next(r.detail for r in decision.rules if r.rule == "frequency")
