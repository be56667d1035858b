"""A signed request that repeats a parameter is refused: swapping repeated values keeps the signature (issue 9 §3)."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

SID = "CA" + "c" * 32
PUBLIC_BASE_URL = "https://acs.example.test"  # as tests/conftest.py configures the app
TWILIO_AUTH_TOKEN = "test-auth-token-not-a-secret"
ROUTES = [
    "/voice/pps",
    "/voice/acs",
    "/voice/acs/tin",
    "/voice/acs/queue",
    "/voice/acs/wait",
    "/voice/acs/queue-result",
    "/voice/acs/connect",
    "/voice/agent",
    "/voice/outbound/answer",
    "/voice/outbound/press",
    "/voice/outbound/status",
]


def _post(client, path: str, pairs: list[tuple[str, str]], query: str = ""):
    form = MultiDict(pairs)
    url = path + (f"?{query}" if query else "")
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + url, form)
    return client.post(url, data=form, headers={"X-Twilio-Signature": signature})


def test_the_signature_cannot_tell_swapped_repeats_apart():
    validator = RequestValidator(TWILIO_AUTH_TOKEN)
    a = MultiDict([("Digits", "1"), ("Digits", "9")])
    b = MultiDict([("Digits", "9"), ("Digits", "1")])
    assert validator.compute_signature(PUBLIC_BASE_URL, a) == validator.compute_signature(PUBLIC_BASE_URL, b)


@pytest.mark.parametrize("path", ROUTES)
def test_a_repeated_form_parameter_is_refused_on_every_route(client, sample_data, path):
    response = _post(client, path, [("CallSid", SID), ("Digits", "015146380"), ("Digits", "1")])
    assert response.status_code == 400


def test_a_repeated_query_parameter_is_refused(client):
    response = _post(client, "/voice/pps", [("CallSid", SID)], query="replay=0&replay=1")
    assert response.status_code == 400


def test_distinct_parameters_still_pass(client, sample_data):
    response = _post(client, "/voice/acs/tin", [("CallSid", SID), ("Digits", "015146380")])
    assert response.status_code == 200
