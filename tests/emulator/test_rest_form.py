"""The REST API reads a url-encoded body (the twilio SDK's) into exactly the form Werkzeug's parser would give."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request

from emulator.rest import _Form, _FormRequest


def environ(body: bytes, content_type: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/2010-04-01/Accounts/AC1/Calls.json",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
    }


def read(request_class: type[Request], env: dict):
    request = request_class(env)
    try:
        return request.form.to_dict(flat=False), request.files.to_dict(flat=False)
    except Exception as error:  # the same refusal either way
        return type(error)


pieces = st.sampled_from(["To", "=", "&", "%", "%2", "%41", "%ff", "+", "a", "é", ";", "%E2%82%AC", "\udcff"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(pieces).map("".join),
    st.sampled_from(["application/x-www-form-urlencoded", "APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8"]),
)
def test_same_form_as_werkzeug(body: str, content_type: str) -> None:
    data = body.encode("utf-8", "surrogateescape")
    assert read(_FormRequest, environ(data, content_type)) == read(Request, environ(data, content_type))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["To", "From", "Url", "Timeout"]), st.sampled_from(["", "20", "x"]))))
def test_form_get_is_multidicts(items: list[tuple[str, str]]) -> None:
    form, multi = _Form(items), MultiDict(items)
    for name in ("To", "From", "Url", "Timeout", "Method"):
        assert form.get(name) == multi.get(name)
        assert form.get(name, "POST") == multi.get(name, "POST")
        assert form.get(name, -1, type=int) == multi.get(name, -1, type=int)
        assert form.getlist(name) == multi.getlist(name)
