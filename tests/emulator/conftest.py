"""Fixtures for the emulator's conformance tests: an emulator, its in-process SDK client, a tiny TwiML app.

The test app is not ivr: it serves whatever TwiML a test sets per path, records every webhook it receives,
and checks X-Twilio-Signature the way a real app would (over the URL it was requested at).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator

from emulator import Emulator

APP_URL = "https://app.test"


class TwimlApp:
    """Serve `docs[path]` (a string, or a callable taking the form dict) and record each request."""

    def __init__(self, auth_token: str) -> None:
        self.docs: dict[str, str | Callable[[dict], str]] = {}
        self.statuses: dict[str, int] = {}
        self.requests: list[dict] = []
        validator = RequestValidator(auth_token)
        self.flask = Flask("twiml_test_app")

        @self.flask.route("/<path:path>", methods=["GET", "POST"])
        def serve(path: str):
            path = "/" + path
            form = request.form.to_dict() if request.method == "POST" else {}
            signed = validator.validate(request.url, form, request.headers.get("X-Twilio-Signature", ""))
            params = form or request.args.to_dict()
            self.requests.append({"path": path, "method": request.method, "params": params, "signed": signed})
            doc = self.docs.get(path, "<Response/>")
            body = doc(params) if callable(doc) else doc
            return body, self.statuses.get(path, 200), {"Content-Type": "text/xml"}

    def to(self, path: str) -> list[dict]:
        """Params of every request made to `path`."""
        return [r["params"] for r in self.requests if r["path"] == path]

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]


@pytest.fixture
def emu() -> Emulator:
    return Emulator()


@pytest.fixture
def webapp(emu: Emulator) -> TwimlApp:
    app = TwimlApp(emu.auth_token)
    emu.mount(APP_URL, app.flask)
    return app


@pytest.fixture
def make_twiml_app() -> type[TwimlApp]:
    """For tests that build their own emulator (and so their own auth token)."""
    return TwimlApp


@pytest.fixture
def sdk(emu: Emulator):
    return emu.sdk_client()
