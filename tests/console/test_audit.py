from __future__ import annotations

import time

from ivr.console.audit import AuditFilter, AuditLog


def test_search_newest_first_with_filters(redis, keys):
    audit = AuditLog(redis, keys)
    audit.record("alice", "view_case", "ACS-1")
    audit.record("bob", "view_case", "ACS-2")
    audit.record("alice", "reveal_tin", "ACS-1", reason="verify")
    assert [e.action for e in audit.search()] == ["reveal_tin", "view_case", "view_case"]
    assert [e.case_id for e in audit.search(AuditFilter(employee="alice"))] == ["ACS-1", "ACS-1"]
    assert [e.employee for e in audit.search(AuditFilter(case_id="ACS-2"))] == ["bob"]
    (reveal,) = audit.search(AuditFilter(action="reveal_tin"))
    assert reveal.detail == {"reason": "verify"} and reveal.at <= time.time()
    assert audit.search(AuditFilter(until=time.time() - 3600)) == []
    assert len(audit.search(AuditFilter(since=time.time() - 3600))) == 3
    assert audit.actions() == ["reveal_tin", "view_case"]
    assert len(audit.search(limit=1)) == 1
