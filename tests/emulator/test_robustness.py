"""Bad TwiML is a Twilio warning or error in the transcript, never an exception (issue 13 items 8 and 9)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import Caller, Emulator, KeyRule
from emulator.parties import SpeechRule

NUMBER, CALLER = "+18005550100", "+12025550123"


def call_in(emu, webapp, doc: str, party=None):
    webapp.docs["/voice"] = doc
    emu.add_number(NUMBER, "https://app.test/voice")
    leg = emu.dial_in(CALLER, NUMBER, party or Caller("caller"))
    emu.run(until=20000)
    return leg


def codes(leg) -> list[int]:
    return [w["code"] for w in leg.warnings]


def test_say_loop_nan_is_warning_13510_and_the_say_plays_once(emu, webapp):
    """https://www.twilio.com/docs/api/errors/13510 (Say: Invalid loop value; loop must be an integer >= 0)."""
    leg = call_in(emu, webapp, "<Response><Say loop='nan'>one two three four five</Say></Response>")
    assert leg.heard == ["one two three four five"]
    assert codes(leg) == [13510]
    assert emu.engine.now() == 2.0 and leg.record.status == "completed"
    assert any(e.kind == "warning" and "13510" in e.text for e in emu.transcript.entries)


def test_gather_nested_say_bad_loop_is_13322_and_bad_timeout_13313(emu, webapp):
    """https://www.twilio.com/docs/api/errors/13322 and https://www.twilio.com/docs/api/errors/13313."""
    doc = "<Response><Gather timeout='soon'><Say loop='-1'>Press</Say></Gather><Say>bye</Say></Response>"
    leg = call_in(emu, webapp, doc)
    assert sorted(codes(leg)) == [13313, 13322]
    assert leg.heard == ["Press", "bye"]


def test_unknown_attribute_is_schema_warning_12200(emu, webapp):
    """https://www.twilio.com/docs/api/errors/12200: "Misspelled or unknown attributes"."""
    doc = "<Response><Dial statusCallbackEvent='x' timeLimit='forever'>+12025550170</Dial></Response>"
    leg = call_in(emu, webapp, doc)
    assert (12200, "Attribute 'statusCallbackEvent' is not allowed to appear in element 'Dial'") in [
        (w["code"], w["message"]) for w in leg.warnings
    ]
    assert 13216 in codes(leg)  # https://www.twilio.com/docs/api/errors/13216 Dial: Invalid timeLimit value


def test_infinite_and_huge_numbers_do_not_stall_the_engine(emu, webapp):
    """https://www.twilio.com/docs/api/errors/13910 (Pause: Invalid length value)."""
    leg = call_in(emu, webapp, "<Response><Pause length='inf'/><Pause length='1e999'/><Say>done</Say></Response>")
    assert codes(leg) == [13910, 13910]
    assert leg.heard == ["done"] and emu.engine.now() < 10


def test_not_emulated_verb_says_so_with_12200(emu, webapp):
    """https://www.twilio.com/docs/api/errors/12200: a verb the emulator does not run is reported, then skipped."""
    leg = call_in(emu, webapp, "<Response><Connect><Stream url='wss://x'/></Connect><Say>after</Say></Response>")
    assert [e["code"] for e in leg.errors] == [12200]
    assert any("<Connect> is not emulated" in e.text for e in emu.transcript.entries)
    assert leg.heard == ["after"]


def test_taskrouter_enqueue_is_error_14220_and_the_action_gets_queue_result_error(emu, webapp):
    """https://www.twilio.com/docs/api/errors/14220 (Enqueue: Provided Workflow was not a valid sid) and
    https://www.twilio.com/docs/voice/twiml/enqueue#attributes-action-parameters (QueueResult=error)."""
    webapp.docs["/done"] = lambda p: f"<Response><Say>result {p['QueueResult']}</Say></Response>"
    doc = (
        "<Response><Enqueue workflowSid='WW0123' action='/done'>"
        '<Task>{"skill": "collections"}</Task></Enqueue></Response>'
    )
    leg = call_in(emu, webapp, doc)
    assert [e["code"] for e in leg.errors] == [14220]
    assert leg.heard == ["result error"]
    assert leg.queued is None and leg.record.status == "completed"
    assert emu.store.queue_by_name(emu.account_sid, "default") is None


