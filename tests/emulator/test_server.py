"""The loopback REST server's lifecycle: shutdown leaves no thread or socket behind."""

from __future__ import annotations

import socket
import threading

from emulator import Emulator
from emulator.server import ServerThread


def test_shutdown_closes_idle_keep_alive_connections_and_joins_their_threads():
    emu = Emulator()
    before = set(threading.enumerate())
    server = emu.serve()
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"GET /2010-04-01/Nope.json HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"HTTP/1.1 404")
        headers = dict(line.decode().split(":", 1) for line in iter(reader.readline, b"\r\n"))
        reader.read(int(headers["Content-Length"]))  # answered; the connection stays open (keep-alive)
        server.shutdown()
        assert reader.read(1) == b""  # the server closed its end instead of leaving a handler blocked on it
        reader.close()
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []


def test_shutdown_of_a_server_that_never_started_returns():
    server = ServerThread(Emulator().wsgi_app)
    stopper = threading.Thread(target=server.shutdown, daemon=True)
    stopper.start()
    stopper.join(timeout=5)
    assert not stopper.is_alive()
