"""Inbound caller contexts: states, queue bookkeeping, the agent bridge, TTLs."""

from __future__ import annotations

from ivr.voice.callers import CONTEXT_TTL_SECONDS, Callers, CallerState

SID = "CA" + "1" * 32
AGENT = "CA" + "2" * 32


def test_caller_lifecycle(redis, keys) -> None:
    callers = Callers(redis, keys)
    assert callers.get(SID) is None
    assert callers.tin_attempt_failed(SID, "+12125550101", "+18008293903") == 1
    first = callers.get(SID)
    assert (first.caller, first.line, first.case_id, first.tin_attempts) == ("+12125550101", "+18008293903", None, 1)
    assert callers.tin_attempt_failed(SID) == 2
    assert callers.get(SID).entered_at == first.entered_at
    assert callers.get(SID).caller == "+12125550101"
    assert callers.get(SID).state is CallerState.UNMATCHED
    callers.matched(SID, "ACS-000101")
    callers.enqueued(SID, "acs")
    callers.enqueued(SID, "acs")
    context = callers.get(SID)
    assert (context.state, context.case_id, context.tin_attempts) == (CallerState.MATCHED, "ACS-000101", 2)
    assert context.queued_at is not None
    assert [c.call_sid for c in callers.waiting("acs")] == [SID]
    callers.bridged(SID, AGENT, "acs")
    assert callers.waiting("acs") == []
    assert callers.for_agent_call(AGENT).call_sid == SID
    assert callers.for_agent_call("CA" + "3" * 32) is None
    callers.left_queue(SID, "acs", "bridged", 42)
    assert redis.hgetall(keys.queue_stats("acs")) == {"result:bridged": "1", "wait_seconds": "42"}
    for key in (keys.call(SID), keys.agent_bridge(AGENT)):
        assert 0 < redis.ttl(key) <= CONTEXT_TTL_SECONDS


def test_waiting_is_longest_first_and_attach_case(redis, keys) -> None:
    callers = Callers(redis, keys)
    sids = [f"CA{i:032d}" for i in range(3)]
    for sid in sids:
        callers.enqueued(sid, "acs", "+12125550101", "+18008293903")
    callers.attach_case(sids[1], "ACS-000102", crn="4012345678")
    assert [c.call_sid for c in callers.waiting("acs")] == sids
    assert all(c.state is CallerState.SILENT for c in callers.waiting("acs"))
    assert (callers.get(sids[1]).case_id, callers.get(sids[1]).crn) == ("ACS-000102", "4012345678")


def test_unknown_call_leaves_no_immortal_keys(redis, keys) -> None:
    callers = Callers(redis, keys)
    callers.left_queue(SID, "acs", "hangup", -5)
    callers.bridged("CA" + "9" * 32, AGENT, "acs")
    assert callers.get(SID) is None  # never arrived: no context to show
    assert redis.hget(keys.queue_stats("acs"), "wait_seconds") == "0"
    for key in redis.scan_iter(keys.call("*")):
        assert redis.ttl(key) > 0, key


def test_blending_counts_each_ready_employee_once_and_cleans_up(redis, keys) -> None:
    """Two callers arriving together with one spare employee: one goes to the floor's queue, the other holds."""
    callers = Callers(redis, keys)
    other, live = "CA" + "3" * 32, "CA" + "4" * 32
    assert callers.enqueued_blended(SID, "acs") == (False, False)  # nobody ready: the inbound queue
    callers.left_queue(SID, "acs", "hangup", 3)
    redis.zadd(keys.floor_ready(), {"ann": 1.0, "bob": 2.0})
    redis.zadd(keys.floor_waiting(), {live: 1.0})  # a live answer already counts on one of them
    assert callers.enqueued_blended(other, "acs") == (False, True)
    assert callers.enqueued_blended(other, "acs") == (False, True)  # a repeated webhook: same answer
    callers.matched(AGENT, "ACS-000101", private=True)
    assert callers.enqueued_blended(AGENT, "acs") == (True, False)  # no one left to spare
    assert [c.call_sid for c in callers.waiting("acs")] == [AGENT]
    callers.bridged(other, "CA" + "5" * 32, "acs")
    assert redis.zrange(keys.floor_waiting(), 0, -1) == [live]
    callers.left_queue(AGENT, "acs", "hangup", 9)
    late = "CA" + "6" * 32
    assert callers.enqueued_blended(late, "acs") == (False, True)
    callers.left_queue(late, "acs", "hangup", 1)  # hung up before the bridge: off the floor's waiting set
    assert redis.zrange(keys.floor_waiting(), 0, -1) == [live]
