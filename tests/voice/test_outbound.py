"""The dialer's webhooks: what the callee hears, press 1, and outcomes recorded once."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ivr import clock
from ivr.cases.crn import spoken
from ivr.cases.store import Store
from ivr.dialer.attempts import Attempt, Attempts
from ivr.dialer.dnc import DoNotCall
from ivr.dialer.policy import DAY, HOUR
from ivr.voice.limited_content import disclosure

NOW = 1_795_701_600.0
CRN = "4012345675"
SPOKEN = "4 0 1, 2 3 4, 5 6 7 5"


@pytest.fixture
def attempts(redis, keys) -> Attempts:
    return Attempts(redis, keys)


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW) as manual:
        yield manual


def open_attempt(attempts: Attempts, redis, keys, kind: str = "practitioner", attempt_id: str = "AT" + "a" * 20):
    contact = "0401-23456R" if kind == "practitioner" else "taxpayer"
    attempt = Attempt(attempt_id, "ACS-000101", contact, kind, "+12125550101", CRN, "placing", NOW, "tok", "Avery")
    pipe = redis.pipeline()
    attempts.create(pipe, attempt, NOW)
    pipe.hset(keys.dialer_locks(), "ACS-000101", f"tok|{NOW + 3600}")
    pipe.zadd(keys.cases_due(), {"ACS-000101": NOW + 3600})
    pipe.execute()
    return attempt


def xml(response) -> ET.Element:
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def said(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


def answer(twilio, attempt_id: str, answered_by: str):
    params = {"CallSid": "CA" + "1" * 32, "AnsweredBy": answered_by, "To": "+12125550101", "From": "+12025550100"}
    return twilio.post("/voice/outbound/answer", params, query={"attempt": attempt_id})


def status(twilio, attempt_id: str, call_status: str, answered_by: str = ""):
    params = {"CallSid": "CA" + "1" * 32, "CallStatus": call_status}
    if answered_by:
        params["AnsweredBy"] = answered_by
    return twilio.post("/voice/outbound/status", params, query={"attempt": attempt_id})


def test_a_person_hears_the_crn_twice_the_callback_numbers_and_press_1(twilio, attempts, redis, keys, sample_data):
    attempt = open_attempt(attempts, redis, keys)
    root = xml(answer(twilio, attempt.attempt_id, "human"))
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.get("action") == f"https://acs.example.test/voice/outbound/press?attempt={attempt.attempt_id}"
    text = said(root)
    assert text.count(SPOKEN) == 2
    assert "8 0 0, 8 2 9, 3 9 0 3" in text and "8 0 0, 8 2 9, 7 6 5 0" in text
    assert "press 1" in text
    assert root.find("Hangup") is not None


def test_a_machine_gets_the_same_message_and_no_menu(twilio, attempts, redis, keys, sample_data):
    attempt = open_attempt(attempts, redis, keys)
    root = xml(answer(twilio, attempt.attempt_id, "machine_end_beep"))
    assert root.find("Gather") is None
    assert said(root).count(SPOKEN) == 2
    assert "press 1" not in said(root)
    assert attempts.get(attempt.attempt_id).message_played


def test_nothing_taxing_is_ever_said(twilio, attempts, redis, keys, sample_data):
    cases = (("practitioner", "human"), ("taxpayer", "machine_end_beep"), ("taxpayer", "human"))
    for n, (kind, answered_by) in enumerate(cases):
        attempt = open_attempt(attempts, redis, keys, kind, attempt_id=f"AT{n:020d}")
        text = said(xml(answer(twilio, attempt.attempt_id, answered_by)))
        stored = redis.hgetall(keys.case("ACS-000101"))
        digits = Store(redis, keys).get_case("ACS-000101").tin.digits
        assert digits not in text.replace(" ", "").replace(",", "")
        assert stored["balance"] not in text and "$" not in text and "dollar" not in text.lower()
        assert stored["taxpayer_name"] not in text
        if kind == "taxpayer":  # limited content (12 CFR 1006.2(j)): no CRN, no tax words
            assert "client" not in text and "Jordan Lee" in text and "call us back" in text
            assert disclosure(text) is None and spoken(CRN) not in text


def test_fax_and_unknown_attempts_just_hang_up(twilio, attempts, redis, keys):
    attempt = open_attempt(attempts, redis, keys)
    assert [el.tag for el in xml(answer(twilio, attempt.attempt_id, "fax"))] == ["Hangup"]
    assert [el.tag for el in xml(answer(twilio, "AT" + "f" * 20, "human"))] == ["Hangup"]
    assert [el.tag for el in xml(answer(twilio, "../../etc", "human"))] == ["Hangup"]
    assert not redis.exists(keys.attempt("AT" + "f" * 20))


def test_press_1_queues_the_callee_with_the_case_attached(twilio, attempts, redis, keys, app):
    attempt = open_attempt(attempts, redis, keys)
    sid = "CA" + "2" * 32
    params = {"CallSid": sid, "Digits": "1", "To": "+12125550101", "From": "+12025550100"}
    root = xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id}))
    assert root.find("Redirect").text == "https://acs.example.test/voice/acs/queue"
    context = app.extensions["acs"].callers.get(sid)
    assert context.case_id == "ACS-000101" and context.crn == CRN and context.caller == "+12125550101"
    assert attempts.get(attempt.attempt_id).pressed == "1"


def test_after_press_1_the_queue_still_shows_the_callee_not_our_caller_id(twilio, attempts, redis, keys, app):
    """On an outbound leg From is the office's number: /voice/acs/queue must not overwrite the callee's number."""
    attempt = open_attempt(attempts, redis, keys)
    sid = "CA" + "2" * 32
    params = {"CallSid": sid, "Digits": "1", "To": "+12125550101", "From": "+12025550100"}
    xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id}))
    xml(twilio.post("/voice/acs/queue", {"CallSid": sid, "To": "+12125550101", "From": "+12025550100"}))
    (waiting,) = app.extensions["acs"].callers.waiting("acs")
    assert (waiting.caller, waiting.line, waiting.case_id) == ("+12125550101", "+12025550100", "ACS-000101")


def test_pressing_9_puts_the_number_on_the_do_not_call_list(twilio, attempts, redis, keys, app, sample_data):
    attempt = open_attempt(attempts, redis, keys, "taxpayer")
    params = {"CallSid": "CA" + "2" * 32, "Digits": "9", "To": attempt.to}
    root = xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id}))
    assert "will not be called again" in said(root) and root.find("Hangup") is not None
    record = DoNotCall(redis, keys).get(attempt.to)
    assert record.who == "callee" and record.how == "keypad" and record.at == NOW
    (entry,) = [e for e in app.extensions["acs"].history.entries("ACS-000101") if e.kind == "dnc"]
    assert "0101" in entry.summary and "2125550101" not in entry.summary
    xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id}))  # repeated: one line
    assert len([e for e in app.extensions["acs"].history.entries("ACS-000101") if e.kind == "dnc"]) == 1


def test_any_other_key_says_goodbye(twilio, attempts, redis, keys):
    attempt = open_attempt(attempts, redis, keys)
    params = {"CallSid": "CA" + "2" * 32, "Digits": "7"}
    root = xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id}))
    assert root.find("Hangup") is not None and root.find("Redirect") is None


def call_outs(app, case_id="ACS-000101"):
    return [e for e in app.extensions["acs"].history.entries(case_id) if e.kind == "call_out"]


def test_a_conversation_is_recorded_once_whatever_twilio_repeats(twilio, attempts, redis, keys, app):
    attempt = open_attempt(attempts, redis, keys)
    answer(twilio, attempt.attempt_id, "human")
    for event in ("initiated", "ringing", "completed", "completed", "ringing", "in-progress", "completed"):
        assert status(twilio, attempt.attempt_id, event).status_code == 200
    entries = call_outs(app)
    assert len(entries) == 1
    assert entries[0].detail["outcome"] == "conversation" and CRN in entries[0].summary
    assert redis.zscore(keys.cases_due(), "ACS-000101") == pytest.approx(NOW + 7 * DAY)
    assert not redis.hexists(keys.dialer_locks(), "ACS-000101")
    assert redis.hget(keys.case_dialing("ACS-000101"), "last_conversation_at")


def test_a_key_pressed_after_the_answer_is_in_the_outcome_wherever_it_was_noted(twilio, attempts, redis, keys, app):
    """The final status judges on the attempt this process noted at its answer only if nothing was noted since."""
    attempt = open_attempt(attempts, redis, keys)
    answer(twilio, attempt.attempt_id, "human")
    assert attempts.pressed(attempt.attempt_id, "1") is not None  # noted by another process (not the app's Attempts)
    status(twilio, attempt.attempt_id, "completed")
    (entry,) = call_outs(app)
    assert entry.detail["pressed"] == "1" and "pressed 1" in entry.summary
    assert entry.detail["outcome"] == "conversation"


@pytest.mark.parametrize(
    ("call_status", "answered_by", "outcome", "delay"),
    [
        ("completed", "machine_end_beep", "voicemail", 2 * DAY),
        ("no-answer", "", "no-answer", 2 * HOUR),
        ("busy", "", "busy", 15 * 60),
        ("failed", "", "failed", 2 * HOUR),
        ("canceled", "", "canceled", 2 * HOUR),
    ],
)
def test_each_outcome_decides_the_next_step(
    twilio, attempts, redis, keys, app, call_status, answered_by, outcome, delay
):
    attempt = open_attempt(attempts, redis, keys)
    if answered_by:
        answer(twilio, attempt.attempt_id, answered_by)
    status(twilio, attempt.attempt_id, call_status, answered_by)
    (entry,) = call_outs(app)
    assert entry.detail["outcome"] == outcome
    assert redis.zscore(keys.cases_due(), "ACS-000101") == pytest.approx(NOW + delay)


def test_the_dialer_stops_after_the_maximum_unanswered_attempts(twilio, attempts, redis, keys, app):
    redis.hset(keys.case_dialing("ACS-000101"), "unanswered", 9)
    attempt = open_attempt(attempts, redis, keys)
    status(twilio, attempt.attempt_id, "no-answer")
    assert redis.zscore(keys.cases_due(), "ACS-000101") is None
    assert "stopped" in call_outs(app)[0].summary.lower()
    assert redis.hget(keys.case_dialing("ACS-000101"), "stopped")


def test_bad_status_callbacks_are_harmless(twilio, client):
    assert status(twilio, "AT" + "0" * 20, "completed").status_code == 200
    assert twilio.post("/voice/outbound/status", {"CallStatus": "completed"}).status_code == 200
    assert client.post("/voice/outbound/status", data={"CallStatus": "completed"}).status_code == 403
    assert client.post("/voice/outbound/answer", data={}).status_code == 403


def test_a_retry_that_would_fall_at_night_is_set_for_the_next_morning(twilio, attempts, redis, keys, frozen_clock):
    evening = NOW + 11 * HOUR  # 01:00 UTC = 20:00 in New York; +2 h would be 22:00
    frozen_clock.set(evening)
    attempt = open_attempt(attempts, redis, keys)
    status(twilio, attempt.attempt_id, "no-answer")
    assert redis.zscore(keys.cases_due(), "ACS-000101") == NOW + DAY - HOUR  # 13:00 UTC = 08:00 New York


def test_whoever_answers_a_taxpayer_call_hears_no_word_of_collection(twilio, attempts, redis, keys, app):
    """Press 1 on a taxpayer's call, or a live answer nobody can take: the limited-content office name only."""
    from ivr.voice import floor

    attempt = open_attempt(attempts, redis, keys, "taxpayer")
    params = {"CallSid": "CA" + "2" * 32, "Digits": "1", "To": attempt.to, "From": "+12025550100"}
    pressed = said(xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id})))
    assert disclosure(pressed) is None, pressed
    with app.test_request_context("/voice/outbound/answer", method="POST"):
        abandoned = said(ET.fromstring(str(floor.live_answer("CA" + "3" * 32, attempt))))
    assert disclosure(abandoned) is None and "call us back" in abandoned and spoken(CRN) not in abandoned
    practitioner = open_attempt(attempts, redis, keys, attempt_id="AT" + "b" * 20)
    with app.test_request_context("/voice/outbound/answer", method="POST"):
        told = said(ET.fromstring(str(floor.live_answer("CA" + "4" * 32, practitioner))))
    assert SPOKEN in told


