"""<Dial><Conference>, <Dial><Client> and the Conferences / Participants REST resources."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from emulator import Caller, Employee, Human

NUMBER, AGENT, SUPERVISOR = "+18005550100", "+12025550170", "+12025550180"


def conference_doc(name="room1", **attrs) -> str:
    extra = " ".join(f"{k}='{v}'" for k, v in attrs.items())
    return f"<Response><Dial action='/after'><Conference {extra}>{name}</Conference></Dial><Say>Bye</Say></Response>"


def test_waiting_participants_hear_the_wait_url_until_a_moderator_starts_the_room(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/conference#attributes-startconferenceonenter and #attributes-waiturl:
    with startConferenceOnEnter=false a participant waits (waitUrl re-requested) until a starter enters."""
    webapp.docs["/voice"] = conference_doc(startConferenceOnEnter="false", waitUrl="/wait")
    webapp.docs["/moderator"] = conference_doc(endConferenceOnExit="true")
    webapp.docs["/wait"] = "<Response><Say>Please wait for the host</Say></Response>"
    webapp.docs["/after"] = lambda p: f"<Response><Say>Left with {p['DialCallStatus']}</Say></Response>"
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.add_number("+18005550101", "https://app.test/moderator")
    guest = emu.dial_in("+12025550001", NUMBER, Caller("guest", hangup_after=600))
    host = emu.dial_in("+12025550002", "+18005550101", Caller("host", hangup_after=60), at=20)
    emu.run()
    assert guest.heard.count("Please wait for the host") >= 5
    assert webapp.to("/wait")[0]["FriendlyName"] == "room1"
    assert guest.talked_with == {"host"} and host.talked_with == {"guest"}
    # The host leaves with endConferenceOnExit: the guest's Dial ends and its action runs.
    assert guest.heard[-1] == "Left with completed"
    conf = next(iter(emu.store.conferences.values()))
    assert (conf.status, conf.reason_ended) == ("completed", "participant-with-end-conference-on-exit-left")
    assert conf.call_sid_ending == host.sid


