"""Webhook bodies read straight from their declared length hold exactly what Werkzeug's parser would give."""

from __future__ import annotations

import io

import pytest
from flask import Flask, Request
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr import request_limits
from ivr.request_limits import FormRequest

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 4096


def environ(body: bytes, content_type: str = "application/x-www-form-urlencoded", length: str | None = None) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/voice/acs",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)) if length is None else length,
    }


def read(request_class: type[Request], env: dict):
    with app.app_context():
        request = request_class(env)
        try:
            return request.form.to_dict(flat=False), request.files.to_dict(flat=False)
        except Exception as error:  # the same refusal either way
            return type(error)


bodies = st.lists(
    st.sampled_from(
        ["Digits", "To", "CallStatus", "=", "&", "%", "%2", "%41", "%ff", "%2B1", "+", "a", "é", ";", "%E2%82%AC"]
    )
)


@settings(max_examples=200, deadline=None)
@given(
    bodies.map("".join),
    st.sampled_from(["application/x-www-form-urlencoded", "APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8"]),
)
def test_same_form_as_werkzeug(body: str, content_type: str) -> None:
    data = body.encode()
    assert read(FormRequest, environ(data, content_type)) == read(Request, environ(data, content_type))
    assert read(FormRequest, environ(data, content_type)) == read(Request, environ(data, content_type))  # cached


def test_only_routine_fields_are_cached() -> None:
    """Twilio's call description is cached; what a caller or an employee types never is."""
    body = b"To=%2B14155550100&CallStatus=in-progress&Digits=123456789&password=s%2Bcret&CallSid=CA1"
    request_limits._ROUTINE.clear()
    assert read(FormRequest, environ(body)) == read(Request, environ(body))
    assert request_limits._ROUTINE == {
        "To=%2B14155550100": ("To", "+14155550100"),
        "CallStatus=in-progress": ("CallStatus", "in-progress"),
    }


def test_routine_cache_is_bounded() -> None:
    for number in range(request_limits._ROUTINE_MAX + 10):
        assert read(FormRequest, environ(f"To=%2B1{number}".encode()))[0] == {"To": [f"+1{number}"]}
    assert len(request_limits._ROUTINE) <= request_limits._ROUTINE_MAX


@pytest.mark.parametrize(
    "env",
    [
        environ(b"a=1" * 2000),  # over MAX_CONTENT_LENGTH
        environ(b"\xff=1"),  # not UTF-8
        environ(b"a=1&a=2"),
        environ(b"a=1", length=""),
        environ(b"a=1", content_type="multipart/form-data; boundary=x"),
        environ(b"a=1", content_type="text/plain"),
    ],
)
def test_edge_cases_as_werkzeug(env: dict) -> None:
    copy = {**env, "wsgi.input": io.BytesIO(env["wsgi.input"].getvalue())}
    assert read(FormRequest, env) == read(Request, copy)
