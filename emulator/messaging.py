"""Messages to scripted parties and the minimal Applications resource.

Messages follow https://www.twilio.com/docs/messaging/api/message-resource: create answers `queued` at once;
on the engine clock the message becomes `sent`, then `delivered` to the party at `To` (or `undelivered` with
ErrorCode 30005 for a number that does not exist); each change is posted to StatusCallback with MessageStatus,
MessageSid, SmsSid, SmsStatus. Applications follow https://www.twilio.com/docs/usage/api/applications: a stored
voice_url/voice_method/status_callback that calls.create uses when given ApplicationSid.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from emulator.errors import TwilioError
from emulator.parties import InvalidNumber
from emulator.resources import API_VERSION, new_sid, rfc2822

if TYPE_CHECKING:
    from emulator.emulator import Emulator

E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")
MAX_BODY = 1600
SENT_AFTER = 0.5
DELIVERED_AFTER = 1.5


@dataclass
class Message:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    date_created: datetime
    messaging_service_sid: str | None = None
    status: str = "queued"
    status_callback: str | None = None
    date_sent: datetime | None = None
    date_updated: datetime | None = None
    error_code: int | None = None

    def path(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"

    def to_json(self) -> dict:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(max(1, -(-len(self.body) // 153) if len(self.body) > 160 else 1)),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": self.path() + "/Media.json", "feedback": self.path() + "/Feedback.json"},
            "to": self.to,
            "uri": self.path() + ".json",
        }


def send(emu: Emulator, form) -> Message:
    to, from_, service = form.get("To"), form.get("From"), form.get("MessagingServiceSid")
    body = form.get("Body") or ""
    if not to:
        raise TwilioError(400, 21604, "A 'To' phone number is required.")
    if not from_ and not service:
        raise TwilioError(400, 21603, "A 'From' phone number is required.")
    if not body and not form.get("MediaUrl"):
        raise TwilioError(400, 21602, "Message body is required.")
    if len(body) > MAX_BODY:
        raise TwilioError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    party = emu.parties.get(to)
    if not E164.match(to) or (isinstance(party, InvalidNumber) and party.rejects_at_api()):
        raise TwilioError(400, 21211, f"Invalid 'To' Phone Number: {to}")
    message = Message(
        new_sid("SM"),
        emu.account_sid,
        to,
        from_,
        body,
        emu.engine.clock.datetime(),
        service,
        status_callback=form.get("StatusCallback"),
    )
    with emu.store.lock:
        emu.store.messages[message.sid] = message
    emu.engine.schedule(SENT_AFTER, _progress, emu, message, "sent")
    undeliverable = isinstance(party, InvalidNumber)
    emu.engine.schedule(DELIVERED_AFTER, _progress, emu, message, "undelivered" if undeliverable else "delivered")
    return message


def _progress(emu: Emulator, message: Message, status: str) -> None:
    with emu.store.lock:
        message.status = status
        message.date_updated = emu.engine.clock.datetime()
        if status == "sent":
            message.date_sent = message.date_updated
        if status == "undelivered":
            message.error_code = 30005
    label = f"sms {message.to}"
    emu.transcript.add(emu.engine.now(), label, message.sid, "sms", f"{status}: {message.body}")
    if status == "delivered":
        emu.party_for(message.to).messages_received.append(message.body)
    if message.status_callback:
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.from_ or "",
            "To": message.to,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if message.error_code:
            params["ErrorCode"] = str(message.error_code)
        result = emu.transport.fetch("POST", message.status_callback, params)
        source = types.SimpleNamespace(label=label, sid=message.sid)
        emu.record_webhook(source, "message-status", result)


@dataclass
class Application:
    sid: str
    account_sid: str
    date_created: datetime
    friendly_name: str | None = None
    voice_url: str | None = None
    voice_method: str = "POST"
    voice_fallback_url: str | None = None
    status_callback: str | None = None
    status_callback_method: str = "POST"
    sms_url: str | None = None

    FIELDS = {
        "FriendlyName": "friendly_name",
        "VoiceUrl": "voice_url",
        "VoiceMethod": "voice_method",
        "VoiceFallbackUrl": "voice_fallback_url",
        "StatusCallback": "status_callback",
        "StatusCallbackMethod": "status_callback_method",
        "SmsUrl": "sms_url",
    }

    def update(self, form) -> None:
        for key, attr in self.FIELDS.items():
            if key in form:
                setattr(self, attr, form[key])

    def to_json(self) -> dict:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "friendly_name": self.friendly_name,
            "sid": self.sid,
            "sms_url": self.sms_url,
            "sms_method": "POST",
            "status_callback": self.status_callback,
            "status_callback_method": self.status_callback_method,
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": self.voice_fallback_url,
            "voice_method": self.voice_method,
            "voice_url": self.voice_url,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Applications/{self.sid}.json",
        }


def create_application(emu: Emulator, form) -> Application:
    app = Application(new_sid("AP"), emu.account_sid, emu.engine.clock.datetime())
    app.update(form)
    with emu.store.lock:
        emu.store.applications[app.sid] = app
    return app


def application_call_target(emu: Emulator, sid: str) -> Application:
    """The application calls.create hands the call to (21218 when there is no such application)."""
    app = emu.store.applications.get(sid)
    if app is None:
        raise TwilioError(400, 21218, f"Invalid ApplicationSid: {sid}")
    return app
