"""Console sessions: Flask's cookie session (minus a cost webhooks don't need) and the server's record of them.

Flask builds a signing serializer on every request just to find there is no session cookie; Twilio never sends
one, and that construction was a measurable share of a webhook's time (bench/webhooks.py).
"""

from __future__ import annotations

import secrets
from functools import wraps

import redis
from flask import g
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from ivr.config import Config, number_setting
from ivr.console.employees import Employee, employee_from_hash
from ivr.keys import KeySchema


class LazySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request) -> SecureCookieSession | None:
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def should_set_cookie(self, app, session) -> bool:
        if g.get("polled"):  # see `polled`
            return session.modified
        return super().should_set_cookie(app, session)


def polled(view):
    """For what a page polls every second or two: the response sends the session cookie back only when the view
    changed the session. Re-sent as it was read, a poll that started before a click's POST and answered after it
    gave the browser the session from before the click, so the click's flash message (or any change) was lost."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        g.polled = True
        return view(*args, **kwargs)

    return wrapper


DEFAULT_IDLE_MINUTES = 30


def idle_minutes(config: Config) -> int:
    """ACS_SESSION_IDLE_MINUTES: a console session unused this long is over (default 30); ConfigError for a bad
    value, which `acs serve` reports before starting (ivr.preflight)."""
    return number_setting(config.extra, "ACS_SESSION_IDLE_MINUTES", DEFAULT_IDLE_MINUTES, int, minimum=1)


class ServerSessions:
    """The server's record of live console sessions, so that signing out (or idling) ends a session for good.

    A signed cookie alone stays valid until it expires: one copied before sign-out kept working for 8 hours. Each
    sign-in now gets a random id kept in Redis with the idle timeout as TTL; every request checks it and pushes
    the TTL on (one round trip, together with reading the employee), and sign-out deletes it.
    """

    def __init__(self, client: redis.Redis, keys: KeySchema, idle_seconds: int):
        self.redis = client
        self.keys = keys
        self.idle_seconds = idle_seconds

    def start(self, username: str) -> str:
        session_id = secrets.token_urlsafe(24)
        self.redis.set(self.keys.console_session(session_id), username, ex=self.idle_seconds)
        return session_id

    def check(self, username: str, session_id: str) -> Employee | None:
        """The employee, when `session_id` is live and theirs; the session's idle clock restarts."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(self.keys.employee(username))
        pipe.getex(self.keys.console_session(session_id), ex=self.idle_seconds)
        data, owner = pipe.execute()
        return employee_from_hash(username, data) if owner == username else None

    def end(self, session_id: str) -> None:
        self.redis.delete(self.keys.console_session(session_id))
