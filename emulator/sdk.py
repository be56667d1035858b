"""Point the unmodified `twilio` SDK at the emulator.

The SDK hard-codes `https://api.twilio.com` (and follows `next_page_uri` under it), so the only seam is the HTTP
client: `BaseUrlHttpClient` rewrites that prefix (this is how the app honours TWILIO_API_BASE), and
`WsgiHttpClient` answers from the emulator's WSGI app in-process for fast tests and benchmarks.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from emulator.transport import form_encode
from emulator.wsgi_call import basic_auth, call_wsgi

TWILIO_API = "https://api.twilio.com"


def rewrite(url: str, base_url: str | None) -> str:
    """Swap the SDK's api.twilio.com prefix for `base_url` (other Twilio domains are left alone)."""
    if base_url and url.startswith(TWILIO_API):
        return base_url.rstrip("/") + url[len(TWILIO_API) :]
    return url


class BaseUrlHttpClient(TwilioHttpClient):
    """`TwilioHttpClient` that sends api.twilio.com requests to `base_url` instead."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        if self.session is not None:
            # TwilioHttpClient only tunes the https adapter; the emulator usually speaks plain http.
            self.session.mount("http://", self.session.get_adapter("https://"))

    def request(
        self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ) -> Response:
        return super().request(
            method,
            rewrite(url, self.base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )


class WsgiHttpClient(HttpClient):
    """A twilio `HttpClient` that calls a WSGI app directly: no sockets, no threads."""

    def __init__(self, wsgi_app, base_url: str = "http://emulator.local") -> None:
        import logging

        super().__init__(logging.getLogger("emulator.sdk"), False, None)
        self.app = wsgi_app
        self.base_url = base_url.rstrip("/")

    def request(
        self, method, url, params=None, data=None, headers=None, auth=None, timeout=None, allow_redirects=False
    ) -> Response:
        target, query = _target(url, self.base_url)
        if params:
            query = "&".join(q for q in (query, form_encode(params, doseq=True)) if q)
        headers = dict(headers) if headers else {}
        body = b""
        if data and method.upper() in ("POST", "PUT"):
            body = form_encode(data, doseq=True).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            authorization = _basic_auth(auth)
        except TypeError:  # credentials in a list: not a cache key
            authorization = basic_auth(auth)
        if authorization:
            headers["Authorization"] = authorization
        url = target + "?" + query if query else target
        status, response_headers, raw = call_wsgi(self.app, method, url, body, headers)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw  # recording media: the bytes (the SDK's Response keeps whatever it is given)
        self._test_only_last_response = Response(status, text, dict(response_headers))
        return self._test_only_last_response


@lru_cache(maxsize=256)
def _target(url: str, base_url: str) -> tuple[str, str]:
    """(scheme://netloc/path, query) of the rewritten `url`, once per SDK URL (a calls.create's is always the same)."""
    parts = urlsplit(rewrite(url, base_url))
    return f"{parts.scheme}://{parts.netloc}{parts.path}", parts.query


@lru_cache(maxsize=64)
def _basic_auth(auth: tuple[str, str] | None) -> str | None:
    """basic_auth(auth), once per credentials: the SDK sends the same pair on every request."""
    return basic_auth(auth)


def twilio_client(
    base_url: str | None, account_sid: str, auth_token: str, http_client: HttpClient | None = None, **client_kwargs
) -> Client:
    """A `twilio.rest.Client` talking to `base_url` (an emulator) or, with `http_client`, to anything."""
    if http_client is None:
        http_client = BaseUrlHttpClient(base_url) if base_url else TwilioHttpClient()
    return Client(account_sid, auth_token, http_client=http_client, **client_kwargs)
