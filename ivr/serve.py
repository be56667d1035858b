"""`acs serve`: the Flask app under gunicorn, with the embedded Redis started first when REDIS_URL is unset."""

from __future__ import annotations

import os
import secrets

from gunicorn.app.base import BaseApplication

from ivr.config import Config
from ivr.preflight import require, serve_problem
from ivr.redis_conn import redis_url_for


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from ivr import create_app

        return create_app()


def serve_forever(host: str, port: int, workers: int) -> None:
    config = Config.from_env()
    require(serve_problem(config))
    # Workers inherit the environment: point them all at the one server (embedded or not).
    os.environ["REDIS_URL"] = redis_url_for(config)
    # Every worker must sign console sessions with the same key, or a sign-in only holds on one worker.
    if not config.secret_key:
        os.environ["ACS_SECRET_KEY"] = secrets.token_hex(32)
    if not config.public_base_url:
        print("warning: PUBLIC_BASE_URL is not set; every /voice request will be refused (403)")
    _Gunicorn({"bind": f"{host}:{port}", "workers": workers, "accesslog": "-"}).run()
