"""Signature validation: the URL Twilio signed is PUBLIC_BASE_URL + path + query, whatever Flask sees."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr import create_app
from ivr.config import Config
from ivr.voice.security import signed_url, twilio_request_is_valid

BASE = "https://acs.example.test"
PARAMS = {"CallSid": "CA" + "c" * 32, "From": "+12125550101", "Digits": "3"}


@pytest.fixture
def validator(config) -> RequestValidator:
    return RequestValidator(config.twilio_auth_token)


def check(app, path: str, signature: str | None, params=PARAMS, **environ) -> bool:
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    with app.test_request_context(path, method="POST", data=params, headers=headers, **environ):
        return twilio_request_is_valid()


def test_signed_url_is_built_from_public_base_url(app) -> None:
    with app.test_request_context("/voice/pps?replay=1&b=%20x", method="POST", base_url="http://127.0.0.1:5000"):
        assert signed_url() == f"{BASE}/voice/pps?replay=1&b=%20x"


def test_valid_signature_behind_a_proxy(app, validator) -> None:
    signature = validator.compute_signature(f"{BASE}/voice/pps", PARAMS)
    assert check(app, "/voice/pps", signature, base_url="http://10.0.0.5:8000")


def test_signature_with_the_default_port_is_accepted(app, validator) -> None:
    signature = validator.compute_signature("https://acs.example.test:443/voice/pps", PARAMS)
    assert check(app, "/voice/pps", signature)


@pytest.mark.parametrize(
    "variant",
    [
        "missing",
        "empty",
        "garbage",
        "non-ascii",
        "other-path",
        "other-params",
        "other-token",
        "other-host",
        "query-dropped",
    ],
)
def test_invalid_signatures(app, validator, variant: str) -> None:
    path = "/voice/pps?replay=1"
    signature = {
        "missing": None,
        "empty": "",
        "garbage": "not base64 at all",
        "non-ascii": "é" * 28,  # a signature's length, not ASCII: refused, not a TypeError
        "other-path": validator.compute_signature(f"{BASE}/voice/acs?replay=1", PARAMS),
        "other-params": validator.compute_signature(f"{BASE}{path}", PARAMS | {"Digits": "1"}),
        "other-token": RequestValidator("x").compute_signature(f"{BASE}{path}", PARAMS),
        "other-host": validator.compute_signature(f"https://evil.example.test{path}", PARAMS),
        "query-dropped": validator.compute_signature(f"{BASE}/voice/pps", PARAMS),
    }[variant]
    assert not check(app, path, signature)


@pytest.mark.parametrize("missing", ["PUBLIC_BASE_URL", "TWILIO_AUTH_TOKEN"])
def test_nothing_is_valid_without_configuration(config_overrides, redis, missing: str) -> None:
    overrides = config_overrides | {missing: ""}
    app = create_app(Config.from_env(overrides))
    signature = RequestValidator(config_overrides["TWILIO_AUTH_TOKEN"]).compute_signature(f"{BASE}/voice/pps", PARAMS)
    assert not check(app, "/voice/pps", signature)
    assert (
        app.test_client().post("/voice/pps", data=PARAMS, headers={"X-Twilio-Signature": signature}).status_code == 403
    )


def test_repeated_form_parameters_are_signed_in_full(app, validator) -> None:
    params = {"CallSid": PARAMS["CallSid"], "Tag": ["b", "a"]}
    signature = validator.compute_signature(f"{BASE}/voice/acs", MultiDict([("CallSid", PARAMS["CallSid"]),
                                                                            ("Tag", "b"), ("Tag", "a")]))  # fmt: skip
    assert check(app, "/voice/acs", signature, params=params)
    assert not check(app, "/voice/acs", signature, params={"CallSid": PARAMS["CallSid"], "Tag": "a"})
