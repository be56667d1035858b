"""The case page explains the calling rules; employees record stop-calling requests, stated times, wrong numbers."""

from __future__ import annotations

from console_support import Console

from ivr.dialer.facts import decide_case


def audit_actions(redis, keys) -> list[str]:
    return [fields["action"] for _id, fields in redis.xrange(keys.audit_log())]


def test_the_case_page_shows_every_rule_and_the_next_allowed_time(signed_in: Console, sample_data):
    html = signed_in.get("/console/cases/ACS-000104").get_data(as_text=True)
    assert 'id="calling"' in html
    for rule in ("calling_window", "office_days", "frequency", "do_not_call", "represented", "stated_times"):
        assert rule in html


def test_stop_calling_the_person_is_obeyed_and_audited(signed_in: Console, sample_data, redis, keys):
    response = signed_in.post("/console/cases/ACS-000104/stop-calling", {"scope": "person", "reason": "asked"})
    assert response.status_code == 302
    decision = decide_case(redis, keys, "ACS-000104", 1_796_244_000.0)
    assert not decision.allowed and decision.next_allowed is None
    assert "alice via console" in next(r.detail for r in decision.rules if r.rule == "do_not_call")
    assert "stop_calling" in audit_actions(redis, keys)
    signed_in.post("/console/cases/ACS-000104/stop-calling", {"resume": "1"})
    assert decide_case(redis, keys, "ACS-000104", 1_796_244_000.0).allowed


def test_inconvenient_times_are_recorded_and_obeyed(signed_in: Console, sample_data, redis, keys):
    bad = signed_in.post("/console/cases/ACS-000104/inconvenient-times", {"times": "whenever", "contact": "taxpayer"})
    assert bad.status_code == 302 and not redis.exists(keys.case_stated_times("ACS-000104"))
    signed_in.post(
        "/console/cases/ACS-000104/inconvenient-times", {"times": "never on Wednesdays", "contact": "taxpayer"}
    )
    decision = decide_case(redis, keys, "ACS-000104", 1_796_244_000.0)  # Wednesday 2026-12-02 20:00 UTC
    assert not decision.allowed and "Wednesday" in next(r.detail for r in decision.rules if r.rule == "stated_times")
    assert "inconvenient_times" in audit_actions(redis, keys)
    html = signed_in.get("/console/cases/ACS-000104").get_data(as_text=True)
    assert "never on Wed" in html


def test_a_wrong_number_outcome_retires_the_number(signed_in: Console, sample_data, redis, keys):
    signed_in.post("/console/cases/ACS-000104/outcome", {"outcome": "wrong_number", "note": ""})
    decision = decide_case(redis, keys, "ACS-000104", 1_796_244_000.0)
    assert not decision.allowed and decision.next_allowed is None
    assert not next(r for r in decision.rules if r.rule == "wrong_number").ok