def _press_1_and_queue(twilio, attempts, redis, keys, kind: str, attempt_id: str, sid: str) -> ET.Element:
    attempt = open_attempt(attempts, redis, keys, kind, attempt_id=attempt_id)
    params = {"CallSid": sid, "Digits": "1", "To": attempt.to, "From": "+12025550100"}
    xml(twilio.post("/voice/outbound/press", params, query={"attempt": attempt.attempt_id}))
    return xml(twilio.post("/voice/acs/queue", {"CallSid": sid, "To": attempt.to, "From": "+12025550100"}))


def _follow(twilio, url: str, params: dict) -> str:
    path, _, query = url.removeprefix("https://acs.example.test").partition("?")
    return said(xml(twilio.post(path, params, query=dict(p.split("=", 1) for p in query.split("&") if p))))


def test_a_taxpayer_who_pressed_1_holds_without_a_word_of_collection(twilio, attempts, redis, keys, app):
    """Whoever answered a taxpayer's number may not be the taxpayer: queue, hold, bridge, apology: no tax words."""
    sid = "CA" + "5" * 32
    root = _press_1_and_queue(twilio, attempts, redis, keys, "taxpayer", "AT" + "c" * 20, sid)
    assert app.extensions["acs"].callers.get(sid).private
    enqueue = root.find("Enqueue")
    heard = [said(root)]
    hold = {"CallSid": sid, "QueuePosition": "1", "AvgQueueTime": "0", "CurrentQueueSize": "1"}
    heard.append(_follow(twilio, enqueue.get("waitUrl"), hold))
    heard.append(_follow(twilio, enqueue.get("action"), {"CallSid": sid, "QueueResult": "system-error"}))
    connect = {"CallSid": sid, "DequeingCallSid": "CA" + "6" * 32}
    heard.append(said(xml(twilio.post("/voice/acs/connect", connect))))
    for text in heard:
        assert disclosure(text) is None, text
    assert "the A C S office" in heard[1]


