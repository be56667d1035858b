"""Remove a scratch directory when the process that made it is gone, however it went (SIGKILL included).

`acs demo` keeps its Redis files in a /tmp/acs-demo-* directory. Its redis-server dies with it (PR_SET_PDEATHSIG),
but a SIGKILLed demo cannot remove the directory itself. A tiny guard process holds the read end of a pipe whose
write end only the owner has: when the owner exits for any reason the pipe reaches EOF, the guard waits for the
directory's redis-server (its pid file) to exit, removes the directory and exits. It runs in its own session, so a
Ctrl-C at the terminal does not end it before its owner.
"""

from __future__ import annotations

import subprocess
import sys

_GUARD = r"""
import os, shutil, sys, time
path = sys.argv[1]
sys.stdin.buffer.read()  # EOF: the owner is gone
try:
    pid = int(open(os.path.join(path, "redis.pid")).read().split()[0])
except (OSError, ValueError, IndexError):
    pid = 0
deadline = time.monotonic() + 10
while pid > 0 and time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    except PermissionError:
        break
    time.sleep(0.05)
shutil.rmtree(path, ignore_errors=True)
"""


class DirGuard:
    """Owns the guard process; close() lets it finish (it removes the directory once its redis-server is gone)."""

    def __init__(self, path: str):
        self.path = path
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _GUARD, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