def test_taskrouter_enqueue_without_action_continues_with_the_next_verb(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/enqueue#attributes-action: no action -> next verb."""
    doc = "<Response><Enqueue workflowSid='WW1'><Task>{}</Task></Enqueue><Say>next</Say></Response>"
    leg = call_in(emu, webapp, doc)
    assert [e["code"] for e in leg.errors] == [14220] and leg.heard == ["next"]


# -- fuzzing -------------------------------------------------------------------------------------------------

VERBS = [
    "Say",
    "Play",
    "Pause",
    "Gather",
    "Redirect",
    "Hangup",
    "Reject",
    "Enqueue",
    "Dial",
    "Leave",
    "Record",
    "Number",
    "Queue",
    "Task",
    "Bogus",
    "prosody",
    "break",
    "say-as",
    "Connect",
    "Conference",
    "Client",
]
ATTRS = [
    "loop",
    "length",
    "timeout",
    "numDigits",
    "finishOnKey",
    "action",
    "method",
    "input",
    "speechTimeout",
    "waitUrl",
    "waitUrlMethod",
    "timeLimit",
    "callerId",
    "record",
    "answerOnBridge",
    "ringTone",
    "digits",
    "url",
    "maxLength",
    "playBeep",
    "transcribe",
    "trim",
    "beep",
    "startConferenceOnEnter",
    "endConferenceOnExit",
    "waitMethod",
    "maxParticipants",
    "muted",
    "hangupOnStar",
    "sendDigits",
    "workflowSid",
    "reason",
    "actionOnEmptyResult",
    "partialResultCallback",
    "alias",
    "junk",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "1",
            "3",
            "-1",
            "nan",
            "inf",
            "-inf",
            "1e999",
            "0.5",
            "GET",
            "POST",
            "get",
            "true",
            "#",
            "*",
            "/voice",
            "/other",
            "http://[bad",
            "speech",
            "dtmf speech",
            "auto",
            "busy",
            "+12025550170",
            "record-from-answer",
            "us",
            "x" * 300,
        ]
    ),
    st.text(max_size=12),
)
TEXT = st.one_of(
    st.sampled_from(["", "hello", "/voice", "q", "+12025550170", "12", "press 1", "http://[bad", "room"]),
    st.text(max_size=15),
)


def _element(depth: int):
    children = st.lists(_element(depth - 1), max_size=3) if depth > 0 else st.just([])
    return st.builds(
        lambda tag, attrs, text, kids: (tag, attrs, text, kids),
        st.sampled_from(VERBS),
        st.dictionaries(st.sampled_from(ATTRS), VALUES, max_size=4),
        TEXT,
        children,
    )


def _to_xml(spec) -> ET.Element:
    tag, attrs, text, kids = spec
    el = ET.Element(tag, attrs)
    el.text = text
    el.extend(_to_xml(kid) for kid in kids)
    return el


DOCS = st.one_of(
    st.lists(_element(2), max_size=5).map(
        lambda verbs: ET.tostring(_to_xml(("Response", {}, "", verbs)), encoding="unicode")
    ),
    st.sampled_from(["", "not xml", "<Response>", "<Other/>", "<Response><Say>unclosed</Response>"]),
    st.text(max_size=40),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(DOCS, min_size=1, max_size=3))
def test_no_exception_escapes_the_interpreter_whatever_the_twiml(make_twiml_app, docs):
    """https://www.twilio.com/docs/api/errors/12100 (parse failure) and 12200 (schema warning): bad TwiML is
    reported by Twilio, the call goes on or ends; the emulator must never crash on it."""
    emu = Emulator()
    webapp = make_twiml_app(emu.auth_token)
    webapp.docs["/voice"] = docs[0]
    webapp.docs["/other"] = docs[-1]
    webapp.docs["/q"] = docs[len(docs) // 2]
    emu.mount("https://app.test", webapp.flask)
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.create_queue("q")
    party = Caller(
        "caller", press=[KeyRule("", "1#", times=3)], say=[SpeechRule("", "yes please", times=2)], hangup_after=3000
    )
    emu.dial_in(CALLER, NUMBER, party)
    emu.create_call("+12025550170", NUMBER, url="https://app.test/other", at=5)
    emu.run(until=4000, max_events=50_000)
    assert all(isinstance(w["code"], int) for w in emu.warnings + emu.errors)


def test_an_unrequestable_url_is_error_11100(emu, webapp):
    """https://www.twilio.com/docs/api/errors/11100 (Invalid URL format)."""
    leg = call_in(emu, webapp, "<Response><Redirect>http://[bad</Redirect></Response>")
    assert [e["code"] for e in leg.errors] == [11100]