def test_a_practitioner_who_pressed_1_keeps_todays_hold_messages(twilio, attempts, redis, keys, app):
    sid = "CA" + "7" * 32
    root = _press_1_and_queue(twilio, attempts, redis, keys, "practitioner", "AT" + "d" * 20, sid)
    assert not app.extensions["acs"].callers.get(sid).private
    enqueue = root.find("Enqueue")
    assert enqueue.get("waitUrl") == "https://acs.example.test/voice/acs/wait"
    hold = {"CallSid": sid, "QueuePosition": "1", "AvgQueueTime": "0", "CurrentQueueSize": "1"}
    assert "collection employee" in _follow(twilio, enqueue.get("waitUrl"), hold)
    assert "collection employee" in said(root)


def test_the_answered_event_tells_the_pacer_the_callee_picked_up(twilio, attempts, redis, keys, app, frozen_clock):
    """Twilio's `answered` status event comes as CallStatus in-progress
    (https://www.twilio.com/docs/voice/api/call-resource#statuscallbackevent); that it comes at pickup, before the
    synchronous AMD verdict, is our assumption (README "The floor"), which the emulator follows. It also notes the
    CallSid for reconciliation, in the same round trip."""
    attempt = open_attempt(attempts, redis, keys)
    app.extensions["acs"].floor.placed({attempt.attempt_id: NOW - 5}, NOW - 5)
    response = status(twilio, attempt.attempt_id, "in-progress")
    assert response.status_code == 200 and ET.fromstring(response.data).tag == "Response"
    assert redis.zscore(keys.floor_picked_up("default"), attempt.attempt_id) == NOW
    assert attempts.get(attempt.attempt_id).state != "final"  # not an outcome
    assert redis.get(keys.call_attempt("CA" + "1" * 32)) == attempt.attempt_id
    frozen_clock.set(NOW + 1)
    status(twilio, attempt.attempt_id, "in-progress")  # a repeated event keeps the first pickup
    assert redis.zscore(keys.floor_picked_up("default"), attempt.attempt_id) == NOW
    status(twilio, "AT" + "9" * 20, "in-progress")  # not in flight: nothing written
    assert redis.zcard(keys.floor_picked_up("default")) == 1


