"""An import SIGKILLed midway resumes when run again: every row lands once, none is lost."""

from __future__ import annotations

import hashlib
import signal
import time

from process_support import acs, run_acs

from bench.synthetic import case_rows, write

ROWS = 20_000


def test_a_killed_import_resumes_with_no_duplicate_and_nothing_lost(redis, keys, config_overrides, tmp_path):
    path = write(tmp_path / "cases.csv", case_rows(ROWS))
    job = keys.import_job("cases", hashlib.sha256(path.read_bytes()).hexdigest())
    env = {**config_overrides, "ACS_IMPORT_LEASE_SECONDS": "2"}

    first = acs(["import", "cases", str(path)], env)
    deadline = time.monotonic() + 60
    while int(redis.hget(job, "committed") or -1) < 3 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.wait()
    landed = redis.scard(keys.case_ids())
    assert 0 < landed < ROWS, "the kill must come midway"

    # The dead import's lease lapses by itself; until then a second import is refused in one line.
    refused = run_acs(["import", "cases", str(path)], env)
    if refused.returncode:
        assert refused.stderr.strip().count("\n") == 0 and "is running" in refused.stderr
        time.sleep(2.5)
    done = run_acs(["import", "cases", str(path)], env) if refused.returncode else refused
    assert done.returncode == 0, done.stderr
    assert "resumed" in done.stdout and f"{ROWS} cases imported" in done.stdout

    assert redis.scard(keys.case_ids()) == ROWS
    assert redis.zcard(keys.cases_due()) == ROWS
    assert not redis.exists(job)
    listed: list[str] = []
    for bucket in redis.keys(keys.taxpayer_cases("*")):
        for ids in redis.hvals(bucket):
            listed += ids.split()
    assert len(listed) == len(set(listed)) == ROWS  # each case indexed once under its taxpayer
    pipe = redis.pipeline(transaction=False)
    for n in range(0, ROWS, 997):
        pipe.hmget(keys.case(f"AC{n:08d}"), "opened_at", "taxpayer_phone")
    assert all(opened and phone for opened, phone in pipe.execute())
    assert not redis.keys("acs:case:*:history")  # the import writes no history stream
