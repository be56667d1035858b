"""The voice blueprint and what its views share: the TwiML response, CallSid checks, the error handler."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from ivr.services import services
from ivr.voice import twiml
from ivr.voice.limited_content import LimitedContent

log = logging.getLogger(__name__)

voice = Blueprint("voice", __name__, url_prefix="/voice")

_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")


def twiml_response(document: VoiceResponse | str) -> Response:
    """The document as text/xml. Its body is one bytes chunk already: direct_passthrough hands that list to the
    WSGI server as it is, not through a generator and a ClosingIterator (closing it has nothing to close)."""
    return Response(str(document), content_type=_TEXT_XML, direct_passthrough=True)


_TEXT_XML = "text/xml; charset=utf-8"  # what mimetype="text/xml" makes of it


def is_call_sid(value: str) -> bool:
    """Twilio's CallSid shape; fullmatch, because `$` would let a trailing newline into a Redis key."""
    return _CALL_SID.fullmatch(value) is not None


def call_sid() -> str | None:
    """The request's CallSid when it has Twilio's shape, else None (junk never reaches Redis keys)."""
    value = request.form.get("CallSid", "")
    return value if is_call_sid(value) else None


def limited_content() -> LimitedContent:
    """The taxpayer's limited-content wording, read and checked once per app."""
    found = current_app.extensions.get("acs.limited_content")
    if found is None:
        found = current_app.extensions["acs.limited_content"] = LimitedContent.from_env(services().config.extra)
    return found


def form_int(name: str) -> int:
    """An integer Twilio parameter; junk and absence read as 0."""
    value = request.form.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0  # "²".isdigit() is True


@voice.errorhandler(Exception)
def unexpected_error(error: Exception):
    """Never a 500 and a stack trace to Twilio: log the failure's type, give the caller a way forward."""
    if isinstance(error, HTTPException):
        return error
    log.error("voice webhook %s failed: %s", request.path, type(error).__name__)
    if request.path.startswith(("/voice/acs", "/voice/pps")):
        from ivr.voice.inbound import fallback_for

        return twiml_response(fallback_for(request.path))
    return twiml_response(twiml.apology_and_hangup())
