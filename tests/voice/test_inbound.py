"""The inbound line through the Flask test client, every request signed the way Twilio signs it."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import pytest
from twilio.request_validator import RequestValidator

from ivr import create_app
from ivr.cases.history import History
from ivr.config import Config
from ivr.voice.callers import CallerState

SID = "CA" + "a" * 32
AGENT_SID = "CA" + "b" * 32
BASE = "https://acs.example.test"
CALL = {"CallSid": SID, "From": "+12125550101", "To": "+18008293903", "AccountSid": "AC" + "0" * 32}
AVERY_CLIENT_SSN = "015146380"  # ACS-000101's taxpayer (sample data)


def xml(response) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.data)


def tags(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def test_pps_option_3_goes_to_acs(twilio) -> None:
    menu = xml(twilio.post("/voice/pps", CALL))
    assert tags(menu) == ["Say", "Gather", "Redirect"]
    assert menu.find("Gather").attrib["action"] == f"{BASE}/voice/pps"
    root = xml(twilio.post("/voice/pps", CALL | {"Digits": "3"}))
    assert tags(root) == ["Redirect"] and root.find("Redirect").text == f"{BASE}/voice/acs"
    other = xml(twilio.post("/voice/pps", CALL | {"Digits": "1"}))
    assert other.find("Redirect").text == f"{BASE}/voice/pps?replay=1"


def test_pps_replay_with_a_query_string_ends_at_acs(twilio) -> None:
    root = xml(twilio.post("/voice/pps", CALL, query={"replay": "1"}))
    assert tags(root) == ["Gather", "Redirect"]
    assert root.find("Redirect").text == f"{BASE}/voice/acs"


def test_silent_caller_is_queued_and_reaches_an_employee(twilio, sample_data, redis, keys, app) -> None:
    greeting = xml(twilio.post("/voice/acs", CALL))
    assert tags(greeting) == ["Say", "Gather", "Redirect"]
    assert greeting.find("Redirect").text == f"{BASE}/voice/acs/queue"
    # The Gather times out: Twilio follows the Redirect.
    queued = xml(twilio.post("/voice/acs/queue", CALL))
    enqueue = queued.find("Enqueue")
    assert (enqueue.text, enqueue.attrib["waitUrl"], enqueue.attrib["action"]) == (
        "acs",
        f"{BASE}/voice/acs/wait",
        f"{BASE}/voice/acs/queue-result",
    )
    callers = app.extensions["acs"].callers
    context = callers.get(SID)
    assert context.state is CallerState.SILENT and context.case_id is None and context.caller == CALL["From"]
    assert [c.call_sid for c in callers.waiting("acs")] == [SID]
    hold = xml(twilio.post("/voice/acs/wait", CALL | {"QueuePosition": "2", "CurrentQueueSize": "3",
                                                       "AvgQueueTime": "180", "QueueTime": "5"}))  # fmt: skip
    said = " ".join(s.text for s in hold.iter("Say"))
    assert "caller number 2" in said and "about 2 minutes" in said
    agent = xml(twilio.post("/voice/agent", {"CallSid": AGENT_SID, "From": "client:emp-1"}))
    assert agent.find("Dial/Queue").text == "acs"
    assert agent.find("Dial/Queue").attrib["url"] == f"{BASE}/voice/acs/connect"
    xml(twilio.post("/voice/acs/connect", CALL | {"DequeingCallSid": AGENT_SID, "QueueSid": "QU" + "1" * 32}))
    assert callers.for_agent_call(AGENT_SID).call_sid == SID
    assert callers.waiting("acs") == []
    left = xml(twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "bridged", "QueueTime": "40"}))
    assert tags(left) == ["Hangup"]
    assert redis.hget(keys.queue_stats("acs"), "result:bridged") == "1"


def test_valid_ssn_of_an_open_case_is_matched(twilio, sample_data, redis, keys, app) -> None:
    root = xml(twilio.post("/voice/acs/tin", CALL | {"Digits": AVERY_CLIENT_SSN}))
    assert root.find("Redirect").text == f"{BASE}/voice/acs/queue"
    context = app.extensions["acs"].callers.get(SID)
    assert (context.state, context.case_id) == (CallerState.MATCHED, "ACS-000101")
    entries = History(redis, keys).entries("ACS-000101")
    assert entries[-1].kind == "call_in" and entries[-1].detail["call_sid"] == SID
    assert "***-**-6380" in entries[-1].summary
    xml(twilio.post("/voice/acs/queue", CALL))
    assert app.extensions["acs"].callers.get(SID).case_id == "ACS-000101"


def test_ein_keyed_as_digits_is_matched(twilio, sample_data, app) -> None:
    xml(twilio.post("/voice/acs/tin", CALL | {"Digits": "757986364#"}))
    assert app.extensions["acs"].callers.get(SID).case_id == "ACS-000102"


def test_invalid_twice_is_queued_anyway(twilio, sample_data, app) -> None:
    first = xml(twilio.post("/voice/acs/tin", CALL | {"Digits": "123456789"}))
    assert tags(first) == ["Gather", "Redirect"]
    assert first.find("Gather").attrib["action"] == f"{BASE}/voice/acs/tin"
    second = xml(twilio.post("/voice/acs/tin", CALL | {"Digits": "000000000"}))
    assert tags(second) == ["Say", "Redirect"]
    assert second.find("Redirect").text == f"{BASE}/voice/acs/queue"
    context = app.extensions["acs"].callers.get(SID)
    assert (context.state, context.tin_attempts, context.case_id) == (CallerState.UNMATCHED, 2, None)
    assert xml(twilio.post("/voice/acs/queue", CALL)).find("Enqueue").text == "acs"


def test_closed_case_is_not_matched(twilio, sample_data, redis, keys, app) -> None:
    redis.hset(keys.case("ACS-000101"), "status", "closed")
    assert tags(xml(twilio.post("/voice/acs/tin", CALL | {"Digits": AVERY_CLIENT_SSN}))) == ["Gather", "Redirect"]


def test_queue_result_and_bridge_are_recorded_in_history(twilio, sample_data, redis, keys) -> None:
    twilio.post("/voice/acs/tin", CALL | {"Digits": AVERY_CLIENT_SSN})
    twilio.post("/voice/acs/queue", CALL)
    connect = xml(twilio.post("/voice/acs/connect", CALL | {"DequeingCallSid": AGENT_SID}))
    assert "connected" in connect.find("Say").text
    assert redis.get(keys.agent_bridge(AGENT_SID)) == SID
    twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "bridged", "QueueTime": "75"})
    entries = History(redis, keys).entries("ACS-000101")
    assert [e.kind for e in entries][-3:] == ["call_in", "call_in", "queue"]
    assert "employee" in entries[-2].summary
    assert "bridged" in entries[-1].summary and "75" in entries[-1].summary


def test_queue_result_for_an_unknown_case_touches_no_history(twilio, sample_data, redis, keys) -> None:
    twilio.post("/voice/acs/queue", CALL)
    root = xml(twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "hangup", "QueueTime": "3"}))
    assert tags(root) == ["Hangup"]
    assert [e.kind for e in History(redis, keys).entries("ACS-000101")] == ["case_opened"]


def test_queue_failure_apologises(twilio) -> None:
    root = xml(twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "queue-full"}))
    assert tags(root) == ["Say", "Hangup"]


def test_call_sid_is_required_where_state_is_kept(twilio) -> None:
    for path in ("/voice/acs", "/voice/acs/tin", "/voice/acs/queue"):
        assert twilio.post(path, {"CallSid": "not-a-sid"}).status_code == 400
        assert twilio.post(path, {}).status_code == 400


def voice_paths(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/voice/"))


def test_every_voice_route_refuses_unsigned_and_wrongly_signed_requests(client, twilio, app, redis) -> None:
    paths = voice_paths(app)
    assert {"/voice/pps", "/voice/acs", "/voice/acs/tin", "/voice/acs/queue", "/voice/agent"} <= set(paths)
    wrong = RequestValidator("some-other-token")
    for path in paths:
        assert client.post(path, data=CALL).status_code == 403, path
        assert client.post(path, data=CALL, headers={"X-Twilio-Signature": ""}).status_code == 403, path
        bad = wrong.compute_signature(BASE + path, CALL)
        assert client.post(path, data=CALL, headers={"X-Twilio-Signature": bad}).status_code == 403, path
        other_url = twilio.signature("/voice/elsewhere", CALL)
        assert client.post(path, data=CALL, headers={"X-Twilio-Signature": other_url}).status_code == 403, path
        tampered = twilio.signature(path, CALL)
        assert (
            client.post(path, data=CALL | {"Digits": "1"}, headers={"X-Twilio-Signature": tampered}).status_code == 403
        )
        assert client.get(path).status_code in (403, 405)
    assert redis.dbsize() == 0  # a refused request writes nothing


@pytest.fixture
def prefixed_client(config_overrides, redis):
    base = "https://tunnel.example.test/ivr"
    app = create_app(Config.from_env(config_overrides | {"PUBLIC_BASE_URL": base + "/"}))
    yield app.test_client(), base, RequestValidator(config_overrides["TWILIO_AUTH_TOKEN"])
    app.extensions["acs"].redis.close()


def test_public_base_url_with_a_path_prefix(prefixed_client, sample_data) -> None:
    client, base, validator = prefixed_client
    signature = validator.compute_signature(f"{base}/voice/acs", CALL)
    root = xml(client.post("/voice/acs", data=CALL, headers={"X-Twilio-Signature": signature}))
    assert root.find("Gather").attrib["action"] == f"{base}/voice/acs/tin"
    assert root.find("Redirect").text == f"{base}/voice/acs/queue"
    url = f"{base}/voice/pps?replay=1"
    signature = validator.compute_signature(url, CALL)
    root = xml(client.post("/voice/pps?replay=1", data=CALL, headers={"X-Twilio-Signature": signature}))
    assert root.find("Redirect").text == f"{base}/voice/acs"
    unprefixed = validator.compute_signature(f"{BASE}/voice/acs", CALL)
    assert client.post("/voice/acs", data=CALL, headers={"X-Twilio-Signature": unprefixed}).status_code == 403


def test_signature_covers_the_query_string(client, twilio) -> None:
    signed_without = twilio.signature("/voice/pps", CALL)
    response = client.post("/voice/pps?replay=1", data=CALL, headers={"X-Twilio-Signature": signed_without})
    assert response.status_code == 403
    assert twilio.post("/voice/pps", CALL, query={"replay": "1", "x": "a b&c"}).status_code == 200


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_healthz_reports_redis_down(config_overrides) -> None:
    app = create_app(Config.from_env(config_overrides | {"REDIS_URL": "redis://127.0.0.1:1/0"}))
    assert app.test_client().get("/healthz").status_code == 503


def test_redis_down_still_queues_the_caller_and_logs_no_digits(config_overrides, caplog) -> None:
    app = create_app(Config.from_env(config_overrides | {"REDIS_URL": "redis://127.0.0.1:1/0"}))
    client, validator = app.test_client(), RequestValidator(config_overrides["TWILIO_AUTH_TOKEN"])
    params = CALL | {"Digits": AVERY_CLIENT_SSN}
    for path in ("/voice/acs/tin", "/voice/acs/queue"):
        signature = validator.compute_signature(BASE + path, params)
        root = xml(client.post(path, data=params, headers={"X-Twilio-Signature": signature}))
        assert root.find("Enqueue").text == "acs"
    assert "ConnectionError" in caplog.text
    assert AVERY_CLIENT_SSN not in caplog.text


@pytest.mark.parametrize(
    ("path", "params", "expected"),
    [
        ("/voice/acs/queue-result", {"QueueResult": "bridged", "QueueTime": "60"}, ["Hangup"]),
        ("/voice/acs/queue-result", {"QueueResult": "error"}, ["Say", "Hangup"]),
        ("/voice/acs/connect", {"DequeingCallSid": AGENT_SID}, ["Say"]),
        ("/voice/acs/wait", {"QueuePosition": "1"}, ["Say", "Say", "Pause"]),
        ("/voice/acs", {}, ["Say", "Gather", "Redirect"]),
    ],
)
def test_redis_down_never_requeues_a_finished_call(config_overrides, path, params, expected) -> None:
    app = create_app(Config.from_env(config_overrides | {"REDIS_URL": "redis://127.0.0.1:1/0"}))
    client, validator = app.test_client(), RequestValidator(config_overrides["TWILIO_AUTH_TOKEN"])
    data = CALL | params
    signature = validator.compute_signature(BASE + path, data)
    assert tags(xml(client.post(path, data=data, headers={"X-Twilio-Signature": signature}))) == expected


def test_no_ssn_leaks_anywhere_in_the_matched_flow(twilio, sample_data, redis, keys, app, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    digits = AVERY_CLIENT_SSN
    bodies = [
        twilio.post("/voice/acs", CALL).data,
        twilio.post("/voice/acs/tin", CALL | {"Digits": digits}).data,
        twilio.post("/voice/acs/queue", CALL).data,
        twilio.post("/voice/acs/wait", CALL | {"QueuePosition": "1"}).data,
        twilio.post("/voice/acs/connect", CALL | {"DequeingCallSid": AGENT_SID}).data,
        twilio.post("/voice/acs/queue-result", CALL | {"QueueResult": "bridged", "QueueTime": "9"}).data,
    ]
    forms = {digits, "015-14-6380", "015146", "146380"}
    for body in bodies:
        assert not any(form.encode() in body for form in forms), body
    for key in redis.scan_iter("*"):
        assert not any(form in key for form in forms), key
        if redis.type(key) == "hash":
            leaked = {f: v for f, v in redis.hgetall(key).items() if digits in v}
            assert not leaked, (key, leaked)
    for entry in History(redis, keys).entries("ACS-000101"):
        assert not any(form in entry.summary or form in str(entry.detail) for form in forms)
    assert not any(form in caplog.text for form in forms)


def test_junk_numbers_on_hold_still_get_a_hold_message(twilio, caplog) -> None:
    root = xml(
        twilio.post("/voice/acs/wait", CALL | {"QueuePosition": "²", "AvgQueueTime": "-5", "CurrentQueueSize": "x"})
    )
    assert tags(root) == ["Say", "Pause"]  # never an Enqueue from a waitUrl
    assert "failed" not in caplog.text


def test_call_sid_with_a_trailing_newline_is_refused(twilio, redis) -> None:
    assert twilio.post("/voice/acs/queue", CALL | {"CallSid": SID + "\n"}).status_code == 400
    twilio.post("/voice/acs/connect", CALL | {"DequeingCallSid": "CA" + "x" * 32})
    twilio.post("/voice/acs/connect", CALL | {"DequeingCallSid": AGENT_SID + "\n"})
    assert redis.dbsize() == 0
