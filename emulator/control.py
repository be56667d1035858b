"""Emulator-only endpoints under /_emulator/ (not part of Twilio): drive a running emulator from outside.

They let a developer or a test in another process read the transcript, inject faults, place inbound calls
and assign callee profiles. Same Basic auth as the REST API. Bodies are JSON.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from emulator.errors import TwilioError, not_found
from emulator.parties import make_party

if TYPE_CHECKING:
    from emulator.emulator import Emulator

PREFIX = "/_emulator/"


def _json(payload, status: int = 200) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json")


def handle(emu: Emulator, request: Request) -> Response:
    """Dispatch one /_emulator/ request (authentication already checked); a malformed body is a 400, not a 500."""
    try:
        return _handle(emu, request)
    except (KeyError, TypeError, ValueError) as exc:
        raise TwilioError(400, 20001, f"Invalid request body for {request.path}: {exc!r}") from None


def _handle(emu: Emulator, request: Request) -> Response:
    name = request.path[len(PREFIX) :].strip("/")
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise TypeError("the body must be a JSON object")
    if request.method == "GET" and name == "transcript":
        if request.args.get("format") == "json":
            return Response(emu.transcript.to_json(), mimetype="application/json")
        return Response(emu.transcript.to_text() + "\n", mimetype="text/plain")
    if request.method == "GET" and name == "webhooks":
        return _json(emu.webhook_log())
    if request.method == "GET" and name == "errors":
        return _json(list(emu.errors))
    if request.method == "POST" and name == "faults":
        emu.faults.fail_next(body["operation"], int(body.get("count", 1)), int(body.get("status", 503)))
        return _json({"ok": True})
    if request.method == "POST" and name == "parties":
        emu.assign(body["number"], make_party(body.get("profile", {})))
        return _json({"ok": True})
    if request.method == "POST" and name == "inbound":
        script = dict(body.get("script", {}))
        leg = emu.dial_in(body["from"], body["to"], make_party({"type": "caller", **script}))
        return _json({"call_sid": leg.sid, "leg": leg.label}, 201)
    if request.method == "POST" and name == "run":
        if emu.engine.running:
            raise TwilioError(409, 20409, "the engine runs in its own thread; nothing to drive")
        until = body.get("until")
        return _json({"events": emu.run(until=None if until is None else float(until))})
    raise not_found(request.path)


__all__ = ["PREFIX", "TwilioError", "handle"]
