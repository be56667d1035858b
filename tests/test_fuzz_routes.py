"""Every route, hit with random form parameters and query strings, signed and unsigned: never a 5xx, and every
200 from a voice webhook is valid TwiML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SAMPLE_TINS = ["015146380", "757986364", "586802798", "445805512"]
TWILIO_NAMES = [
    "CallSid", "AccountSid", "From", "To", "Digits", "CallStatus", "AnsweredBy", "QueueResult", "QueueTime",
    "QueuePosition", "CurrentQueueSize", "AvgQueueTime", "DequeingCallSid", "QueueSid", "Direction", "replay",
    "csrf_token", "crn", "username", "password", "note", "outcome",
]  # fmt: skip
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
values = st.one_of(
    text,
    st.sampled_from(SAMPLE_TINS + ["", "3", "1", "#", "bridged", "hangup", "queue-full", "human", "machine_start"]),
    st.from_regex(r"\ACA[0-9a-f]{32}\Z"),
    st.integers(-(10**12), 10**12).map(str),
    st.text("0123456789#*", max_size=12),
)
forms = st.dictionaries(st.one_of(st.sampled_from(TWILIO_NAMES), text.filter(bool)), values, max_size=8)
queries = st.dictionaries(st.one_of(st.sampled_from(["replay", "attempt", "case", "crn"]), text.filter(bool)), values,
                          max_size=3)  # fmt: skip
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


def routes(app, prefix: str) -> list[tuple[str, str]]:
    """(method, concrete path) for every rule under `prefix`, placeholders filled with a sample value."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix) or rule.endpoint.endswith("static"):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "ACS-000101").replace(f"<path:{argument}>", "x")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def hit(twilio, method: str, path: str, form: dict[str, str], query: dict[str, str], signed: bool):
    url = path + (f"?{urlencode(query)}" if query else "")
    headers = {"X-Twilio-Signature": twilio.signature(url, form)} if signed else {}
    if method == "GET":
        return twilio.client.get(url, headers=headers)
    return twilio.client.post(url, data=form, headers=headers)


@pytest.fixture
def voice_routes(app) -> list[tuple[str, str]]:
    found = routes(app, "/voice/") + routes(app, "/healthz")
    assert len(found) >= 9
    return found


@FUZZ
@given(data=st.data(), form=forms, query=queries, signed=st.booleans())
def test_voice_routes_never_fail(twilio, sample_data, voice_routes, data, form, query, signed) -> None:
    method, path = data.draw(st.sampled_from(voice_routes), label="route")
    response = hit(twilio, method, path, form, query, signed)
    assert response.status_code < 500, (path, response.status_code)
    if path.startswith("/voice/"):
        if not signed:
            assert response.status_code == 403
        if response.status_code == 200:
            assert response.mimetype == "text/xml"
            assert ET.fromstring(response.data).tag == "Response"


@FUZZ
@given(data=st.data(), form=forms, query=queries, signed=st.booleans())
def test_other_routes_never_fail(twilio, sample_data, app, data, form, query, signed) -> None:
    others = [(m, p) for m, p in routes(app, "/") if not p.startswith(("/voice/", "/healthz"))]
    if not others:
        return
    method, path = data.draw(st.sampled_from(others), label="route")
    response = hit(twilio, method, path, form, query, signed)
    assert response.status_code < 500, (path, response.status_code)


@FUZZ
@given(data=st.data(), form=forms, query=queries)
def test_signed_voice_requests_never_hit_the_error_handler(twilio, sample_data, voice_routes, caplog, data, form,
                                                           query) -> None:  # fmt: skip
    """The catch-all handler keeps callers moving, but reaching it at all means a webhook mishandled its input."""
    method, path = data.draw(st.sampled_from([r for r in voice_routes if r[1].startswith("/voice/")]), label="route")
    caplog.clear()
    response = hit(twilio, method, path, form, query, signed=True)
    assert response.status_code in (200, 400), (path, response.status_code)
    assert "failed" not in caplog.text, caplog.text
    for key in twilio.client.application.extensions["acs"].redis.scan_iter("acs:call:*"):
        assert key.isprintable(), key
