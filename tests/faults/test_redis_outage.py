"""Redis SIGKILLed while calls are in progress and back ~8 s later (issue 9 §2, "Redis outage mid-dialing").

Before: attempts whose final status callback hit the outage stayed `placed` forever with no history line, their
cases were dialed again once the lock expired, and `acs worker` died with ConnectionError.
"""

from __future__ import annotations

import time

from fault_support import wait_for

CASES = 20


def test_worker_rides_out_a_redis_outage_and_every_call_is_recorded_once(office, redis_server):
    case_ids = sorted(office.redis.smembers(office.keys.case_ids()))[:CASES]
    office.env["ACS_MAX_CPS"] = "20"
    office.make_due(case_ids)
    worker = office.worker()

    wait_for(lambda: len(office.calls()) >= CASES, 30, what="20 calls placed")
    time.sleep(1.0)  # every call answered and talking: their final callbacks will meet the outage
    redis_server.kill()
    time.sleep(8.0)  # the calls end while Redis is down; their status callbacks fail (500)
    redis_server.start()

    def settled() -> bool:
        return all(a["state"] == "final" for cid in case_ids for a in office.attempts(cid))

    wait_for(settled, 30, 0.5, "every attempt to be final")
    assert worker.alive(), worker.output()[-2000:]

    calls = office.calls()
    assert len(calls) == CASES, "no case is dialed twice"
    sids = {c.sid for c in calls}
    for case_id in case_ids:
        attempts = office.attempts(case_id)
        assert len(attempts) == 1, (case_id, attempts)
        assert attempts[0]["call_sid"] in sids
        assert attempts[0]["outcome"] not in ("unconfirmed", "not-placed")
        assert len(office.history(case_id)) == 1, office.history(case_id)

    # Ticks resume by themselves: a case due now is dialed without anyone running `acs dial`.
    extra = sorted(office.redis.smembers(office.keys.case_ids()))[CASES]
    office.make_due([extra])
    wait_for(lambda: len(office.calls()) == CASES + 1, 20, 0.2, "a tick after the outage to dial a new case")
