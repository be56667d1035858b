"""The unmodified twilio SDK against the emulator's REST subset (in-process and over loopback HTTP)."""

from __future__ import annotations

import json

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from werkzeug.test import Client

from emulator import Emulator, InvalidNumber
from emulator.sdk import BaseUrlHttpClient, WsgiHttpClient, twilio_client

TO, FROM = "+12025550111", "+18005550100"


def test_calls_create_fetch_list_update(emu, sdk, webapp):
    webapp.docs["/answer"] = "<Response><Pause length='30'/></Response>"
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer")
    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert call.status == "queued"
    assert call.direction == "outbound-api"
    assert call.account_sid == emu.account_sid
    assert call.date_created is not None  # RFC 2822 parsed by the SDK
    assert call.uri.endswith(f"/Calls/{call.sid}.json")

    assert sdk.calls(call.sid).fetch().to == TO
    emu.run(until=10)
    assert sdk.calls(call.sid).fetch().status == "in-progress"
    assert [c.sid for c in sdk.calls.list(status="in-progress")] == [call.sid]

    sdk.calls(call.sid).update(status="completed")
    emu.run()
    fetched = sdk.calls(call.sid).fetch()
    assert fetched.status == "completed"
    assert fetched.end_time is not None and int(fetched.duration) == 5


def test_calls_list_filters_and_pages(emu, sdk):
    for i in range(7):
        sdk.calls.create(to=f"+1202555020{i}", from_=FROM, twiml="<Response><Hangup/></Response>")
    assert len(sdk.calls.list(page_size=3)) == 7  # the SDK follows next_page_uri
    page = sdk.calls.page(page_size=3)
    assert len(list(page)) == 3 and page.next_page_url
    assert [c.to for c in sdk.calls.list(to="+12025550203")] == ["+12025550203"]
    assert sdk.calls.list(from_="+19999999999") == []


def test_update_redirects_a_live_call(emu, sdk, webapp):
    webapp.docs["/answer"] = "<Response><Pause length='60'/></Response>"
    webapp.docs["/next"] = "<Response><Say>Redirected</Say></Response>"
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer")
    emu.run(until=20)
    sdk.calls(call.sid).update(url="https://app.test/next")
    emu.run()
    assert emu.leg(call.sid).heard == ["Redirected"]


def test_cancel_a_ringing_call(emu, sdk):
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer")
    emu.run(until=2)
    sdk.calls(call.sid).update(status="canceled")
    emu.run()
    assert sdk.calls(call.sid).fetch().status == "canceled"


def test_invalid_to_is_21211(emu, sdk):
    # https://www.twilio.com/docs/errors/21211
    with pytest.raises(TwilioRestException) as exc:
        sdk.calls.create(to="12345", from_=FROM, url="https://app.test/answer")
    assert (exc.value.status, exc.value.code) == (400, 21211)

    emu.assign("+12025550999", InvalidNumber())
    with pytest.raises(TwilioRestException) as exc:
        sdk.calls.create(to="+12025550999", from_=FROM, url="https://app.test/answer")
    assert exc.value.code == 21211


def test_missing_url_is_rejected(sdk):
    with pytest.raises(TwilioRestException) as exc:
        sdk.calls.create(to=TO, from_=FROM)
    assert exc.value.status == 400


def test_queues_and_members(emu, sdk, webapp):
    queue = sdk.queues.create(friendly_name="acs", max_size=50)
    assert queue.sid.startswith("QU") and queue.max_size == 50 and queue.current_size == 0
    assert [q.friendly_name for q in sdk.queues.list()] == ["acs"]

    webapp.docs["/voice"] = "<Response><Enqueue>acs</Enqueue></Response>"
    emu.add_number(FROM, "https://app.test/voice")
    first = emu.dial_in("+12025550001", FROM)
    second = emu.dial_in("+12025550002", FROM, at=10)
    emu.run(until=60)

    fetched = sdk.queues(queue.sid).fetch()
    assert fetched.current_size == 2
    assert fetched.average_wait_time == 55  # (60 + 50) / 2 seconds, computed at request time
    members = sdk.queues(queue.sid).members.list()
    assert [(m.call_sid, m.position) for m in members] == [(first.sid, 1), (second.sid, 2)]
    front = sdk.queues(queue.sid).members("Front").fetch()
    assert front.call_sid == first.sid and front.wait_time == 60

    webapp.docs["/out"] = "<Response><Say>Out of the queue</Say></Response>"
    sdk.queues(queue.sid).members("Front").update(url="https://app.test/out", method="POST")
    emu.run(until=120)
    assert first.heard[-1] == "Out of the queue"
    assert sdk.queues(queue.sid).fetch().current_size == 1


def test_member_not_found_is_404(emu, sdk):
    queue = sdk.queues.create(friendly_name="empty")
    with pytest.raises(TwilioRestException) as exc:
        sdk.queues(queue.sid).members("Front").fetch()
    assert (exc.value.status, exc.value.code) == (404, 20404)


