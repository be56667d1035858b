"""Helpers for the console tests: the test password and a client that fills in CSRF tokens like a browser."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Console:
    """A Flask test client that behaves like a browser on the console's forms (CSRF token included)."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.mimetype == "text/html" and 'name="csrf_token"' in response.get_data(as_text=True):
            self.token = csrf_token(response.get_data(as_text=True))
        return response

    def post(self, path: str, data: dict | None = None, **kwargs):
        if self.token is None:
            self.get("/console/sign-in")
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD):
        self.get("/console/sign-in")
        response = self.post("/console/sign-in", {"username": username, "password": password})
        self.get("/console/queue")  # the session (and its CSRF token) is new after sign-in
        return response
