"""The in-process WSGI call builds the environ a URL decides from a cache keyed on the URL without its query: it
must be the environ the whole URL gives, whatever the query holds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.wsgi_call import _environ_of, _url_environ, call_wsgi

pieces = st.sampled_from(["https://acs.test", "http://h:8080", "", "/voice/a", "/%7Ex", "?", "#", "&", "=", "a", "é"])
controls = st.sampled_from(["\t", "\r", "\n", " ", "%20", "+"])


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.one_of(pieces, controls, st.text(max_size=4)), max_size=8))
def test_environ_is_the_whole_urls(parts):
    url = "".join(parts)
    try:
        expected = dict(_url_environ.__wrapped__(url))
    except ValueError:
        return  # a URL urlsplit refuses: the transport reports it (11100) before calling
    assert _environ_of(url) == expected


def test_each_call_gets_its_own_query_and_a_fresh_environ():
    seen = []

    def app(environ, start_response):
        seen.append(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["QUERY_STRING"].encode()]

    for n in range(3):
        status, _, body = call_wsgi(app, "POST", f"https://acs.test/voice/outbound/status?attempt={n}", b"a=1")
        assert (status, body) == (200, f"attempt={n}".encode())
    assert [e["REQUEST_URI"] for e in seen] == [f"/voice/outbound/status?attempt={n}" for n in range(3)]
    assert seen[0] is not seen[1] and seen[0]["wsgi.input"] is not seen[1]["wsgi.input"]
