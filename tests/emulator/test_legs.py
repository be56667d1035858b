"""A finished call leg releases its runtime state (frames, cookies, links) and keeps what Twilio still shows."""

from __future__ import annotations

import gc
import weakref

import pytest
from twilio.base.exceptions import TwilioRestException

from emulator import Caller, Employee, Human
from emulator.legs import EndedLeg, Leg
from emulator.parties import SpeechRule

TO, FROM = "+12025550111", "+18005550100"
NUMBER, AGENT = "+18005550100", "+12025550999"


def _gone(ref: weakref.ref) -> bool:
    gc.collect()
    return ref() is None


def test_an_ended_call_leg_is_released_and_its_record_still_fetched(emu, sdk, webapp):
    webapp.docs["/answer"] = "<Response><Say>one two three</Say><Gather numDigits='1'/></Response>"
    emu.assign(TO, Human(ring_seconds=3))
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer", status_callback="https://app.test/s")
    ref = weakref.ref(emu.legs[call.sid])
    assert isinstance(ref(), Leg)
    emu.run()
    assert _gone(ref)
    ended = emu.leg(call.sid)
    assert isinstance(ended, EndedLeg) and ended.ended and ended.frames == () and ended.bridge is None
    assert ended.heard == ["one two three"] and ended.final_status == "completed" and ended.answered_at == 4.0
    assert ended.callbacks.status_url == "https://app.test/s"
    fetched = sdk.calls(call.sid).fetch()  # through the official SDK, as any app would
    assert (fetched.status, fetched.to, fetched._from, fetched.duration) == ("completed", TO, FROM, "7")
    assert [c.sid for c in sdk.calls.list(status="completed")] == [call.sid]
    # Ending a completed call again is accepted (nothing to do); redirecting it is error 21220, as on Twilio.
    assert sdk.calls(call.sid).update(status="completed").status == "completed"
    with pytest.raises(TwilioRestException) as exc:
        sdk.calls(call.sid).update(url="https://app.test/answer")
    assert exc.value.code == 21220
    emu.run()
    assert len(webapp.to("/answer")) == 1


def test_queued_and_bridged_legs_are_released_and_queue_and_recordings_stay(emu, sdk, webapp):
    webapp.docs.update(
        {
            "/voice": "<Response><Record timeout='2'/><Enqueue>acs</Enqueue></Response>",
            "/agent": "<Response><Dial><Queue>acs</Queue></Dial></Response>",
        }
    )
    emu.add_number(NUMBER, "https://app.test/voice")
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller", say=[SpeechRule("beep", "call me", 3.0)]))
    emu.assign(AGENT, Employee("agent", talk_seconds=30))
    agent = emu.legs[emu.create_call(AGENT, NUMBER, url="https://app.test/agent", at=60).sid]
    refs = [weakref.ref(caller), weakref.ref(agent)]
    sids = [caller.sid, agent.sid]
    del caller, agent
    emu.run()
    assert all(_gone(ref) for ref in refs)
    assert emu.leg("caller").queue_results == ["bridged"] and emu.leg("agent").ended
    assert [sdk.calls(sid).fetch().status for sid in sids] == ["completed", "completed"]
    [recording] = sdk.recordings.list()
    assert recording.call_sid == sids[0] and sdk.recordings(recording.sid).fetch().status == "completed"
    [queue] = sdk.queues.list()
    assert (queue.friendly_name, queue.current_size) == ("acs", 0)
    assert sdk.queues(queue.sid).members.list() == []
