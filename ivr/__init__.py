"""acs-ivr: reach POA practitioners about delinquent accounts, take their callbacks, work the case."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

import redis
from flask import Flask

from ivr.config import Config
from ivr.services import Services


def create_app(config: Config | Mapping[str, str] | None = None, client: redis.Redis | None = None) -> Flask:
    """Application factory; `config` is a Config or a mapping of environment-variable overrides."""
    cfg = config if isinstance(config, Config) else Config.from_env(config)
    app = Flask(__name__, static_folder=None)  # no ivr/static: the console serves its own
    app.config["SECRET_KEY"] = cfg.secret_key or secrets.token_hex(32)
    app.extensions["acs"] = Services.from_config(cfg, client)

    from ivr import health, log_redaction, request_limits
    from ivr.console import app as console_app
    from ivr.console.sessions import LazySessionInterface
    from ivr.voice import app as voice_app

    log_redaction.install()
    request_limits.init_app(app, cfg)  # before the blueprints: their rules take the url_map's settings
    app.session_interface = LazySessionInterface()
    voice_app.init_app(app)
    console_app.init_app(app)
    health.init_app(app)
    return app
