"""Serve a WSGI app (the REST API) on loopback in a background thread."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class ServerThread(threading.Thread):
    """A threaded werkzeug server; `url` is known once constructed (port 0 picks a free port)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(name="emulator-rest", daemon=True)
        self.server = make_server(host, port, app, threaded=True)
        self.host = host
        self.port = self.server.server_port
        self.url = f"http://{host}:{self.port}"

    def run(self) -> None:
        self.server.serve_forever()

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.join(timeout=5)
