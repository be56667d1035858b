"""What both example apps share: the Twilio client from the environment and the webhook signature check."""

from __future__ import annotations

import argparse
import functools
import os

from flask import abort, request
from twilio.request_validator import RequestValidator


def client_from_env():
    from emulator.sdk import twilio_client

    return twilio_client(
        os.environ.get("TWILIO_API_BASE") or None,
        os.environ.get("TWILIO_ACCOUNT_SID", ""),
        os.environ.get("TWILIO_AUTH_TOKEN", ""),
    )


def signed(auth_token: str | None):
    """Refuse (403) a webhook whose X-Twilio-Signature does not match, as every Twilio app should."""
    validator = RequestValidator(auth_token) if auth_token else None

    def wrap(view):
        @functools.wraps(view)
        def checked(*args, **kwargs):
            signature = request.headers.get("X-Twilio-Signature", "")
            if validator is not None and not validator.validate(request.url, request.form.to_dict(), signature):
                abort(403)
            return view(*args, **kwargs)

        return checked

    return wrap


def serve(create_app) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    app = create_app(client_from_env(), os.environ.get("TWILIO_AUTH_TOKEN"))
    app.run("127.0.0.1", args.port)
