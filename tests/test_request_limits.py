"""Body-size limit and routing that never redirects to a host taken from the request (issue 9 §3)."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from werkzeug.serving import make_server

from ivr.request_limits import DEFAULT_MAX_REQUEST_BYTES

TWILIO_FORM = {"CallSid": "CA" + "a" * 32, "From": "+12125550101", "To": "+18008293903"}


def test_a_large_unsigned_body_is_refused_before_the_signature_check(client):
    body = b"CallSid=" + b"A" * (5 * 1024 * 1024)  # 5 MB: a real body, not just a header
    response = client.post("/voice/acs", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413  # not 403: the signature was never looked at
    assert response.headers["Connection"] == "close"


def test_a_large_signed_body_is_refused_too(twilio):
    response = twilio.post("/voice/acs", {**TWILIO_FORM, "Pad": "x" * (DEFAULT_MAX_REQUEST_BYTES + 1)})
    assert response.status_code == 413


def test_a_normal_signed_webhook_still_works(twilio):
    assert twilio.post("/voice/acs", TWILIO_FORM).status_code == 200


def test_a_console_form_is_limited_as_well(client):
    response = client.post("/console/sign-in", data={"username": "a", "password": "p" * 200_000})
    assert response.status_code == 413


def test_a_garbled_content_length_is_a_400(app):
    response = app.test_client().post("/voice/acs", data=b"x", environ_overrides={"CONTENT_LENGTH": "12abc"})
    assert response.status_code == 400


@pytest.fixture
def server(app):
    """The app on a real loopback socket (Werkzeug's server decodes chunked bodies as gunicorn does)."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()
    httpd.server_close()


def _exchange(port: int, head: bytes, body_chunks, timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest: exactly what is wanted
        data = b""
        while b"\r\n\r\n" not in data:
            part = sock.recv(4096)
            if not part:
                break
            data += part
        return data


def test_a_declared_500_mb_body_is_refused_without_reading_it(server):
    head = (
        b"POST /voice/acs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 500000000\r\n\r\n"
    )
    started = time.monotonic()
    reply = _exchange(server, head, [b"CallSid=" + b"A" * 65536])  # only 64 KB of the promised 500 MB ever sent
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert time.monotonic() - started < 5


def test_a_chunked_body_without_length_is_cut_off(server):
    head = (
        b"POST /voice/acs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\nX-Twilio-Signature: x\r\n\r\n"
    )
    chunk = b"A" * 16384
    chunks = [b"8\r\nCallSid=\r\n"] + [b"%x\r\n" % len(chunk) + chunk + b"\r\n"] * 64 + [b"0\r\n\r\n"]  # 1 MB
    reply = _exchange(server, head, chunks)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]


@pytest.mark.parametrize("path", ["//voice//acs", "/voice//acs", "//voice/acs/", "/console//queue", "//healthz"])
def test_doubled_slashes_never_redirect_to_the_request_host(client, path):
    for method in (client.post, client.get):
        response = method(path, headers={"Host": "evil.example"})
        assert response.status_code not in (301, 302, 307, 308)
        assert "evil.example" not in response.headers.get("Location", "")


def test_no_route_answers_with_a_redirect_to_another_host(app):
    client = app.test_client()
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<case_id>", "ACS-000101").replace("<letter_id>", "x").replace("<action>", "x")
        path = path.replace("<path:filename>", "console.css")
        for variant in ("/" + path, path.replace("/", "//"), path.rstrip("/") + "/", path.rstrip("/")):
            for method in ("GET", "POST"):
                response = client.open(variant, method=method, headers={"Host": "evil.example"})
                response.close()
                assert "evil.example" not in response.headers.get("Location", ""), (variant, method)
