"""Wire the voice webhooks into the app (the route modules register themselves on the blueprint)."""

from __future__ import annotations

from flask import Flask

from ivr.voice import floor, inbound, outbound  # noqa: F401  (registers the routes on the blueprint)
from ivr.voice.blueprint import voice
from ivr.voice.limited_content import LimitedContent


def init_app(app: Flask) -> None:
    app.register_blueprint(voice)
    # Checked at start-up: a voicemail wording that would disclose anything must stop the app, not a call.
    app.extensions["acs.limited_content"] = LimitedContent.from_env(app.extensions["acs"].config.extra)
