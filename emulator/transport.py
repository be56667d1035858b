"""Delivery of webhooks: over HTTP, or in-process to a mounted WSGI app.

Either way the request is what Twilio sends: form-encoded POST (or GET with a query string), real parameter
names, and an `X-Twilio-Signature` computed over the exact URL requested, so the app's own signature check runs
unchanged. Simulated latency (`delay`) lets tests exercise the 15-second webhook timeout without waiting.

Both transports behave the same on the two things a plain HTTP client would get wrong:

- Redirects (https://www.twilio.com/docs/api/errors/11216): Twilio follows 301, 302, 303 and 307 only; any other
  3xx, or one without a Location, is error 11216; more than `MAX_REDIRECTS` hops is 11215. A 307 repeats the
  request (method and parameters) at the new URL; 301/302/303 become a GET of the new URL carrying the Twilio
  parameters in its query string, as every GET webhook does. Each hop is signed for the URL it requests.
- Cookies: each call has its own jar (`cookies=`), so a cookie set on one call's webhook is sent back on that
  call's later webhooks and never on another call's.
"""

from __future__ import annotations

import binascii
import email.message
import hashlib
import time
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from http.cookiejar import CookieJar
from urllib.parse import quote_plus, urlencode, urljoin, urlsplit, urlunsplit

import requests
from twilio.request_validator import RequestValidator

from emulator.wsgi_call import call_wsgi

#: Twilio gives up on a webhook after this many seconds.
WEBHOOK_TIMEOUT = 15.0
USER_AGENT = "TwilioProxy/1.1 (acs-ivr emulator)"
#: Redirect statuses Twilio follows (https://www.twilio.com/docs/api/errors/11216).
FOLLOWED_REDIRECTS = frozenset({301, 302, 303, 307})
#: Hops before Twilio gives up with 11215 (HTTP too many redirects).
MAX_REDIRECTS = 10


@dataclass
class WebhookResult:
    url: str
    method: str
    status: int  # 0 when no HTTP response arrived
    body: str
    content_type: str
    elapsed: float  # seconds, simulated latency included
    error: str | None = None
    code: int | None = None  # the Twilio error code when the transport itself decided (11215, 11216)
    location: str | None = None
    redirects: list[str] = field(default_factory=list)  # URLs that answered with a followed redirect

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300


