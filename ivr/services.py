"""The long-lived objects one process needs (Redis client, repositories, signature validator), built once."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from flask import current_app
from twilio.request_validator import RequestValidator

from ivr.cases.history import History
from ivr.cases.sealing import TinSeal, install, seal_for
from ivr.cases.store import Store
from ivr.config import Config
from ivr.dialer.attempts import Attempts
from ivr.dialer.floor import Floor, FloorSettings
from ivr.keys import KeySchema
from ivr.redis_conn import connect, redis_url_for
from ivr.voice.callers import Callers


@dataclass
class Services:
    config: Config
    redis: redis.Redis
    keys: KeySchema
    seal: TinSeal
    store: Store
    history: History
    callers: Callers
    attempts: Attempts
    validator: RequestValidator | None
    floor: Floor | None = None

    @classmethod
    def from_config(cls, config: Config, client: redis.Redis | None = None) -> Services:
        seal = install(seal_for(config))  # before Redis: a missing key stops a start
        client = client or connect(redis_url_for(config))
        keys = KeySchema(config.key_prefix)
        return cls(
            config=config,
            redis=client,
            keys=keys,
            seal=seal,
            store=Store(client, keys, seal),
            history=History(client, keys),
            callers=Callers(client, keys),
            attempts=Attempts(client, keys),
            validator=RequestValidator(config.twilio_auth_token) if config.twilio_auth_token else None,
            floor=FloorSettings.from_env(config.extra).floor(client, keys),
        )


def services_from_env() -> Services:
    """Services for a command run from the shell: configuration from the environment."""
    return Services.from_config(Config.from_env())


def services() -> Services:
    """The current Flask app's services."""
    return current_app.extensions["acs"]