def test_status_callback_events(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/conference#attributes-statuscallbackevent: conference-start/-end,
    participant-join/-leave with ConferenceSid, FriendlyName, CallSid, SequenceNumber."""
    webapp.docs["/voice"] = conference_doc(statusCallback="/events", statusCallbackEvent="start end join leave")
    emu.add_number(NUMBER, "https://app.test/voice")
    a = emu.dial_in("+12025550001", NUMBER, Caller("a", hangup_after=30))
    b = emu.dial_in("+12025550002", NUMBER, Caller("b", hangup_after=40), at=5)
    emu.run()
    events = [(p["StatusCallbackEvent"], p.get("CallSid")) for p in webapp.to("/events")]
    assert events == [
        ("participant-join", a.sid),
        ("conference-start", None),
        ("participant-join", b.sid),
        ("participant-leave", a.sid),
        ("participant-leave", b.sid),
        ("conference-end", None),
    ]
    sequence = [int(p["SequenceNumber"]) for p in webapp.to("/events")]
    assert sequence == sorted(sequence)
    assert webapp.to("/events")[-1]["ReasonConferenceEnded"] == "last-participant-left"


def test_beep_is_heard_by_the_others_unless_disabled(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/conference#attributes-beep."""
    webapp.docs["/voice"] = conference_doc()
    webapp.docs["/quiet"] = conference_doc(beep="false")
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.add_number("+18005550101", "https://app.test/quiet")
    emu.dial_in("+12025550001", NUMBER, Caller("a", hangup_after=30))
    emu.dial_in("+12025550002", NUMBER, Caller("b", hangup_after=30), at=5)
    emu.dial_in("+12025550003", "+18005550101", Caller("c", hangup_after=30), at=10)
    emu.run()
    beeps = [(e.t, e.leg) for e in emu.transcript.of_kind("conference") if e.text == "beep"]
    assert [b for b in beeps if b[0] <= 10] == [(5, "a")]  # b's entry beeps; c's (beep=false) does not


def test_dial_client_rings_the_identity(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/client: <Client> dials client:identity (text or <Identity>)."""
    webapp.docs["/voice"] = (
        "<Response><Dial action='/after'><Client><Identity>alice</Identity></Client></Dial></Response>"
    )
    webapp.docs["/after"] = lambda p: f"<Response><Say>Dial {p['DialCallStatus']}</Say></Response>"
    emu.assign("client:alice", Employee("alice", talk_seconds=20))
    emu.add_number(NUMBER, "https://app.test/voice")
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after=600))
    emu.run()
    alice = emu.leg("alice")
    assert alice.record.to == "client:alice" and alice.record.direction == "outbound-dial"
    assert caller.heard == ["Dial completed"]


def test_rest_conference_participants_warm_transfer(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/conference-participant-resource: create (dial out into the room by
    friendly name), list, fetch by CallSid and by label, update hold/mute/announce, delete (kick);
    https://www.twilio.com/docs/voice/api/conference-resource: list, fetch, update Status=completed."""
    webapp.docs["/voice"] = conference_doc("support", startConferenceOnEnter="false", endConferenceOnExit="true")
    webapp.docs["/announce"] = "<Response><Say>A supervisor is joining</Say></Response>"
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.assign(AGENT, Employee("agent", talk_seconds=3600))
    emu.assign(SUPERVISOR, Employee("supervisor", talk_seconds=3600))
    caller = emu.dial_in("+12025550001", NUMBER, Caller("caller", hangup_after=300))
    emu.run(until=2)
    [conf] = sdk.conferences.list(friendly_name="support", status="init")
    agent = sdk.conferences("support").participants.create(from_=NUMBER, to=AGENT, label="agent")
    assert agent.status == "queued"
    emu.run(until=30)
    assert sdk.conferences(conf.sid).fetch().status == "in-progress"
    assert {p.call_sid for p in sdk.conferences(conf.sid).participants.list()} == {caller.sid, agent.call_sid}
    sdk.conferences(conf.sid).participants(caller.sid).update(hold=True)
    emu.run(until=31)
    assert sdk.conferences(conf.sid).participants("agent").fetch().call_sid == agent.call_sid
    assert [p.call_sid for p in sdk.conferences(conf.sid).participants.list(hold=True)] == [caller.sid]
    sdk.conferences(conf.sid).participants.create(from_=NUMBER, to=SUPERVISOR, label="supervisor")
    emu.run(until=60)
    sdk.conferences(conf.sid).participants("agent").update(announce_url="https://app.test/announce", muted=True)
    emu.run(until=61)
    assert "A supervisor is joining" in emu.leg("agent").heard
    sdk.conferences(conf.sid).participants(caller.sid).update(hold=False)
    sdk.conferences(conf.sid).participants("agent").delete()
    emu.run(until=90)
    assert emu.leg("agent").record.status == "completed"  # a REST participant kicked out hangs up
    assert caller.holds == 1 and caller.talked_with == {"agent", "supervisor"}
    assert emu.leg("supervisor").talked_with == {"agent", "caller"}
    sdk.conferences(conf.sid).update(status="completed")
    emu.run()
    assert sdk.conferences(conf.sid).fetch().reason_conference_ended == "conference-ended-via-api"
    assert webapp.to("/after")[0]["DialCallStatus"] == "completed"  # a TwiML participant goes on after its Dial
    assert emu.leg("supervisor").record.status == "completed"
    with pytest.raises(TwilioRestException) as exc:
        sdk.conferences("CF" + "0" * 32).participants.create(from_=NUMBER, to=AGENT)
    assert exc.value.status == 404


def test_participant_update_mute_posts_events(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/conference-participant-resource#update-a-participant-resource:
    Muted; participant-mute / participant-unmute / participant-hold events."""
    doc = conference_doc(statusCallback="/events", statusCallbackEvent="mute hold")
    webapp.docs["/voice"] = doc
    emu.add_number(NUMBER, "https://app.test/voice")
    caller = emu.dial_in("+12025550001", NUMBER, Human("caller", hangup_after=60))
    emu.run(until=5)
    conf = sdk.conferences.list()[0]
    participant = sdk.conferences(conf.sid).participants(caller.sid)
    assert participant.update(muted=True).muted is True
    emu.run(until=6)
    participant.update(muted=False, hold=True)
    emu.run()
    events = [p["StatusCallbackEvent"] for p in webapp.to("/events")]
    assert events == ["participant-mute", "participant-unmute", "participant-hold"]
