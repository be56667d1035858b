"""<Dial><Number>: an outbound-dial child leg, bridged to the caller, reported to the Dial action."""

from __future__ import annotations

from emulator import BusyLine, Caller, Employee, Human, NoAnswerLine

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
    assert desk.record.from_ == NUMBER  # caller ID defaults to the number that was called
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
