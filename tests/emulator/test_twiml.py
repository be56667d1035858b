"""TwiML semantics as Twilio documents them, checked against a tiny test app (not ivr)."""

from __future__ import annotations

import dataclasses

import pytest

from emulator import Caller, KeyRule, twiml
from emulator.legs import APPLICATION_ERROR

NUMBER = "+18005550100"
CALLER = "+12025550123"


def call_in(emu, webapp, doc: str, party=None, path: str = "/voice"):
    webapp.docs[path] = doc
    emu.add_number(NUMBER, f"https://app.test{path}")
    leg = emu.dial_in(CALLER, NUMBER, party or Caller("caller"))
    emu.run()
    return leg


def test_webhook_has_twilio_parameters_and_a_valid_signature(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml#request-parameters
    leg = call_in(emu, webapp, "<Response><Say>Hi</Say></Response>")
    request = webapp.requests[0]
    assert request["signed"] is True
    params = request["params"]
    assert params["CallSid"] == leg.sid
    assert params["AccountSid"] == emu.account_sid
    assert (params["From"], params["To"], params["Direction"]) == (CALLER, NUMBER, "inbound")
    assert params["CallStatus"] == "ringing"  # an inbound call is still ringing when Twilio asks what to do
    assert params["ApiVersion"] == "2010-04-01"


def test_say_and_pause_take_time(emu, webapp):
    leg = call_in(emu, webapp, "<Response><Say>one two three four five</Say><Pause length='10'/></Response>")
    assert leg.heard == ["one two three four five"]
    assert emu.engine.now() == 12.0  # 5 words at 2.5 words/s, then 10 s of silence
    assert leg.record.status == "completed" and leg.record.duration == 12


def test_gather_without_input_falls_through_to_next_verb(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/gather#timeout: no input -> continue with the next verb
    doc = (
        "<Response><Gather action='/digits' timeout='3'><Say>Enter your number</Say></Gather>"
        "<Say>Nothing</Say></Response>"
    )
    leg = call_in(emu, webapp, doc)
    assert leg.heard == ["Enter your number", "Nothing"]
    assert "/digits" not in webapp.paths()


def test_gather_posts_digits_to_action(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/gather#action: Digits sent to the action URL
    webapp.docs["/digits"] = lambda p: f"<Response><Say>Got {p['Digits']}</Say></Response>"
    doc = (
        "<Response><Gather action='/digits' numDigits='9'>"
        "<Say>Enter your social security number</Say></Gather></Response>"
    )
    leg = call_in(emu, webapp, doc, Caller("caller", press=[KeyRule("social security", "123456789")]))
    assert webapp.to("/digits")[0]["Digits"] == "123456789"
    assert leg.heard[-1] == "Got 123456789"
    assert leg.pressed == ["123456789"]


def test_gather_finish_on_key_and_relative_action(emu, webapp):
    webapp.docs["/voice/next"] = lambda p: f"<Response><Say>{p['Digits']}</Say></Response>"
    doc = "<Response><Gather action='next'><Say>Enter then pound</Say></Gather></Response>"
    leg = call_in(emu, webapp, doc, Caller("caller", press=[KeyRule("pound", "42#")]), path="/voice/start")
    assert webapp.to("/voice/next")[0]["Digits"] == "42"
    assert leg.heard[-1] == "42"


def test_gather_barge_in_stops_the_prompt(emu, webapp):
    doc = (
        "<Response><Say>Menu</Say><Gather numDigits='1' action='/pick'>"
        "<Say>one two three four five six seven eight nine ten</Say></Gather></Response>"
    )
    webapp.docs["/pick"] = "<Response/>"
    caller = Caller("caller", press_after=[(1.0, "3")])
    call_in(emu, webapp, doc, caller)
    assert emu.engine.now() < 5  # the ten-word prompt (4 s) was cut short by the key at 1 s


def test_gather_action_on_empty_result(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/gather#actiononemptyresult
    doc = "<Response><Gather action='/empty' actionOnEmptyResult='true' timeout='2'/></Response>"
    call_in(emu, webapp, doc)
    assert webapp.to("/empty")[0]["Digits"] == ""


def test_gather_without_action_posts_to_the_current_document(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/gather#action: default is the current document URL
    webapp.docs["/voice"] = lambda p: (
        "<Response><Hangup/></Response>" if p.get("Digits") else "<Response><Gather numDigits='1'/></Response>"
    )
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.dial_in(CALLER, NUMBER, Caller("caller", press_after=[(1, "7")]))
    emu.run()
    assert [p.get("Digits") for p in webapp.to("/voice")] == [None, "7"]


def test_redirect_and_get_method(emu, webapp):
    webapp.docs["/second"] = "<Response><Say>Second</Say></Response>"
    leg = call_in(emu, webapp, "<Response><Redirect method='GET'>/second?x=1</Redirect></Response>")
    get = [r for r in webapp.requests if r["path"] == "/second"][0]
    assert get["method"] == "GET" and get["signed"] and get["params"]["CallSid"] == leg.sid
    assert get["params"]["x"] == "1"
    assert leg.heard == ["Second"]


def test_redirect_without_a_url_is_an_application_error(emu, webapp):
    # https://www.twilio.com/docs/api/errors/11100: "Bad URL in Play or Redirect Verb Body" (not an engine crash)
    leg = call_in(emu, webapp, "<Response><Say>Hello</Say><Redirect/></Response>")
    assert [e["code"] for e in leg.errors] == [11100]
    assert leg.heard == ["Hello", APPLICATION_ERROR]
    assert leg.record.status == "completed"


def test_non_2xx_is_an_application_error(emu, webapp):
    # https://www.twilio.com/docs/errors/11200
    webapp.statuses["/voice"] = 500
    leg = call_in(emu, webapp, "<Response><Say>never</Say></Response>")
    assert leg.heard == [APPLICATION_ERROR]
    assert [e["code"] for e in leg.errors] == [11200]
    assert leg.record.status == "completed"


def test_non_xml_is_a_document_parse_failure(emu, webapp):
    # https://www.twilio.com/docs/errors/12100
    leg = call_in(emu, webapp, "this is not TwiML")
    assert [e["code"] for e in emu.errors] == [12100]
    assert leg.heard == [APPLICATION_ERROR]


def test_slow_webhook_times_out_after_15_seconds(emu, webapp):
    # https://www.twilio.com/docs/errors/11205 - Twilio waits 15 s for a webhook
    emu.transport.delay("https://app.test/voice", 16)
    leg = call_in(emu, webapp, "<Response><Say>late</Say></Response>")
    assert leg.errors[0]["code"] == 11205
    assert webapp.requests == []  # the app never got to answer in time


def test_reject_leaves_the_call_unanswered(emu, webapp):
    # https://www.twilio.com/docs/voice/twiml/reject
    leg = call_in(emu, webapp, "<Response><Reject reason='busy'/></Response>")
    assert leg.record.status == "busy" and leg.answered_at is None


def test_unknown_verb_is_reported_and_skipped(emu, webapp):
    leg = call_in(emu, webapp, "<Response><Dance/><Say>after</Say></Response>")
    assert leg.heard == ["after"] and leg.errors[0]["code"] == 12200


def test_play_is_heard_as_its_url(emu, webapp):
    leg = call_in(emu, webapp, "<Response><Play loop='2'>/hold.mp3</Play></Response>")
    assert leg.heard == ["https://app.test/hold.mp3"]
    assert emu.engine.now() == 10.0


def test_a_repeated_document_shares_its_frozen_verbs_in_a_fresh_list():
    body = '<?xml version="1.0" encoding="UTF-8"?><Response><Pause length="30" /><Redirect>/next</Redirect></Response>'
    first, again = twiml.parse(body), twiml.parse(body.encode())
    assert first == again and first is not again
    first.pop()
    assert [verb.name for verb in twiml.parse(body)] == ["Pause", "Redirect"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        again[0].text = "changed"
