"""Wire the voice webhooks into the app (the route modules register themselves on the blueprint)."""

from __future__ import annotations

from flask import Flask

from ivr.voice import floor, inbound, outbound  # noqa: F401  (registers the routes on the blueprint)
from ivr.voice.blueprint import voice


def init_app(app: Flask) -> None:
    app.register_blueprint(voice)
