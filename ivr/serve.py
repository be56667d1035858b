"""`acs serve`: the Flask app under gunicorn, with the embedded Redis started first when REDIS_URL is unset."""

from __future__ import annotations

import os
import secrets

import redis
from gunicorn.app.base import BaseApplication

from ivr.config import Config
from ivr.data_key import load_data_keys
from ivr.preflight import require, serve_problem, settings_problem, web_settings_problem
from ivr.redis_conn import die_with_parent, redis_url_for


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


def reach_redis(url: str) -> None:
    """Raise redis.ConnectionError (one line via ivr.cli, exit 1) for a wrong or down REDIS_URL: starting anyway
    would answer every webhook with a 500. Once serving, an outage is ridden out (webhooks 500, /healthz 503)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        client.ping()
    finally:
        client.close()


def serve_forever(host: str, port: int, workers: int) -> None:
    config = Config.from_env()
    load_data_keys(config)  # refuse before anything starts; generates the embedded key once, here, not per worker
    require(serve_problem(config))
    require(settings_problem(config, "acs serve"))  # the outbound webhooks read them on every call
    require(web_settings_problem(config, "acs serve"))
    # Workers inherit the environment: point them all at the one server (embedded or not).
    os.environ["REDIS_URL"] = redis_url_for(config)
    reach_redis(os.environ["REDIS_URL"])
    # Every worker must sign console sessions with the same key, or a sign-in only holds on one worker.
    if not config.secret_key:
        os.environ["ACS_SECRET_KEY"] = secrets.token_hex(32)
    # No control socket: gunicorn's default lives in a shared $HOME/.gunicorn/gunicorn.ctl and is left stale by
    # a SIGKILL; nothing here uses gunicornc.
    options = {"bind": f"{host}:{port}", "workers": workers, "accesslog": "-", "control_socket_disable": True}
    # A SIGKILLed master must not leave its workers serving for up to 30 s (they notice a new parent only then).
    options["post_fork"] = lambda server, worker: die_with_parent(server.pid)()
    _Gunicorn(options).run()