@pytest.mark.parametrize("named_late", [False, True])
def test_a_live_answer_goes_to_the_employee_the_attempt_names_at_the_answer(
    twilio, attempts, redis, keys, app, named_late
):
    """The answered event notes the attempt for the answer webhook; an employee named since still gets the call."""
    from ivr.dialer.floor_phone import preview_queue

    svc = app.extensions["acs"]
    attempt = open_attempt(attempts, redis, keys, kind="taxpayer")
    svc.floor.placed({attempt.attempt_id: NOW - 10}, NOW - 10)
    redis.hset(keys.floor_campaign(svc.floor.campaign), "mode", "preview")
    redis.zadd(keys.floor_ready(), {"ann": NOW - 60})
    pipe = redis.pipeline()
    if not named_late:
        attempts.note_employee([attempt.attempt_id], "ann", pipe)
        pipe.execute()
    assert status(twilio, attempt.attempt_id, "in-progress").status_code == 200
    if named_late:
        attempts.note_employee([attempt.attempt_id], "ann", pipe)
        pipe.execute()
    root = xml(answer(twilio, attempt.attempt_id, "human"))
    assert root.find("Enqueue").text == preview_queue("ann")
    assert redis.hget(keys.floor_live("CA" + "1" * 32), "case_id") == "ACS-000101"
    assert redis.zscore(keys.floor_in_flight(svc.floor.campaign), attempt.attempt_id) is None
