"""Calling a WSGI app in-process with a hand-built environ: what werkzeug's test client does, minus its cost.

The test client (EnvironBuilder, response wrapping, cookie handling) costs several times what a small webhook
handler does; an emulated phone day makes thousands of these calls. The environ here is the one a WSGI server
gives for the same request (method, path, query, headers, form body), so the app sees exactly what it would.
"""

from __future__ import annotations

import base64
import io
import sys
from functools import lru_cache
from urllib.parse import unquote, urlsplit


def call_wsgi(
    app, method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one request through `app`; returns (status code, response headers, body)."""
    environ = _environ_of(url)
    environ["REQUEST_METHOD"] = method.upper()
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input"] = io.BytesIO(body)
    environ["wsgi.errors"] = sys.stderr
    for name, value in (headers or {}).items():
        key = _environ_key(name)
        if key is not None:
            environ[key] = value
    started: list = []
    chunks: list[bytes] = []

    def start_response(status, response_headers, exc_info=None):
        started[:] = [status, response_headers]
        return chunks.append

    app_iter = app(environ, start_response)
    try:
        chunks.extend(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    status, response_headers = started
    return int(status.split(" ", 1)[0]), list(response_headers), b"".join(chunks)


def basic_auth(auth: tuple[str, str] | None) -> str | None:
    if not auth:
        return None
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")


def _environ_of(url: str) -> dict[str, object]:
    """A fresh copy of `_url_environ(url)`, its cache keyed on the URL without its query: the app's webhooks carry
    a call's own query (`?attempt=…`) on a few paths, which a whole-URL key would miss once per call."""
    head, sep, query = url.partition("?")
    if not query or "#" in url or "\t" in query or "\r" in query or "\n" in query:  # urlsplit's own cases
        return dict(_url_environ(url))
    environ = dict(_url_environ(head))
    environ["QUERY_STRING"] = query
    environ["REQUEST_URI"] += "?" + query
    return environ


@lru_cache(maxsize=1024)
def _url_environ(url: str) -> dict[str, object]:
    """The environ entries a URL decides (and the constant ones), worked out once per URL: an app's webhooks and
    the SDK's requests go to a few URLs again and again. Callers copy it."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    host = parts.netloc or "localhost"
    hostname, _, port = host.partition(":")
    return {
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(parts.path or "/").encode("utf-8").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "REQUEST_URI": (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        "SERVER_NAME": hostname,
        "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


@lru_cache(maxsize=256)
def _environ_key(name: str) -> str | None:
    """The environ key of a request header (None for Content-Length, which the body decides)."""
    key = name.upper().replace("-", "_")
    if key == "CONTENT_LENGTH":
        return None
    return key if key == "CONTENT_TYPE" else "HTTP_" + key
