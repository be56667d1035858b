"""<Say> with SSML heard as its words; <Gather input="speech"> fed by a scripted party's speech."""

from __future__ import annotations

from emulator import Caller, KeyRule
from emulator.parties import Speak, SpeechRule, make_party

NUMBER, CALLER = "+18005550100", "+12025550123"


def call_in(emu, webapp, doc: str, party=None):
    webapp.docs["/voice"] = doc
    webapp.docs["/heard"] = lambda p: (
        f"<Response><Say>You said {p.get('SpeechResult', '-')} digits {p.get('Digits', '-')}</Say></Response>"
    )
    emu.add_number(NUMBER, "https://app.test/voice")
    leg = emu.dial_in(CALLER, NUMBER, party or Caller("caller"))
    emu.run(until=3600)
    return leg


def test_say_with_ssml_children_is_heard_as_its_text(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/say/text-speech#ssml-tags: prosody, break, say-as, emphasis, p, s,
    sub (its alias is spoken), phoneme, lang, w."""
    doc = (
        "<Response><Say voice='Polly.Joanna'><prosody rate='slow'>Welcome to the</prosody><break time='1s'/>"
        "<emphasis>Practitioner</emphasis> Priority <p><s>Service.</s></p><say-as interpret-as='digits'>123</say-as>"
        " <sub alias='World Wide Web Consortium'>W3C</sub> <phoneme ph='t'>tomato</phoneme>"
        " <lang xml:lang='fr-FR'>bonjour</lang> <w role='amazon:VB'>read</w></Say><Pause length='2'/></Response>"
    )
    leg = call_in(emu, webapp, doc, Caller("caller", press=[KeyRule("practitioner priority", "3")]))
    assert leg.heard[0] == (
        "Welcome to the Practitioner Priority Service. 123 World Wide Web Consortium tomato bonjour read"
    )
    assert leg.pressed == ["3"]  # key rules match the spoken text
    assert leg.warnings == []


def test_gather_speech_gives_speech_result_and_confidence(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/gather#action: SpeechResult and Confidence for input=speech."""
    doc = "<Response><Gather input='speech' action='/heard'><Say>Say your name</Say></Gather></Response>"
    party = Caller("caller", say=[SpeechRule("your name", "Ada Lovelace", seconds=2, confidence=0.87)])
    leg = call_in(emu, webapp, doc, party)
    params = webapp.to("/heard")[0]
    assert params["SpeechResult"] == "Ada Lovelace"
    assert float(params["Confidence"]) == 0.87
    assert "Digits" not in params
    assert leg.heard[-1] == "You said Ada Lovelace digits -"


def test_dtmf_speech_takes_whichever_comes_first(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/gather#input: "dtmf speech" accepts either."""
    doc = (
        "<Response><Gather input='dtmf speech' numDigits='1' action='/heard'>"
        "<Say>Press or say one</Say></Gather></Response>"
    )
    leg = call_in(emu, webapp, doc, Caller("caller", press=[KeyRule("say one", "1")]))
    assert webapp.to("/heard")[0]["Digits"] == "1"
    leg2_party = Caller("caller2", say=[SpeechRule("say one", "one")])
    emu.dial_in("+12025550999", NUMBER, leg2_party)
    emu.run(until=7200)
    assert webapp.to("/heard")[1]["SpeechResult"] == "one"
    assert leg.pressed == ["1"]


def test_speech_only_gather_ignores_keys_and_speech_timeout_waits_after_talking(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/gather#speechtimeout: seconds of silence after speech."""
    doc = "<Response><Gather input='speech' speechTimeout='3' action='/heard'><Say>Go</Say></Gather></Response>"
    party = Caller("caller", press=[KeyRule("go", "5")], say=[SpeechRule("go", "hello there", seconds=4, after=1)])
    leg = call_in(emu, webapp, doc, party)
    assert webapp.to("/heard")[0]["SpeechResult"] == "hello there"
    gather_at = next(e.t for e in emu.transcript.entries if e.kind == "webhook" and "/heard" in e.text)
    assert gather_at == 0.5 + 1 + 4 + 3  # prompt (0.5 s), pause 1 s, 4 s of speech, 3 s of silence
    assert any("nobody listening" in e.text for e in emu.transcript.entries if e.kind == "dtmf")
    assert leg.heard[-1].startswith("You said hello there")


def test_partial_result_callback_gets_unstable_speech(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/gather#partialresultcallback: UnstableSpeechResult, Stability,
    SequenceNumber while the caller speaks."""
    doc = (
        "<Response><Gather input='speech' partialResultCallback='/partial' action='/heard'>"
        "<Say>Tell me</Say></Gather></Response>"
    )
    call_in(emu, webapp, doc, Caller("caller", say=[SpeechRule("tell me", "I need a payment plan")]))
    partial = webapp.to("/partial")[0]
    assert partial["UnstableSpeechResult"] == "I need"  # the first half of the words
    assert partial["SequenceNumber"] == "0" and "Stability" in partial


def test_speech_nobody_listens_to_is_noted_and_scenario_parties_can_speak(emu, webapp):
    party = make_party({"type": "caller", "say_after": [{"after": 1, "text": "hello?", "seconds": 1}]})
    assert party.say_after == [Speak("hello?", 1.0, 1.0, 0.9)]
    leg = call_in(emu, webapp, "<Response><Pause length='5'/></Response>", party)
    assert leg.spoken == ["hello?"]
    assert any(e.kind == "speech" and "nobody listening" in e.text for e in emu.transcript.entries)


def test_scenario_callers_speak_to_a_speech_gather(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/gather#input: a scenario's `say:` rules feed speech input."""
    from emulator.scenario import run_scenario

    webapp.docs["/voice"] = (
        "<Response><Gather input='speech' action='/heard' loop='2'><Say>How can we help?</Say></Gather></Response>"
    )
    webapp.docs["/heard"] = lambda p: f"<Response><Say>Routing {p['SpeechResult']}</Say></Response>"
    scenario = {
        "numbers": {NUMBER: "/voice"},
        "callers": [{"name": "c", "from": CALLER, "to": NUMBER, "say": [{"heard": "help", "text": "billing"}]}],
        "expect": [
            {"leg": "c", "spoke": "billing", "heard": "Routing billing"},
            {"leg": "c", "warning_code": 12200},  # loop is not a Gather attribute
        ],
    }
    result = run_scenario(scenario, app_url="https://app.test", emulator=emu)
    assert result.ok, result.report()
