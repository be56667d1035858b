"""REST odds and ends: Messages, Applications, DELETE on Calls/Queues/Numbers, SendDigits."""

from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from emulator import Human, InvalidNumber

NUMBER, CALLEE = "+18005550100", "+12025550111"


def code_of(call) -> int:
    with pytest.raises(TwilioRestException) as exc:
        call()
    return exc.value.code


def test_messages_create_list_fetch_and_status_callbacks(emu, webapp, sdk):
    """https://www.twilio.com/docs/messaging/api/message-resource: create answers queued; StatusCallback gets
    MessageStatus sent then delivered; list filters by To; fetch."""
    party = emu.assign(CALLEE, Human("callee"))
    message = sdk.messages.create(
        to=CALLEE, from_=NUMBER, body="Your callback is at 3 pm", status_callback="https://app.test/sms-status"
    )
    assert (message.status, message.sid[:2]) == ("queued", "SM")
    emu.run()
    assert [p["MessageStatus"] for p in webapp.to("/sms-status")] == ["sent", "delivered"]
    assert webapp.to("/sms-status")[0]["MessageSid"] == message.sid
    assert party.messages_received == ["Your callback is at 3 pm"]
    assert [m.sid for m in sdk.messages.list(to=CALLEE)] == [message.sid]
    assert sdk.messages(message.sid).fetch().status == "delivered"
    assert sdk.messages(message.sid).delete() is True


def test_message_errors_and_undelivered(emu, webapp, sdk):
    """https://www.twilio.com/docs/api/errors/21604, /21602, /21211; undelivered with ErrorCode 30005."""
    assert code_of(lambda: sdk.messages.create(to="", from_=NUMBER, body="x")) == 21604
    assert code_of(lambda: sdk.messages.create(to=CALLEE, from_=NUMBER, body="")) == 21602
    assert code_of(lambda: sdk.messages.create(to="12345", from_=NUMBER, body="x")) == 21211
    emu.assign("+12025550999", InvalidNumber(at_api=False))
    sdk.messages.create(to="+12025550999", from_=NUMBER, body="x", status_callback="https://app.test/s")
    emu.run()
    assert webapp.to("/s")[-1]["MessageStatus"] == "undelivered" and webapp.to("/s")[-1]["ErrorCode"] == "30005"


def test_application_sid_supplies_the_voice_url_and_status_callback(emu, webapp, sdk):
    """https://www.twilio.com/docs/usage/api/applications and the call resource's ApplicationSid parameter."""
    webapp.docs["/app-voice"] = "<Response><Say>From the application</Say></Response>"
    app = sdk.applications.create(
        friendly_name="ivr", voice_url="https://app.test/app-voice", status_callback="https://app.test/app-status"
    )
    assert [a.sid for a in sdk.applications.list(friendly_name="ivr")] == [app.sid]
    assert sdk.applications(app.sid).update(voice_method="POST").voice_url == "https://app.test/app-voice"
    sdk.calls.create(to=CALLEE, from_=NUMBER, application_sid=app.sid)
    emu.run()
    assert emu.leg(f"callee {CALLEE}").heard == ["From the application"]
    assert webapp.to("/app-status")[0]["CallStatus"] == "completed"
    assert code_of(lambda: sdk.calls.create(to=CALLEE, from_=NUMBER, application_sid="AP" + "0" * 32)) == 21218
    assert sdk.applications(app.sid).delete() is True


def test_delete_calls_queues_and_numbers(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/call-resource#delete-a-call-resource (a live call cannot be deleted),
    https://www.twilio.com/docs/voice/api/queue-resource#delete-a-queue-resource,
    https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource#delete-an-incomingphonenumber-resource."""
    webapp.docs["/answer"] = "<Response><Pause length='5'/></Response>"
    call = sdk.calls.create(to=CALLEE, from_=NUMBER, url="https://app.test/answer")
    assert code_of(lambda: sdk.calls(call.sid).delete()) == 20009
    emu.run()
    assert sdk.calls(call.sid).delete() is True
    assert code_of(lambda: sdk.calls(call.sid).fetch()) == 20404
    queue = sdk.queues.create(friendly_name="q")
    assert sdk.queues(queue.sid).delete() is True and sdk.queues.list() == []
    number = sdk.incoming_phone_numbers.create(phone_number="+18005550199", voice_url="https://app.test/v")
    assert sdk.incoming_phone_numbers(number.sid).delete() is True
    caller = emu.dial_in("+12025550001", "+18005550199")
    emu.run()
    assert caller.record.status == "failed"  # a released number is not in service


def test_send_digits_reach_the_called_party(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource: SendDigits on connect."""
    party = emu.assign(CALLEE, Human("callee"))
    sdk.calls.create(to=CALLEE, from_=NUMBER, twiml="<Response><Pause/></Response>", send_digits="ww1234#")
    emu.run()
    assert party.digits_received == ["ww1234#"]
