"""Notes, outcome notes, lookups and audit entries keep an SSN/EIN masked however it was typed (issue 9 §1)."""

from __future__ import annotations

import pytest
from console_support import Console

from ivr.console.audit import AuditLog

BYPASSES = ["015–14–6380", "015/14/6380", "015 146 380", "0 1 5 1 4 6 3 8 0", "015-14-6380-ok", "015—14—6380"]


@pytest.mark.parametrize("typed", BYPASSES)
def test_a_note_is_stored_and_shown_masked(signed_in: Console, sample_data, redis, keys, typed):
    signed_in.post("/console/cases/ACS-000101/note", {"note": f"caller read {typed} to me"})
    stored = str(redis.xrange(keys.case_history("ACS-000101")))
    assert typed not in stored and "***-**-6380" in stored
    html = signed_in.get("/console/cases/ACS-000101").get_data(as_text=True)
    assert typed not in html and "caller read ***-**-6380" in html


def test_an_outcome_note_is_masked(signed_in: Console, sample_data, redis, keys):
    signed_in.post("/console/cases/ACS-000101/outcome", {"outcome": "payment_promised", "note": "ssn 015–14–6380"})
    assert "015–14–6380" not in str(redis.xrange(keys.case_history("ACS-000101")))


def test_a_lookup_by_a_typed_tin_is_not_echoed(signed_in: Console, sample_data):
    response = signed_in.post("/console/find", {"crn_or_case_id": "015-14-6380-"}, follow_redirects=True)
    assert "015-14-6380" not in response.get_data(as_text=True)


def test_the_audit_log_masks_whatever_it_is_given(redis, keys):
    audit = AuditLog(redis, keys)
    audit.record("015 146 380", "reveal_tin", "ACS-000101", reason="caller read 015/14/6380", count=3)
    (entry,) = audit.search()
    assert entry.employee == "***-**-6380" and entry.detail == {"reason": "caller read ***-**-6380", "count": 3}
