"""Four real `acs worker` processes share the dialing: no case dialed twice, ACS_MAX_CPS held across all of them,
measured as calls per second the emulator received (its REST server on loopback, timestamped on arrival)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter

from process_support import acs, no_state_rules

from bench.synthetic import case_rows
from emulator.server import ServerThread
from ivr.cases.importer import Importer

WORKERS = 4
CASES = 36
MAX_CPS = 3


def test_four_workers_share_the_load_and_hold_the_cps_ceiling(app, emu, redis, keys, config_overrides, tmp_path):
    assert Importer(redis, keys).import_text("cases", "".join(one_case_per_taxpayer(CASES))).ok
    arrivals: list[float] = []
    lock = threading.Lock()

    def timestamped(environ, start_response):
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].endswith("/Calls.json"):
            with lock:
                arrivals.append(time.monotonic())
        return emu.wsgi_app(environ, start_response)

    server = ServerThread(timestamped)
    server.start()
    env = {
        **config_overrides,
        "TWILIO_API_BASE": server.url,
        "ACS_MAX_CPS": str(MAX_CPS),
        "ACS_DIALER_TICK_SECONDS": "1",  # a tick takes MAX_CPS cases: the rest wait for other workers' ticks
        "ACS_CALL_WINDOW": "00:00-23:59",
        "ACS_OFFICE_DAYS": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
        "ACS_COMPLIANCE_RULES": str(no_state_rules(tmp_path)),  # the real clock may be outside Massachusetts' hours
    }
    workers = [acs(["worker"], env) for _ in range(WORKERS)]
    try:
        deadline = time.monotonic() + 60
        while len(arrivals) < CASES and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # anything extra (a case dialed twice) would arrive now
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except Exception:  # noqa: BLE001 - a stuck worker must not outlive the test
                worker.kill()
                worker.wait()
        server.shutdown()

    dialed = Counter(record.to for record in emu.store.calls.values())
    assert len(arrivals) == CASES == sum(dialed.values())
    # No case dialed twice: each case has its own attempt, and no case has two.
    per_case = Counter(redis.hget(keys.attempt(a), "case_id") for a in _attempt_ids(redis, keys))
    assert len(per_case) == CASES and max(per_case.values()) == 1
    worst = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    gaps = [round(b - a, 3) for a, b in zip(sorted(arrivals), sorted(arrivals)[1:], strict=False)]
    assert worst <= MAX_CPS, f"{worst} calls reached the emulator within one second (ceiling {MAX_CPS}): {gaps}"


def one_case_per_taxpayer(count: int) -> list[str]:
    """Synthetic rows, one case per taxpayer: Reg F counts a person, so a second case of someone just called waits
    a week after the conversation — right, but not what this test measures."""
    header, *rows = case_rows(count * 2)
    seen, kept = set(), [header]
    for row in rows:
        tin = row.split(",")[2]
        if tin not in seen and len(kept) <= count:
            seen.add(tin)
            kept.append(row)
    return kept


def _attempt_ids(redis, keys) -> list[str]:
    return [a for case_id in redis.smembers(keys.case_ids()) for a in redis.zrange(keys.case_attempts(case_id), 0, -1)]
