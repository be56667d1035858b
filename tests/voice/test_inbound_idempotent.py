"""Twilio may repeat a callback: each inbound event is recorded once, and a final queue result stays (§3)."""

from __future__ import annotations

from ivr.voice.callers import Callers

SID = "CA" + "d" * 32
AGENT_SID = "CA" + "e" * 32
CALL = {"CallSid": SID, "From": "+12125550101", "To": "+18008293903"}
SSN = "015146380"  # ACS-000101's taxpayer in the sample data


def _history(redis, keys) -> list[str]:
    return [fields["summary"] for _id, fields in redis.xrange(keys.case_history("ACS-000101"))]


def test_repeated_queue_results_count_once_and_the_first_stays(twilio, sample_data, redis, keys):
    twilio.post("/voice/acs/tin", CALL | {"Digits": SSN})
    twilio.post("/voice/acs/queue", CALL)
    before = len(_history(redis, keys))
    for _ in range(3):
        response = twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "bridged", "QueueTime": "40"})
        assert response.status_code == 200
    twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "hangup", "QueueTime": "90"})
    stats = redis.hgetall(keys.queue_stats("acs"))
    assert stats == {"result:bridged": "1", "wait_seconds": "40"}
    assert Callers(redis, keys).get(SID).queue_result == "bridged"
    assert len(_history(redis, keys)) == before + 1
    assert redis.ttl(keys.call(SID)) > 0


def test_repeated_connect_callbacks_write_one_history_line(twilio, sample_data, redis, keys):
    twilio.post("/voice/acs/tin", CALL | {"Digits": SSN})
    twilio.post("/voice/acs/queue", CALL)
    for _ in range(3):
        assert twilio.post("/voice/acs/connect", CALL | {"DequeingCallSid": AGENT_SID}).status_code == 200
    assert _history(redis, keys).count("Caller connected to a collection employee") == 1
    assert Callers(redis, keys).for_agent_call(AGENT_SID).call_sid == SID
    assert redis.zcard(keys.queue_waiting("acs")) == 0
