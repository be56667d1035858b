"""What every request meets before any view: a body-size limit and routing that never redirects off-site.

Twilio's webhook bodies are a few KB and the console's forms smaller still, so a body over ACS_MAX_REQUEST_BYTES
is refused with 413 before anything reads it — before the form is parsed and before the signature is checked (an
unsigned 500 MB POST used to be parsed in full). Both checks sit at the WSGI layer: a declared Content-Length
over the limit is refused unread; a chunked body without one is read up to one byte past the limit, no further.
MAX_CONTENT_LENGTH is set as well, for whatever reaches Werkzeug's own stream handling.

Werkzeug's routing answers `//voice//acs` or `/console` with a 308 to an absolute URL built from the request's
Host header (`http://evil.example/voice/acs`). Merging slashes and slash-appending redirects are turned off, so
such paths are a plain 404 and no redirect ever names a host taken from the request.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from flask import Flask, Request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from ivr.config import Config, number_setting

DEFAULT_MAX_REQUEST_BYTES = 64 * 1024


def max_request_bytes(config: Config) -> int:
    """ACS_MAX_REQUEST_BYTES, or 64 KiB (Twilio's form bodies are a few KB); ConfigError for a bad value, which
    `acs serve` reports before starting (ivr.preflight)."""
    return number_setting(config.extra, "ACS_MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, int, minimum=1)


class BodyLimit:
    """WSGI middleware: 413 for a declared body over `limit` bytes, without reading a byte of it."""

    def __init__(self, app: Callable, limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        declared = environ.get("CONTENT_LENGTH") or ""
        if declared:
            if not declared.isdigit():
                return _refuse(BadRequest("Content-Length is not a number"), environ, start_response)
            if int(declared) > self.limit:
                return _refuse(RequestEntityTooLarge(), environ, start_response)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            # No length to check: read at most one byte past the limit, then hand the app a body of known size.
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                return _refuse(RequestEntityTooLarge(), environ, start_response)
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)


def _refuse(error, environ: dict, start_response: Callable) -> Iterable[bytes]:
    response = error.get_response(environ)
    response.headers["Connection"] = "close"  # the unread body must not be taken for the next request
    return response(environ, start_response)


class FormRequest(Request):
    """Flask's Request, reading a url-encoded body (every Twilio webhook) straight from its declared length.

    Werkzeug gets there through a stream wrapper, a form-parser object and a limited stream per request: ~30 µs of
    a webhook's ~150 µs. The body's size was already checked by BodyLimit (and is checked again against the same
    limits here); the parsing is Werkzeug's own call, so the form holds exactly what it would have.
    """

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        environ = self.environ
        length = environ.get("CONTENT_LENGTH") or ""
        kind = (environ.get("CONTENT_TYPE") or "").partition(";")[0].strip().lower()
        if (
            kind != "application/x-www-form-urlencoded"
            or not length.isdigit()
            or getattr(self, "_cached_data", None) is not None
        ):
            return super()._load_form_data()
        size = int(length)
        for limit in (self.max_content_length, self.max_form_memory_size):
            if limit is not None and size > limit:
                raise RequestEntityTooLarge()
        body = environ["wsgi.input"].read(size) if size else b""
        try:
            items = _parse_urlencoded(body.decode())
        except ValueError:  # e.g. not UTF-8: Werkzeug's parser is silent too, and the form is empty
            items = []
        self.__dict__.update(stream=io.BytesIO(), form=self.parameter_storage_class(items))
        self.__dict__["files"] = self.parameter_storage_class()
        return None


def _parse_urlencoded(text: str) -> list[tuple[str, str]]:
    """parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote") — Werkzeug's own call — one field at a
    time, the routine ones through a cache: most of a webhook's ~30 fields are the same text call after call."""
    known = _ROUTINE.get
    return [known(piece) or _decoded(piece) for piece in text.split("&") if piece]


#: Twilio's call-description parameters: the same few values webhook after webhook (account, numbers, places,
#: statuses). Only these are cached — never what a caller or an employee types (Digits, speech, console forms) —
#: and the per-call ones (CallSid, times) would only churn the cache.
_ROUTINE_NAMES = frozenset(
    ["AccountSid", "ApiVersion", "CallStatus", "Direction", "AnsweredBy", "QueueResult", "DialCallStatus"]
    + [who + place for who in ("From", "To", "Caller", "Called") for place in ("", "City", "State", "Zip", "Country")]
)
#: `name=value` text → its decoded pair. Safe: a pure function of the text (tuples of str); bounded by clearing.
_ROUTINE: dict[str, tuple[str, str]] = {}
_ROUTINE_MAX = 4096


def _decoded(piece: str) -> tuple[str, str]:
    """One field decoded (a name or value with no `+` or `%` is what it decodes to), and cached when routine."""
    name, _, value = piece.partition("=")
    if "+" in name or "%" in name:
        name = unquote(name.replace("+", " "), errors="werkzeug.url_quote")
    if "+" in value or "%" in value:
        value = unquote(value.replace("+", " "), errors="werkzeug.url_quote")
    if name in _ROUTINE_NAMES:
        if len(_ROUTINE) >= _ROUTINE_MAX:
            _ROUTINE.clear()
        _ROUTINE[piece] = (name, value)
    return name, value


def init_app(app: Flask, config: Config) -> None:
    """Call before any blueprint is registered: rules take the url_map's slash settings when they are added."""
    limit = max_request_bytes(config)
    app.config["MAX_CONTENT_LENGTH"] = limit
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    app.wsgi_app = BodyLimit(app.wsgi_app, limit)
    app.request_class = FormRequest
