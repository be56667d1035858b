"""The transport signs webhooks with the SDK's RequestValidator and form-encodes them (and the SDK client its REST
bodies) with its own cached quoting: both must give what RequestValidator and urllib's urlencode give."""

from __future__ import annotations

from urllib.parse import quote_plus, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from emulator.transport import Transport, _quoted, form_encode

TOKEN = "0123456789abcdef0123456789abcdef"
params_strategy = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=20), max_size=30)


@settings(max_examples=300, deadline=None)
@given(params=params_strategy, query=st.text(max_size=10))
def test_signature_is_request_validators(params, query):
    url = "https://acs.example.test/voice/outbound/status?" + query
    assert Transport(TOKEN).sign(url, params) == RequestValidator(TOKEN).compute_signature(url, params)


@settings(max_examples=300, deadline=None)
@given(params=params_strategy, token=st.text(max_size=100), url=st.text(max_size=40))
def test_signature_is_request_validators_under_any_token(params, token, url):
    """The HMAC's keyed states made once: keys shorter and longer than SHA-1's 64-byte block, non-ASCII too."""
    assert Transport(token).sign(url, params) == RequestValidator(token).compute_signature(url, params)


def test_signature_of_many_webhooks_under_one_transport():
    transport, validator = Transport(TOKEN), RequestValidator(TOKEN)
    for n in range(200):
        params = {"CallSid": f"CA{n:032d}", "CallStatus": ("ringing", "completed")[n % 2], "Duration": str(n)}
        url = f"https://acs.example.test/voice/outbound/status?attempt={n}"
        assert transport.sign(url, params) == validator.compute_signature(url, params)
        assert transport.sign(url, {}) == validator.compute_signature(url, {})


@settings(max_examples=300, deadline=None)
@given(params=params_strategy)
def test_form_body_is_urlencodes(params):
    assert form_encode(params) == urlencode(params)


sdk_values = st.one_of(
    st.text(max_size=20),
    st.lists(st.text(max_size=8), max_size=3),
    st.integers(),
    st.booleans(),
    st.floats(),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.text(min_size=1, max_size=12), sdk_values, max_size=12))
def test_sdk_body_is_urlencodes_doseq(data):
    assert form_encode(data, doseq=True) == urlencode(data, doseq=True)


def test_non_string_values_take_the_libraries_own_path():
    params = {"Duration": 3, "CallStatus": "completed"}
    assert form_encode(params) == urlencode(params)
    with pytest.raises(TypeError):  # as RequestValidator.compute_signature does: webhooks carry strings only
        Transport(TOKEN).sign("https://x.test/a", params)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=160), max_size=40))
def test_quoting_is_quote_pluss(text):
    """ASCII strings are quoted by one translate table, the rest by quote_plus: both as quote_plus quotes."""
    assert _quoted.__wrapped__(text) == quote_plus(text)
    assert all(_quoted.__wrapped__(chr(code)) == quote_plus(chr(code)) for code in range(128))
