"""Fixtures for the fault tests: a killable redis-server and the office around it (see fault_support)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_support import Office, RedisServer

from ivr.sample_data import load_sample_data


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def office(redis_server: RedisServer, tmp_path: Path) -> Iterator[Office]:
    """The sample data loaded, nothing due yet; tests add settings through `office_settings`."""
    made = Office(redis_server, tmp_path)
    load_sample_data(made.redis, made.keys)
    made.redis.delete(made.keys.cases_due())
    yield made
    made.close()