class Transport:
    """Routes each webhook to a mounted WSGI app by base URL, else over HTTP with requests."""

    def __init__(self, auth_token: str, timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.validator = RequestValidator(auth_token)
        self._hmac = _HmacSha1(self.validator.token)
        self.timeout = timeout
        self._mounts: list[tuple[str, object]] = []
        self._delays: list[tuple[str, float]] = []
        self._routes: list[tuple[str, str]] = []
        self._session: requests.Session | None = None

    def mount(self, base_url: str, wsgi_app) -> None:
        """Serve every URL under `base_url` by calling `wsgi_app` directly (no sockets)."""
        self._mounts.append((base_url.rstrip("/"), wsgi_app))  # cookies are per call (`fetch`'s jar)

    def route(self, public_base: str, actual_base: str) -> None:
        """Sign URLs under `public_base` as they are, but deliver them to `actual_base` (e.g. ngrok -> local)."""
        self._routes.append((public_base.rstrip("/"), actual_base.rstrip("/")))

    def delay(self, url_prefix: str, seconds: float) -> None:
        """Pretend webhooks under `url_prefix` take `seconds` to answer (a fault for timeout tests)."""
        self._delays.append((url_prefix, seconds))

    def sign(self, url: str, params: dict[str, str]) -> str:
        """RequestValidator.compute_signature(url, params) for one value per name: the URL, then each name and its
        value in name order, HMAC-SHA1 under the auth token, base64 (tests/emulator/test_transport_encoding.py
        holds them equal). 34 → 12 µs for a webhook's ~30 parameters: the HMAC's keyed states are made once."""
        try:
            text = url + "".join([name + params[name] for name in sorted(params)])
        except TypeError:  # a value that is not a string: the SDK's own error
            return self.validator.compute_signature(url, _Values(params))
        return binascii.b2a_base64(self._hmac.digest(text.encode("utf-8")), newline=False).decode("ascii")

    def fetch(self, method: str, url: str, params: dict[str, str], cookies: CookieJar | None = None) -> WebhookResult:
        """Request `url` as Twilio would, following redirects; never raises for network or app failures."""
        method = (method or "POST").upper()
        hops: list[str] = []
        elapsed = 0.0
        while True:
            try:
                result = self._fetch_once(method, url, params, cookies)
            except ValueError as exc:  # a URL no HTTP client can request (https://www.twilio.com/docs/api/errors/11100)
                return WebhookResult(url, method, 0, "", "", elapsed, f"Invalid URL format: {exc}", 11100, None, hops)
            elapsed += result.elapsed
            result.elapsed, result.redirects = elapsed, hops
            if result.error or not 300 <= result.status < 400:
                return result
            if result.status not in FOLLOWED_REDIRECTS or not result.location:
                why = "without a Location header" if result.location is None else "which Twilio does not follow"
                result.error, result.code = f"HTTP invalid redirect: {result.status} {why}", 11216
                return result
            if len(hops) >= MAX_REDIRECTS:
                result.error, result.code = f"HTTP too many redirects (more than {MAX_REDIRECTS})", 11215
                return result
            hops.append(url)
            url = urljoin(url, result.location)
            if result.status != 307:
                method = "GET"

    def _fetch_once(self, method: str, url: str, params: dict[str, str], cookies: CookieJar | None) -> WebhookResult:
        if method == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, form_encode(params)) if q)
            url, body_params = urlunsplit(parts._replace(query=query)), {}
        else:
            body_params = params
        headers = {
            "X-Twilio-Signature": self.sign(url, body_params),
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
        }
        latency = sum(s for prefix, s in self._delays if url.startswith(prefix)) if self._delays else 0
        if latency >= self.timeout:
            return WebhookResult(url, method, 0, "", "", latency, f"timed out after {self.timeout:g}s")
        cookie_request = None
        if cookies is not None and len(cookies):
            cookie_request = urllib.request.Request(url, method=method)  # also refuses what no client can request
            cookies.add_cookie_header(cookie_request)
            if cookie_request.get_header("Cookie"):
                headers["Cookie"] = cookie_request.get_header("Cookie")
        else:
            _requestable(url.partition("?")[0])
        started = time.monotonic()
        target = self._routed(url)
        client = self._mounted(target)
        try:
            if client is not None:
                status, body, ctype, response_headers = self._wsgi(client, method, target, body_params, headers)
            else:
                status, body, ctype, response_headers = self._http(method, target, body_params, headers)
        except requests.Timeout:
            return WebhookResult(url, method, 0, "", "", self.timeout, f"timed out after {self.timeout:g}s")
        except requests.RequestException as exc:
            return WebhookResult(url, method, 0, "", "", 0.0, f"connection failed: {exc}")
        location, sets_cookies = None, False
        for name, value in response_headers:  # one pass: a webhook's answer has two or three headers
            name = name.lower()
            if name == "location" and location is None:
                location = value
            elif name == "set-cookie" or name == "set-cookie2":
                sets_cookies = True
        if cookies is not None and sets_cookies:
            cookies.extract_cookies(_CookieResponse(response_headers), cookie_request or urllib.request.Request(url))
        elapsed = time.monotonic() - started + latency
        error = f"timed out after {self.timeout:g}s" if elapsed >= self.timeout else None
        return WebhookResult(url, method, status, body, ctype, elapsed, error, location=location)

    def _routed(self, url: str) -> str:
        for public, actual in self._routes:
            if url == public or url.startswith(public + "/") or url.startswith(public + "?"):
                return actual + url[len(public) :]
        return url

    def _mounted(self, url: str):
        for base, client in self._mounts:
            if url == base or url.startswith(base + "/") or url.startswith(base + "?"):
                return client
        return None

    def _wsgi(self, app, method: str, url: str, params: dict, headers: dict):
        body = b""
        if method != "GET":
            body = form_encode(params).encode("utf-8")
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        status, response_headers, raw = call_wsgi(app, method, url, body, headers)
        ctype = next((v for k, v in response_headers if k.lower() == "content-type"), "")
        return status, raw.decode("utf-8", "replace"), ctype, response_headers

    def _http(self, method: str, url: str, params: dict, headers: dict):
        if self._session is None:
            self._session = requests.Session()
        response = self._session.request(
            method,
            url,
            data=params if method != "GET" else None,
            headers=headers,
            timeout=self.timeout,
            allow_redirects=False,  # followed by `fetch`, as Twilio follows them
        )
        self._session.cookies.clear()  # the session is shared by every call; cookies live in each call's jar
        return response.status_code, response.text, response.headers.get("Content-Type", ""), _raw_headers(response)


