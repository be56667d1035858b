"""Delivery of webhooks: over HTTP, or in-process to a mounted WSGI app.

Either way the request is what Twilio sends: form-encoded POST (or GET with a query string), real parameter
names, and an `X-Twilio-Signature` computed over the exact URL requested, so the app's own signature check runs
unchanged. Simulated latency (`delay`) lets tests exercise the 15-second webhook timeout without waiting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from twilio.request_validator import RequestValidator
from werkzeug.test import Client

#: Twilio gives up on a webhook after this many seconds.
WEBHOOK_TIMEOUT = 15.0
USER_AGENT = "TwilioProxy/1.1 (acs-ivr emulator)"


@dataclass
class WebhookResult:
    url: str
    method: str
    status: int  # 0 when no HTTP response arrived
    body: str
    content_type: str
    elapsed: float  # seconds, simulated latency included
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300


class Transport:
    """Routes each webhook to a mounted WSGI app by base URL, else over HTTP with requests."""

    def __init__(self, auth_token: str, timeout: float = WEBHOOK_TIMEOUT) -> None:
        self.validator = RequestValidator(auth_token)
        self.timeout = timeout
        self._mounts: list[tuple[str, Client]] = []
        self._delays: list[tuple[str, float]] = []
        self._routes: list[tuple[str, str]] = []
        self._session: requests.Session | None = None

    def mount(self, base_url: str, wsgi_app) -> None:
        """Serve every URL under `base_url` by calling `wsgi_app` directly (no sockets)."""
        self._mounts.append((base_url.rstrip("/"), Client(wsgi_app)))

    def route(self, public_base: str, actual_base: str) -> None:
        """Sign URLs under `public_base` as they are, but deliver them to `actual_base` (e.g. ngrok -> local)."""
        self._routes.append((public_base.rstrip("/"), actual_base.rstrip("/")))

    def delay(self, url_prefix: str, seconds: float) -> None:
        """Pretend webhooks under `url_prefix` take `seconds` to answer (a fault for timeout tests)."""
        self._delays.append((url_prefix, seconds))

    def sign(self, url: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(url, params)

    def fetch(self, method: str, url: str, params: dict[str, str]) -> WebhookResult:
        """Request `url` as Twilio would; never raises for network or app failures."""
        method = (method or "POST").upper()
        if method == "GET":
            parts = urlsplit(url)
            query = "&".join(q for q in (parts.query, urlencode(params)) if q)
            url, body_params = urlunsplit(parts._replace(query=query)), {}
        else:
            body_params = params
        headers = {
            "X-Twilio-Signature": self.sign(url, body_params),
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
        }
        latency = sum(s for prefix, s in self._delays if url.startswith(prefix))
        if latency >= self.timeout:
            return WebhookResult(url, method, 0, "", "", latency, f"timed out after {self.timeout:g}s")
        started = time.monotonic()
        target = self._routed(url)
        client = self._mounted(target)
        try:
            if client is not None:
                status, body, ctype = self._wsgi(client, method, target, body_params, headers)
            else:
                status, body, ctype = self._http(method, target, body_params, headers)
        except requests.Timeout:
            return WebhookResult(url, method, 0, "", "", self.timeout, f"timed out after {self.timeout:g}s")
        except requests.RequestException as exc:
            return WebhookResult(url, method, 0, "", "", 0.0, f"connection failed: {exc}")
        elapsed = time.monotonic() - started + latency
        error = f"timed out after {self.timeout:g}s" if elapsed >= self.timeout else None
        return WebhookResult(url, method, status, body, ctype, elapsed, error)

    def _routed(self, url: str) -> str:
        for public, actual in self._routes:
            if url == public or url.startswith(public + "/") or url.startswith(public + "?"):
                return actual + url[len(public) :]
        return url

    def _mounted(self, url: str) -> Client | None:
        for base, client in self._mounts:
            if url == base or url.startswith(base + "/") or url.startswith(base + "?"):
                return client
        return None

    def _wsgi(self, client: Client, method: str, url: str, params: dict, headers: dict):
        parts = urlsplit(url)
        response = client.open(
            parts.path or "/",
            base_url=f"{parts.scheme}://{parts.netloc}",
            method=method,
            query_string=parts.query,
            data=params if method != "GET" else None,
            headers=headers,
        )
        try:
            return response.status_code, response.get_data(as_text=True), response.content_type or ""
        finally:
            response.close()

    def _http(self, method: str, url: str, params: dict, headers: dict):
        if self._session is None:
            self._session = requests.Session()
        response = self._session.request(
            method, url, data=params if method != "GET" else None, headers=headers, timeout=self.timeout
        )
        return response.status_code, response.text, response.headers.get("Content-Type", "")
