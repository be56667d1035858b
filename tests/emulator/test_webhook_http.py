"""Webhook HTTP as Twilio does it: redirects followed (and signed) per hop, cookies kept per call.

Each test runs twice: the app mounted in-process (WSGI) and the same app served over loopback HTTP.
"""

from __future__ import annotations

import pytest
from flask import Flask, make_response, redirect, request
from twilio.request_validator import RequestValidator

from emulator import Caller, Emulator
from emulator.server import ServerThread

NUMBER = "+18005550100"
PUBLIC = "https://app.test"


class RedirectingApp:
    """/voice/<code> answers with redirect <code> to /target; /target says what it received; cookies echo."""

    def __init__(self, auth_token: str) -> None:
        self.requests: list[dict] = []
        validator = RequestValidator(auth_token)
        self.flask = Flask("redirecting_app")

        @self.flask.route("/<path:path>", methods=["GET", "POST"])
        def serve(path: str):
            form = request.form.to_dict()
            params = form or request.args.to_dict()
            public_url = PUBLIC + request.full_path.rstrip("?")  # as the app's PUBLIC_BASE_URL would rebuild it
            signed = validator.validate(public_url, form, request.headers.get("X-Twilio-Signature", ""))
            self.requests.append(
                {
                    "path": "/" + path,
                    "method": request.method,
                    "params": params,
                    "signed": signed,
                    "cookies": dict(request.cookies),
                    "url": request.url,
                }
            )
            if path.startswith("voice/"):
                code = int(path.split("/")[1])
                if code == 399:
                    return "", 302  # a redirect without a Location
                if code == 310:
                    return redirect("/loop", code=302)  # then /loop redirects to itself forever
                return redirect("/target?from=redirect", code=code)
            if path == "loop":
                return redirect("/loop", code=302)
            if path == "cookie":
                seen = request.cookies.get("call", "none")
                response = make_response(
                    f"<Response><Say>cookie {seen}</Say><Redirect>/cookie-next</Redirect></Response>"
                )
                response.headers["Content-Type"] = "text/xml"
                if seen == "none":
                    response.set_cookie("call", params["CallSid"])
                return response
            if path == "cookie-next":
                return (
                    f"<Response><Say>then {request.cookies.get('call', 'none')}</Say></Response>",
                    200,
                    {"Content-Type": "text/xml"},
                )
            return "<Response><Say>arrived</Say></Response>", 200, {"Content-Type": "text/xml"}

    def to(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]


@pytest.fixture(params=["wsgi", "http"])
def setup(request):
    emu = Emulator()
    app = RedirectingApp(emu.auth_token)
    server = None
    if request.param == "wsgi":
        emu.mount(PUBLIC, app.flask)
    else:
        server = ServerThread(app.flask, "127.0.0.1", 0)
        server.start()
        emu.transport.route(PUBLIC, server.url)
    yield emu, app
    if server is not None:
        server.shutdown()


def call(emu, path: str, caller: str = "+12025550123"):
    number = emu.add_number(NUMBER, f"{PUBLIC}{path}") if emu.store.number_for(NUMBER) is None else None
    if number is None:
        emu.store.number_for(NUMBER).voice_url = f"{PUBLIC}{path}"
    leg = emu.dial_in(caller, NUMBER, Caller("caller"))
    emu.run()
    return leg


@pytest.mark.parametrize("code", [301, 302, 303])
def test_301_302_303_become_a_get_carrying_the_twilio_parameters(setup, code):
    """https://www.twilio.com/docs/api/errors/11216: Twilio follows 301, 302, 303 and 307."""
    emu, app = setup
    leg = call(emu, f"/voice/{code}")
    assert leg.heard == ["arrived"] and leg.errors == []
    target = app.to("/target")[0]
    assert target["method"] == "GET"
    assert target["params"]["CallSid"] == leg.sid and target["params"]["from"] == "redirect"
    assert target["signed"] is True  # signed for the URL of this hop
    assert emu.webhooks[0]["url"].startswith(f"{PUBLIC}/target?from=redirect&")


def test_307_repeats_the_post_with_its_body(setup):
    """https://www.twilio.com/docs/api/errors/11216 (307 is followed); RFC 9110 §15.4.8: method and body kept."""
    emu, app = setup
    leg = call(emu, "/voice/307")
    target = app.to("/target")[0]
    assert target["method"] == "POST" and target["params"]["CallSid"] == leg.sid and target["signed"] is True
    assert leg.heard == ["arrived"]


@pytest.mark.parametrize("path", ["/voice/308", "/voice/399"])
def test_308_or_a_redirect_without_location_is_error_11216(setup, path):
    """https://www.twilio.com/docs/api/errors/11216: only 301/302/303/307 with a Location are followed."""
    emu, app = setup
    leg = call(emu, path)
    assert [e["code"] for e in leg.errors] == [11216]
    assert app.to("/target") == []


def test_a_redirect_loop_is_error_11215(setup):
    """https://www.twilio.com/docs/api/errors/11215: HTTP too many redirects."""
    emu, app = setup
    leg = call(emu, "/voice/310")
    assert [e["code"] for e in leg.errors] == [11215]


def test_cookies_are_kept_per_call(setup):
    """https://support.twilio.com/hc/en-us/articles/223136287-How-do-Twilio-cookies-work- (Twilio stores a
    Set-Cookie and sends it back as Cookie on later requests); for voice the scope is the call, so a cookie set
    during one call is never sent on another call's webhooks."""
    emu, app = setup
    first = call(emu, "/cookie", "+12025550001")
    second = call(emu, "/cookie", "+12025550002")
    assert first.heard == ["cookie none", f"then {first.sid}"]
    assert second.heard == ["cookie none", f"then {second.sid}"]
