"""An import SIGKILLed while its worker processes check the file leaves no process behind, and resumes cleanly."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from process_support import acs, run_acs

from bench.synthetic import case_rows, write

ROWS = 60_000  # ~4.6 MB: over PARALLEL_BYTES, so the first pass runs on worker processes


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(child) for child in children]
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


def test_a_killed_import_leaves_no_worker_behind(redis, keys, config_overrides, tmp_path):
    path = write(tmp_path / "cases.csv", case_rows(ROWS))
    env = {**config_overrides, "ACS_IMPORT_LEASE_SECONDS": "1"}
    first = acs(["import", "cases", str(path)], env)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and first.poll() is None and time.monotonic() < deadline:
        workers = _children(first.pid)
        time.sleep(0.01)
    assert len(workers) >= 2, "the first pass should run on worker processes"
    first.send_signal(signal.SIGKILL)
    first.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers)

    time.sleep(1.5)  # the dead import's lease lapses
    done = run_acs(["import", "cases", str(path)], env)
    assert done.returncode == 0, done.stderr
    assert redis.scard(keys.case_ids()) == redis.zcard(keys.cases_due()) == ROWS
