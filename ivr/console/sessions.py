"""Flask's cookie session, minus the cost Twilio webhooks don't need.

Flask builds a signing serializer on every request just to find there is no session cookie; Twilio never sends
one, and that construction was a measurable share of a webhook's time (bench/webhooks.py).
"""

from __future__ import annotations

from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class LazySessionInterface(SecureCookieSessionInterface):
    def open_session(self, app, request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