def test_incoming_phone_numbers(emu, sdk):
    number = sdk.incoming_phone_numbers.create(phone_number=FROM, voice_url="https://app.test/voice/pps")
    assert number.sid.startswith("PN") and number.voice_url == "https://app.test/voice/pps"
    sdk.incoming_phone_numbers(number.sid).update(voice_url="https://app.test/voice/acs")
    listed = sdk.incoming_phone_numbers.list(phone_number=FROM)
    assert [n.voice_url for n in listed] == ["https://app.test/voice/acs"]
    assert emu.store.number_for(FROM).voice_url == "https://app.test/voice/acs"


def test_wrong_credentials_are_401(emu):
    bad = twilio_client(None, emu.account_sid, "wrong", http_client=WsgiHttpClient(emu.wsgi_app))
    with pytest.raises(TwilioRestException) as exc:
        bad.queues.create(friendly_name="acs")
    assert (exc.value.status, exc.value.code) == (401, 20003)


def test_injected_faults_then_success(emu, sdk):
    emu.faults.fail_next("calls.create", count=2, status=429)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as exc:
            sdk.calls.create(to=TO, from_=FROM, url="https://app.test/a")
        assert (exc.value.status, exc.value.code) == (429, 20429)
    emu.faults.fail_next("calls.create", status=503)
    with pytest.raises(TwilioRestException) as exc:
        sdk.calls.create(to=TO, from_=FROM, url="https://app.test/a")
    assert exc.value.code == 20503
    assert sdk.calls.create(to=TO, from_=FROM, url="https://app.test/a").status == "queued"


def test_over_loopback_http_with_base_url_client():
    emu = Emulator()
    server = emu.serve()
    try:
        client = twilio_client(server.url, emu.account_sid, emu.auth_token)
        assert isinstance(client.http_client, BaseUrlHttpClient)
        call = client.calls.create(
            to=TO, from_=FROM, url="https://app.test/a", status_callback_event=["initiated", "answered"]
        )
        assert client.calls(call.sid).fetch().sid == call.sid

        unknown = requests.get(f"{server.url}/2010-04-01/Nope.json", auth=(emu.account_sid, emu.auth_token))
        assert unknown.status_code == 404
        body = unknown.json()
        assert set(body) == {"code", "message", "more_info", "status"}
        assert (body["code"], body["status"]) == (20404, 404)

        anonymous = requests.get(f"{server.url}/2010-04-01/Accounts/{emu.account_sid}/Calls.json")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == 20003

        transcript = requests.get(f"{server.url}/_emulator/transcript", auth=(emu.account_sid, emu.auth_token))
        assert transcript.status_code == 200
    finally:
        server.shutdown()


def test_create_is_cheap_and_fetches_no_webhook(emu, sdk, webapp):
    for i in range(200):
        sdk.calls.create(to=f"+1202556{i:04d}", from_=FROM, url="https://app.test/answer")
    assert webapp.requests == []  # nothing happens until the engine runs
    assert emu.engine.pending() == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("faults", {}),
        ("faults", {"operation": "calls.create", "count": "many"}),
        ("parties", {"number": TO, "profile": {"type": "robot"}}),
        ("parties", {"number": TO, "profile": {"type": "human", "volume": 11}}),
        ("inbound", {"to": FROM}),
        ("run", {"until": "later"}),
        ("faults", ["not", "an", "object"]),
    ],
)
def test_emulator_endpoints_answer_400_to_a_malformed_body(emu, path, body):
    # A bad body is the client's error (400 with Twilio's error shape), never an exception that drops the socket.
    client = Client(emu.wsgi_app)
    response = client.post(f"/_emulator/{path}", json=body, auth=(emu.account_sid, emu.auth_token))
    assert response.status_code == 400
    assert response.json["code"] == 20001 and response.json["status"] == 400


def test_update_without_url_twiml_or_status_leaves_the_call_alone(emu, sdk, webapp):
    # Only Url/Twiml redirect a call and only Status ends it (https://www.twilio.com/docs/voice/api/call-resource
    # #update-a-call-resource); an update carrying neither must not leave the leg redirected to nothing.
    webapp.docs["/answer"] = "<Response><Say>Still here</Say><Pause length='30'/></Response>"
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer")
    emu.run(until=10)
    assert sdk.calls(call.sid).update(status_callback="https://app.test/status").status == "in-progress"
    emu.run()
    leg = emu.leg(call.sid)
    assert webapp.paths() == ["/answer"] and leg.errors == []
    assert leg.record.duration == 31  # the Say (0.8 s) and the whole Pause, uninterrupted


@pytest.mark.parametrize("method", ["POST", "HEAD"])
@pytest.mark.parametrize("status", [200, 201, 404, 429])
def test_json_responses_are_what_werkzeug_sends(method, status):
    from werkzeug.wrappers import Response

    from emulator.rest import JsonResponse
    from emulator.wsgi_call import call_wsgi

    payload = {"sid": "CA1", "to": "+14155550100", "price": None, "n": 3, "é": "ü"}
    ours = call_wsgi(JsonResponse(payload, status), method, "http://emulator.local/x")
    theirs = call_wsgi(Response(json.dumps(payload), status=status, mimetype="application/json"), method, "http://x/x")
    assert ours == theirs
