"""<Dial><Number>: an outbound-dial child leg, bridged to the caller, reported to the Dial action."""

from __future__ import annotations

from emulator import BusyLine, Caller, Employee, Human, NoAnswerLine, recording
from emulator.parties import Speak

NUMBER, DESK = "+18005550100", "+12025550170"


def call(emu, webapp, doc: str, party=None):
    webapp.docs["/voice"] = doc
    webapp.docs["/after"] = lambda p: f"<Response><Say>Dial {p['DialCallStatus']}</Say></Response>"
    webapp.docs["/whisper"] = "<Response><Say>Call from the queue line</Say></Response>"
    emu.add_number(NUMBER, "https://app.test/voice")
    leg = emu.dial_in("+12025550001", NUMBER, party or Caller("caller", hangup_after=600))
    emu.run()
    return leg


def test_dialed_party_answers_hears_the_whisper_and_talks(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/number#url: the url runs on the called party before connecting
    emu.assign(DESK, Employee("desk", talk_seconds=45))
    doc = "<Response><Dial action='/after'><Number url='/whisper'>+12025550170</Number></Dial></Response>"
    caller = call(emu, webapp, doc)
    desk = emu.leg("desk")
    assert desk.record.direction == "outbound-dial"
    assert desk.record.parent_call_sid == caller.sid
    # https://www.twilio.com/docs/voice/twiml/dial#callerid: by default the inbound caller's number
    assert desk.record.from_ == caller.record.from_ == "+12025550001"
    assert desk.heard == ["Call from the queue line"]
    assert webapp.to("/whisper")[0]["Direction"] == "outbound-dial"
    after = webapp.to("/after")[0]
    assert (after["DialCallStatus"], after["DialCallSid"], after["DialCallDuration"]) == ("completed", desk.sid, "45")
    assert caller.heard[-1] == "Dial completed"


def test_busy_and_no_answer_are_reported_to_the_action(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/dial#dialcallstatus-values
    emu.assign(DESK, BusyLine())
    caller = call(emu, webapp, "<Response><Dial action='/after'>+12025550170</Dial></Response>")
    assert caller.heard == ["Dial busy"]


def test_no_answer_after_the_dial_timeout_continues_with_the_next_verb(emu, webapp):
    emu.assign(DESK, NoAnswerLine())
    doc = "<Response><Dial timeout='10'><Number>+12025550170</Number></Dial><Say>Nobody there</Say></Response>"
    caller = call(emu, webapp, doc)
    assert caller.dial_statuses == ["no-answer"]
    assert caller.heard == ["Nobody there"]
    assert emu.leg("callee +12025550170").record.status == "no-answer"


def test_caller_hanging_up_cancels_the_ringing_leg(emu, webapp):
    emu.assign(DESK, Human(ring_seconds=20))
    caller = call(emu, webapp, "<Response><Dial>+12025550170</Dial></Response>", Caller("caller", hangup_after=5))
    assert caller.dial_statuses == ["canceled"]
    assert emu.leg("callee +12025550170").record.status == "canceled"


def test_time_limit_ends_the_bridge(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#timelimit: the maximum duration of the dialed call."""
    emu.assign(DESK, Employee("desk", talk_seconds=60))
    caller = call(emu, webapp, "<Response><Dial timeLimit='20' action='/after'>+12025550170</Dial></Response>")
    after = webapp.to("/after")[0]
    assert (after["DialCallStatus"], after["DialCallDuration"]) == ("completed", "20")
    assert emu.leg("desk").record.duration == 20
    assert caller.heard[-1] == "Dial completed"


def test_several_numbers_ring_at_once_and_the_first_to_answer_wins(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#nouns ("up to ten <Number>s ... to simultaneously call several
    people. The first person to answer the call will be connected; all other calls will be hung up")."""
    emu.assign("+12025550171", Human("slow", ring_seconds=9))
    emu.assign("+12025550172", Employee("fast", talk_seconds=30, ring_seconds=4))
    emu.assign("+12025550173", BusyLine("busy"))
    doc = (
        "<Response><Dial action='/after'><Number>+12025550171</Number><Number url='/whisper'>+12025550172</Number>"
        "<Number>+12025550173</Number></Dial></Response>"
    )
    caller = call(emu, webapp, doc)
    fast, slow, busy = emu.leg("fast"), emu.leg("slow"), emu.leg("busy")
    assert slow.record.status == "canceled" and busy.record.status == "busy"
    assert fast.heard == ["Call from the queue line"]
    after = webapp.to("/after")[0]
    assert (after["DialCallStatus"], after["DialCallSid"], after["DialCallDuration"]) == ("completed", fast.sid, "30")
    assert caller.dial_statuses == ["completed"]
    assert {leg.record.parent_call_sid for leg in (fast, slow, busy)} == {caller.sid}


def test_when_no_number_answers_the_dial_reports_the_last_outcome(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#dialcallstatus-values."""
    emu.assign("+12025550171", BusyLine())
    emu.assign("+12025550172", NoAnswerLine())
    doc = (
        "<Response><Dial timeout='10' action='/after'><Number>+12025550171</Number>"
        "<Number>+12025550172</Number></Dial></Response>"
    )
    caller = call(emu, webapp, doc)
    assert caller.heard == ["Dial no-answer"]


def test_answer_on_bridge_keeps_the_caller_ringing_until_the_callee_answers(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#answeronbridge: the inbound call stays unanswered (ringing)
    until the dialed party picks up."""
    emu.assign(DESK, Employee("desk", talk_seconds=10, ring_seconds=6))
    caller = call(emu, webapp, "<Response><Dial answerOnBridge='true' ringTone='uk'>+12025550170</Dial></Response>")
    desk = emu.leg("desk")
    assert caller.answered_at == desk.answered_at == 7.0  # 1 s of call setup + 6 s of ringing
    assert any("ringback tone uk" in e.text for e in emu.transcript.for_leg("caller"))
    assert caller.warnings == []


def test_without_answer_on_bridge_the_caller_is_answered_at_once(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#answeronbridge (default false)."""
    emu.assign(DESK, Employee("desk", talk_seconds=10, ring_seconds=6))
    caller = call(emu, webapp, "<Response><Dial>+12025550170</Dial></Response>")
    assert caller.answered_at == 0.0


def test_record_from_answer_gives_the_action_a_recording(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#record: RecordingUrl, RecordingSid, RecordingDuration on the
    action; https://www.twilio.com/docs/voice/twiml/dial#recordingstatuscallback gets the recording too."""
    emu.assign(DESK, Employee("desk", talk_seconds=42))
    doc = (
        "<Response><Dial record='record-from-answer-dual' recordingStatusCallback='/rec' action='/after'>"
        "+12025550170</Dial></Response>"
    )
    caller = call(emu, webapp, doc)
    after = webapp.to("/after")[0]
    assert after["RecordingSid"].startswith("RE") and after["RecordingDuration"] == "42"
    assert after["RecordingUrl"].endswith(f"/Recordings/{after['RecordingSid']}")
    rec = webapp.to("/rec")[0]
    assert (rec["RecordingSid"], rec["RecordingStatus"]) == (after["RecordingSid"], "completed")
    assert rec["RecordingChannels"] == "2"
    assert caller.dial_recordings[0]["RecordingSid"] == after["RecordingSid"]


def test_not_recorded_by_default(emu, webapp):
    emu.assign(DESK, Employee("desk", talk_seconds=5))
    call(emu, webapp, "<Response><Dial action='/after'>+12025550170</Dial></Response>")
    assert "RecordingSid" not in webapp.to("/after")[0]


def test_hangup_on_star_ends_the_bridge_and_the_caller_continues(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/dial#hanguponstar."""
    emu.assign(DESK, Employee("desk", talk_seconds=300))
    doc = "<Response><Dial hangupOnStar='true'>+12025550170</Dial><Say>Back with the menu</Say></Response>"
    caller = call(emu, webapp, doc, Caller("caller", press_after=[(20, "*")], hangup_after=600))
    assert caller.dial_statuses == ["completed"] and caller.heard == ["Back with the menu"]
    assert emu.leg("desk").record.duration == 17  # answered at 3 s (1 s setup, 2 s ring), * at 20 s


def test_a_dial_recording_is_a_rest_recording_of_the_call(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/recording: the Dial's recording is listed for the call, source
    DialVerb, with its media."""
    emu.assign(DESK, Employee("desk", talk_seconds=12, say_after=[Speak("Collections desk, how can I help", 3, 4)]))
    caller = call(
        emu, webapp, "<Response><Dial record='record-from-answer' action='/after'>+12025550170</Dial></Response>"
    )
    sid = webapp.to("/after")[0]["RecordingSid"]
    listed = sdk.recordings.list(call_sid=caller.sid)
    assert [r.sid for r in listed] == [sid]
    assert (listed[0].source, listed[0].duration) == ("DialVerb", "12")
    assert recording.for_call(emu, caller.sid)[0].text == "Collections desk, how can I help"
