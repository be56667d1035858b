"""Dialer throughput: call attempts per second per worker, and Redis cost per attempt.

One RQ SimpleWorker runs the real tick jobs (workers.jobs.dial_due, which re-enqueue themselves while cases are
due) against a private redis-server; calls go through the twilio SDK into the emulator in-process
(`WsgiHttpClient`, zero network latency), so the figure is the dialer's own cost. The baseline, in the same
run, is the bare SDK loop into the same emulator with no Redis and no RQ at all: the ratio says how much of the
ceiling the dialer keeps. Redis cost is read from INFO commandstats (commands per attempt) and from a counting
connection (round trips per attempt: a pipeline or a script is one).

Goals: ≥ 1,000 attempts/s per worker and ≤ 5 Redis round trips per attempt.

    python -m bench.dialer [--cases 5000] [--batch 200] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import FinishedJobRegistry

from bench._support import private_redis
from emulator import Emulator
from emulator.engine import VirtualClock
from emulator.sdk import WsgiHttpClient
from ivr import clock
from ivr.cases.models import Case, CaseType
from ivr.cases.poa import Authorization
from ivr.cases.sealing import TinSeal, current_seal, install
from ivr.cases.store import authorization_to_hash, case_to_hash
from ivr.cases.tin import Tin
from ivr.config import Config
from ivr.data_key import generate_key, load_data_keys
from ivr.dialer.batch import Dialer
from ivr.keys import KeySchema
from ivr.twilio_client import rest_client
from workers.jobs import Runtime, use_runtime
from workers.queues import DIALER_QUEUE, TICK_JOB, WORKER_QUEUES, DialerQueues

#: 20:00 UTC: inside the calling window in every US zone, so every case is callable.
MIDDAY = datetime(2026, 11, 26, 20, 0, tzinfo=UTC).timestamp()
PHONES = [f"+1{area}55501{n:02d}" for area in ("212", "312", "303", "602", "415", "808") for n in range(100)]


class CountingConnection(redis.Connection):
    """Counts requests sent: one per command, one per pipeline, one per script call."""

    sent = 0

    def send_packed_command(self, command, check_health=True):
        CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


def seed(client: redis.Redis, keys: KeySchema, count: int) -> None:
    """`count` open cases due now; two in three have a valid POA (the practitioner is called), the rest none."""
    rng = random.Random(7)
    seal = current_seal()
    pipe = client.pipeline(transaction=False)
    practitioners = [f"{n:09d}" for n in range(100, 150)]
    for n, caf in enumerate(practitioners):
        pipe.hset(keys.practitioner(caf), mapping={"name": f"Practitioner {n}", "firm": "", "phone": PHONES[n]})
    for n in range(count):
        case = Case(
            case_id=f"BENCH-{n:06d}",
            case_type=CaseType.BAL_DUE,
            tin=Tin("SSN", f"{rng.randint(100, 665):03d}{rng.randint(10, 99)}{rng.randint(1000, 9999)}"),
            taxpayer_name=f"Taxpayer {n}",
            taxpayer_phone=PHONES[n % len(PHONES)],
            periods=("1040:2022",),
            balance=Decimal("100.00"),
        )
        pipe.hset(keys.case(case.case_id), mapping=case_to_hash(case))
        pipe.sadd(keys.case_ids(), case.case_id)
        pipe.zadd(keys.cases_due(), {case.case_id: 0})
        if n % 3:
            auth = Authorization(
                rng.choice(practitioners), seal.ref(case.tin.digits), "2848", frozenset({"1040:2022"}), date(2025, 1, 2)
            )
            pipe.hset(keys.authorization(f"a{n}"), mapping=authorization_to_hash(auth))
            pipe.sadd(keys.taxpayer_authorizations(seal.ref(case.tin.digits)), f"a{n}")
        if n % 1000 == 999:
            pipe.execute()
    pipe.execute()


def commands_processed(client: redis.Redis) -> int:
    return sum(stats["calls"] for stats in client.info("commandstats").values())


def baseline(config: Config, count: int) -> float:
    """Bare SDK calls.create into a fresh emulator: the ceiling no dialer can beat."""
    emu = Emulator(config.twilio_account_sid, config.twilio_auth_token, clock=VirtualClock())
    sdk = rest_client(config, WsgiHttpClient(emu.wsgi_app))
    started = time.perf_counter()
    for n in range(count):
        sdk.calls.create(
            to=PHONES[n % len(PHONES)],
            from_=config.from_number,
            url=config.public_url("/voice/outbound/answer") + f"?attempt=AT{n:020d}",
            status_callback=config.public_url("/voice/outbound/status") + f"?attempt=AT{n:020d}",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
            timeout=25,
            machine_detection="DetectMessageEnd",
        )
    return count / (time.perf_counter() - started)


def run(cases: int, batch: int, concurrency: int) -> dict:
    with private_redis() as url:
        env = {
            "REDIS_URL": url,
            "PUBLIC_BASE_URL": "https://acs.bench.test",
            "TWILIO_ACCOUNT_SID": "AC" + "b" * 32,
            "TWILIO_AUTH_TOKEN": "bench-token",
            "ACS_FROM_NUMBER": "+18008293903",
            "ACS_MAX_CPS": "1000000",
            "ACS_DIALER_BATCH": str(batch),
            "ACS_DIALER_CONCURRENCY": str(concurrency),
            "ACS_DATA_KEY": generate_key(),
        }
        config = Config.from_env(env)
        install(TinSeal.from_keys(load_data_keys(config)))  # seed() seals under it, as the worker will read
        keys = KeySchema(config.key_prefix)
        plain = redis.Redis.from_url(url, decode_responses=True)
        seed(plain, keys, cases)
        started = time.monotonic()
        clock.use(lambda: MIDDAY + time.monotonic() - started)  # real time, from a moment every zone is open
        try:
            return _measure(url, config, keys, plain, cases, batch, concurrency)
        finally:
            use_runtime(None)
            clock.use(None)
            plain.close()


def _measure(url: str, config: Config, keys: KeySchema, plain: redis.Redis, cases: int, batch: int, concurrency: int):
    """Run the ticks with one SimpleWorker and read the figures."""
    emu = Emulator(config.twilio_account_sid, config.twilio_auth_token, clock=VirtualClock())
    runtime = Runtime(config, WsgiHttpClient(emu.wsgi_app))
    # Count the round trips of the dialer's own client and of RQ's.
    pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection, decode_responses=True)
    counted = redis.Redis(connection_pool=pool)
    runtime.dialer = Dialer(counted, keys, runtime.dialer.placer, runtime.settings, runtime.dialer.store.seal)
    rq_pool = redis.ConnectionPool.from_url(url, connection_class=CountingConnection)
    rq_redis = redis.Redis(connection_pool=rq_pool)
    runtime.queues = DialerQueues(rq_redis, keys)
    use_runtime(runtime)

    sdk_rate = max(baseline(config, min(cases, 1500)) for _ in range(3))  # best of three: the machine is shared

    plain.config_resetstat()
    CountingConnection.sent = 0
    Queue(DIALER_QUEUE, connection=rq_redis).enqueue(TICK_JOB)
    worker = SimpleWorker([Queue(name, connection=rq_redis) for name in WORKER_QUEUES], connection=rq_redis)
    worker.work(burst=True, logging_level="WARNING")
    # From the first tick's start to the last one's end, as RQ recorded them: the worker's own start-up and
    # shutdown (about a second of pubsub teardown) is not dialing.
    finished = FinishedJobRegistry(DIALER_QUEUE, connection=rq_redis).get_job_ids()
    jobs = [job for job in Job.fetch_many(finished, connection=rq_redis) if job is not None]
    elapsed = (max(j.ended_at for j in jobs) - min(j.started_at for j in jobs)).total_seconds()
    commands = commands_processed(plain)
    trips = CountingConnection.sent
    attempts = len(emu.store.calls)
    runtime.dialer.close()
    for each in (pool, rq_pool):
        each.disconnect()
    return {
        "cases": cases,
        "batch": batch,
        "concurrency": concurrency,
        "attempts": attempts,
        "ticks": len(jobs),
        "seconds": elapsed,
        "attempts_per_second": attempts / elapsed,
        "sdk_baseline_per_second": sdk_rate,
        "ratio_to_sdk_baseline": attempts / elapsed / sdk_rate,
        "redis_commands_per_attempt": commands / attempts,
        "redis_round_trips_per_attempt": trips / attempts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args(argv)
    result = run(args.cases, args.batch, args.concurrency)
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value:,.2f}" if isinstance(value, float) else f"{key:<{width}}  {value}")
    goals = result["attempts_per_second"] >= 1000 and result["redis_round_trips_per_attempt"] <= 5
    print(f"goals (≥1,000 attempts/s, ≤5 round trips/attempt): {'met' if goals else 'NOT met'}")
    return 0 if result["attempts"] == args.cases else 1


if __name__ == "__main__":
    sys.exit(main())