@lru_cache(maxsize=1024)
def _requestable(url: str) -> None:
    """ValueError for a URL no HTTP client can request, as urllib's Request says it (its scheme decides; the
    query is left out so that a webhook's few URLs are checked once each)."""
    urllib.request.Request(url)


class _HmacSha1:
    """hmac.new(key, message, sha1).digest() with the key's inner and outer SHA-1 states worked out once (RFC 2104):
    each signature copies them instead of keying a new HMAC (2.9 → 1.2 µs)."""

    def __init__(self, key: bytes) -> None:
        if len(key) > 64:  # SHA-1's block size: longer keys are hashed first
            key = hashlib.sha1(key).digest()
        key = key.ljust(64, b"\0")
        self._inner = hashlib.sha1(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha1(bytes(byte ^ 0x5C for byte in key))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class _Values(dict):
    """The parameters with the `getall` RequestValidator asks for first: given a plain dict, it reaches the value
    through two AttributeErrors per parameter (58 → 18 µs for a webhook's ~30); the signature is the same."""

    def getall(self, name: str) -> list:
        return [self[name]]


def form_encode(params: dict, doseq: bool = False) -> str:
    """urlencode(params, doseq), with each name and value quoted once per process: a webhook's ~30 parameters are
    mostly the same strings call after call (account, numbers, places, statuses), and so are a calls.create's."""
    if not doseq:
        try:  # quote_plus refuses what is neither str nor bytes (and the cache what is unhashable)...
            return "&".join(map(_quoted_pair, params.items()))
        except TypeError:  # ...which urlencode quotes as its str()
            return urlencode(params)
    pairs = []
    for name, value in params.items():
        if type(name) is not str:
            return urlencode(params, doseq=True)
        if type(value) is str:
            pairs.append(_quoted_pair((name, value)))
        elif type(value) is list and all(type(item) is str for item in value):
            pairs += [_quoted_pair((name, item)) for item in value]
        elif type(value) in (int, bool, float):  # e.g. Timeout: urlencode quotes its str()
            pairs.append(_quoted_pair((name, str(value))))
        else:  # numbers, tuples, bytes...: urllib's own rules
            return urlencode(params, doseq=True)
    return "&".join(pairs)


@lru_cache(maxsize=16384)
def _quoted(text: str) -> str:
    """quote_plus(text); an ASCII string by one translate (a webhook's new values, its Timestamp and the callee's
    number, miss the cache: 2.4 → 0.5 µs each)."""
    if type(text) is str and text.isascii():
        return text.translate(_PLUS_QUOTING)
    return quote_plus(text)


#: quote_plus's quoting of each ASCII character: letters, digits and `_.-~` as they are, a space as `+`, the rest
#: as %XX (upper-case hex).
_PLUS_QUOTING = {
    code: char if char.isascii() and (char.isalnum() or char in "_.-~") else "+" if char == " " else f"%{code:02X}"
    for code, char in ((code, chr(code)) for code in range(128))
}


@lru_cache(maxsize=16384)
def _quoted_pair(item: tuple[str, str]) -> str:
    """`name=value` quoted, once per pair: most of a webhook's pairs recur call after call (4.9 → 2.6 µs a body)."""
    return _quoted(item[0]) + "=" + _quoted(item[1])


def _raw_headers(response: requests.Response) -> list[tuple[str, str]]:
    """Every response header, repeated ones (Set-Cookie) kept apart."""
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "items"):
        return list(raw.items())
    return list(response.headers.items())


class _CookieResponse:
    """The response side `http.cookiejar` reads Set-Cookie headers from."""

    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self._message = email.message.Message()
        for name, value in headers:
            if name.lower() in ("set-cookie", "set-cookie2"):
                self._message[name] = value

    def info(self) -> email.message.Message:
        return self._message
