"""`acs worker` SIGKILLed (with its children) and restarted (issue 9 §2, "Worker restart stalls dialing").

Before: the restarted worker could not take RQ's scheduler lock, which the dead one held for 61 s, and RQ tried
again only every 10 minutes, so the delayed ticks waited: "a tick due at 00:21:08 ran at 00:33:38".
"""

from __future__ import annotations

import time

from fault_support import wait_for

RESUME_LIMIT_SECONDS = 30


def test_a_restarted_worker_runs_due_ticks_within_30_seconds(office):
    first, later = sorted(office.redis.smembers(office.keys.case_ids()))[:2]
    office.make_due([first])
    worker = office.worker()
    wait_for(lambda: len(office.calls()) == 1, 20, 0.2, "the first worker's tick")
    # The idle heartbeat is chained through delayed (RQ-scheduled) ticks: wait until one is pending, then crash.
    wait_for(lambda: office.redis.get(office.keys.dialer_next_tick()), 10, 0.1, "a delayed tick to be pending")
    worker.kill_group()

    restarted = office.worker()
    wait_for(lambda: office.redis.get(office.keys.dialer_next_tick()), 15, 0.1, "the restarted worker's first tick")
    # This case is due only after the restart's own immediate tick: only a delayed tick can dial it.
    due = time.time() + 5
    office.make_due([later], at=due)
    wait_for(lambda: office.attempts(later), RESUME_LIMIT_SECONDS + 5, 0.2, "a delayed tick after the restart")
    lag = float(office.attempts(later)[0]["created_at"]) - due
    print(f"due tick ran {lag:.1f} s after it was due")
    assert lag <= RESUME_LIMIT_SECONDS, f"the due tick ran {lag:.1f} s late"
    assert restarted.alive()
