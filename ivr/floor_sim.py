"""`acs floor-sim`: a floor day on the emulator's virtual clock, through the real path.

Dialer ticks (ivr.dialer.paced over ivr.dialer.batch), every webhook (answer, status, the employees' legs, the
outbound queue) and Redis are the application's own; the emulator plays the phone network in-process (webhooks by
WSGI, the REST API through the twilio SDK) with scripted employees (ready → talk → wrap-up → ready) and scripted
callees (a person, a machine, busy, no answer, or a person AMD takes for a machine). Only time is simulated.
"""

from __future__ import annotations

import fcntl
import gc
import json
import math
import os
import random
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import click
from cryptography.fernet import Fernet

from emulator import AnsweringMachine, BusyLine, Emulator, NoAnswerLine, Party, VirtualClock
from emulator.cli import OneLineErrors, sigterm_as_ctrl_c
from emulator.parties import HUMAN_DETECTION_SECONDS, Answer, HangUp, KeyRule
from emulator.sdk import WsgiHttpClient

#: A Tuesday, 08:00 in San Francisco: the calling window (08:00-21:00 local) stays open for 13 hours.
DAY_START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
BASE_URL = "https://acs.floor-sim.test"
CALLER_ID = "+18008297650"
#: The calling window is 13 hours long (08:00-21:00 callee time): a longer day would be dialing outside it.
MAX_HOURS = 12
#: A large floor. At the default ACS_MAX_CPS of 1 about 70 employees already share every call a second allows, and
#: each costs run time fed or not: here 200 took 10 s for a quarter hour, 1,000 took 29 s for 72 simulated seconds.
MAX_AGENTS = 200
#: Cases seeded per employee-hour: more than a predictive dialer can use (≈ 50 calls per employee-hour).
CASES_PER_EMPLOYEE_HOUR = 70


@dataclass(frozen=True)
class FloorParams:
    agents: int
    hours: float
    mode: str
    seed: int
    human: float = 0.30
    machine: float = 0.20
    busy: float = 0.10
    talk_mean: float = 180.0
    wrap: float = 30.0
    amd_false_positive: float = 0.02
    max_cps: float | None = None
    tick_seconds: float = 1.0


class Callee(Party):
    """A person: rings a few seconds, says hello (AMD: human), talks for an exponential time once connected.

    Every draw is made when the callee is created, before the day starts (common random numbers): the same seed
    gives each mode the same callees with the same talk times, so modes compare on the calls, not on the luck of
    the draw (a day's mean talk time alone varies by ~2 %, i.e. ±0.003 occupancy)."""

    def __init__(self, rng: random.Random, talk_mean: float) -> None:
        super().__init__(ring_seconds=rng.uniform(2.0, 8.0))
        self.talk_seconds = rng.expovariate(1.0 / talk_mean)

    def ring(self) -> Answer:
        return Answer(self.ring_seconds)

    def on_bridged(self, leg, other) -> list:
        return [HangUp(self.talk_seconds)]


class TakenForMachine(Party):
    """A person whose long greeting AMD takes for a machine; they press a key while the "voicemail" plays."""

    def __init__(self, rng: random.Random, talk_mean: float) -> None:
        # Any prompt: the taxpayer's limited-content message and the practitioner's have no word in common.
        super().__init__(press=[KeyRule("", "1", after=0.5)], ring_seconds=rng.uniform(2.0, 8.0))
        self.talk_seconds = rng.expovariate(1.0 / talk_mean)

    def detect(self, mode: str) -> tuple[str, float]:
        return "machine_end_other", HUMAN_DETECTION_SECONDS + 3.0

    def on_heard(self, leg, kind: str, text: str, seconds: float) -> list:
        # Press while the message is still playing (not after it, as the base rule does).
        return [replace_after(a, 1.0) for a in super().on_heard(leg, kind, text, seconds)]

    def on_bridged(self, leg, other) -> list:
        return [HangUp(self.talk_seconds)]


def replace_after(action, after: float):
    action.after = after
    return action


class FloorEmployee(Party):
    """An employee's phone: answers, stays on the line call after call (the callee ends each call)."""

    ring_seconds = 2.0


def callee_for(rng: random.Random, p: FloorParams) -> Party:
    draw = rng.random()
    if draw < p.human:
        if rng.random() < p.amd_false_positive:
            return TakenForMachine(rng, p.talk_mean)
        return Callee(rng, p.talk_mean)
    if draw < p.human + p.machine:
        return AnsweringMachine(greeting_seconds=rng.uniform(6.0, 14.0), ring_seconds=rng.uniform(5.0, 20.0))
    if draw < p.human + p.machine + p.busy:
        return BusyLine()
    return NoAnswerLine()


def run_floor(p: FloorParams, redis_url: str | None = None) -> dict:
    """Play the day; return the figures (see README "The floor")."""
    check_params(p)
    with (
        tempfile.TemporaryDirectory(prefix="acs-floor-sim-") as tmp,
        one_core(),
        redis_for_the_day(tmp, redis_url) as url,
    ):
        # A day allocates millions of short-lived objects: the collector's youngest generation at its default
        # 700 would run ~1,700 times an hour; what was alive before the day (modules, the app) is not rescanned.
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)
        try:
            return _play(p, url, tmp)
        finally:
            gc.set_threshold(*thresholds)
            gc.unfreeze()


@contextmanager
def redis_for_the_day(tmp: str, redis_url: str | None) -> Iterator[str]:
    """`redis_url`, or a server of the day's own in `tmp`, stopped before `tmp` goes even when the day is
    interrupted while the server is still starting (Ctrl-C, SIGTERM)."""
    if redis_url is not None:
        yield redis_url
        return
    from ivr.redis_conn import EmbeddedRedis

    embedded = EmbeddedRedis(Path(tmp) / "redis", persistent=False)  # the day dies with `tmp`
    try:
        yield embedded.ensure_running()  # on this process's core: the child inherits the affinity
    finally:
        embedded.stop()


#: Each flag's range: the command's click types, and run_floor's check for callers that skip the command (bench).
class FiniteRange(click.FloatRange):
    """click.FloatRange without NaN, which passes every comparison a range makes, nor infinity where the range is
    open-ended (`--hours nan` and `--talk-mean inf` were tracebacks, `--wrap inf` a day of meaningless figures)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


RANGES = {
    "agents": click.IntRange(1, MAX_AGENTS),
    "hours": FiniteRange(0, MAX_HOURS, min_open=True),
    "human": FiniteRange(0, 1),
    "machine": FiniteRange(0, 1),
    "busy": FiniteRange(0, 1),
    "talk_mean": FiniteRange(0, min_open=True),  # the rate of an exponential: 1 / talk_mean
    "wrap": FiniteRange(0),
    "amd_false_positive": FiniteRange(0, 1),
}


def check_params(p: FloorParams) -> None:
    """Refuse a day that cannot be played, naming the flag (click.UsageError: one line from the command)."""
    if p.mode not in ("progressive", "predictive"):
        raise click.UsageError("--mode must be progressive or predictive")
    for name, kind in RANGES.items():
        try:
            kind.convert(getattr(p, name), None, None)
        except click.BadParameter as error:
            raise click.UsageError(f"Invalid value for '--{name.replace('_', '-')}': {error.message}") from None
    if p.human + p.machine + p.busy > 1:
        raise click.UsageError("--human, --machine and --busy are shares of the calls: they add up to at most 1")


@contextmanager
def one_core() -> Iterator[None]:
    """Run the day, and the Redis server it starts (the child inherits the affinity), on one core of its own.

    The day is one thread waiting on Redis at every round trip (~30,000 an hour): with the server on the other
    core each wait is a cross-core wake-up, which costs more than the server's work itself (~18 % of the day
    here). Both on one core, each round trip is a plain switch between two processes. Days run side by side
    (bench/pacing.py) each take a different core: the first whose lock file no other day holds (a lock dies with
    its process); with every core taken, the day runs where the scheduler puts it."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        allowed = []
    if len(allowed) < 2:
        yield
        return
    for core in allowed:
        lock = Path(tempfile.gettempdir()) / f"acs-floor-sim-{os.getuid()}-core-{core}.lock"
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        break
    else:
        yield
        return
    try:
        os.sched_setaffinity(0, {core})
        yield
    finally:
        os.sched_setaffinity(0, allowed)
        os.close(fd)


def _play(p: FloorParams, redis_url: str, tmp: str) -> dict:
    from ivr import clock, create_app
    from ivr.dialer.batch import Dialer, DialerSettings
    from ivr.dialer.floor import FloorSettings
    from ivr.dialer.floor_phone import go_ready
    from ivr.dialer.paced import PacedDialer
    from ivr.dialer.placing import TwilioPlacer
    from ivr.twilio_client import rest_client

    rng = random.Random(p.seed)
    emu = Emulator(clock=VirtualClock(DAY_START))
    max_cps = p.max_cps or float(os.environ.get("ACS_MAX_CPS") or 1.0)
    env = {
        "REDIS_URL": redis_url,
        "ACS_DATA_KEY": Fernet.generate_key().decode(),  # a throwaway key: the day's synthetic cases die with it
        "ACS_DATA_DIR": str(Path(tmp) / "var"),
        "PUBLIC_BASE_URL": BASE_URL,
        "TWILIO_ACCOUNT_SID": emu.account_sid,
        "TWILIO_AUTH_TOKEN": emu.auth_token,
        "TWILIO_API_BASE": "",
        "ACS_FROM_NUMBER": CALLER_ID,
        "ACS_SECRET_KEY": secrets.token_hex(16),
        "ACS_WRAP_UP_SECONDS": str(p.wrap),
        "ACS_MAX_CPS": str(max_cps),
        "ACS_DIALER_TICK_SECONDS": str(p.tick_seconds),
    }
    app = create_app(env)
    emu.mount(BASE_URL, app)
    svc = app.extensions["acs"]
    day_seconds = p.hours * 3600
    _seed_cases(svc, math.ceil(p.agents * p.hours * CASES_PER_EMPLOYEE_HOUR), rng, p, emu)
    svc.floor.set_mode(p.mode)
    clock.use(lambda: emu.engine.clock.datetime().timestamp())
    sdk = rest_client(svc.config, http_client=WsgiHttpClient(emu.wsgi_app))
    # The dialer's own per-call sleeping is wall-clock: the ceiling is applied per tick on the virtual clock instead.
    settings = replace(DialerSettings.from_config(svc.config), max_cps=1e9, concurrency=1)
    dialer = Dialer(svc.redis, svc.keys, TwilioPlacer(sdk, svc.config, settings.ring_timeout), settings)
    paced = PacedDialer(dialer, svc.floor, FloorSettings.from_env(svc.config.extra), svc.config.queue_name)
    # ACS_MAX_CPS on the virtual clock: a bucket refilled at max_cps per second, never holding more than one
    # second's worth (at least one call), so no second of simulated time sees more than ACS_MAX_CPS calls.
    bucket = {"tokens": 1.0, "cap": max(1.0, math.floor(max_cps))}
    started = time.perf_counter()
    try:
        for n in range(p.agents):
            username, phone = f"agent{n:03d}", f"+1415900{n:04d}"
            emu.assign(phone, FloorEmployee(name=username))
            emu.engine.schedule_at(rng.uniform(0, 5), go_ready, sdk, svc.config, svc.floor, username, phone)

        def tick() -> None:
            paced.max_calls = math.floor(bucket["tokens"] + 1e-9)
            ticked = paced.tick()
            placed = len(ticked.report.placed) if ticked.report is not None else 0
            bucket["tokens"] = min(bucket["cap"], bucket["tokens"] - placed + max_cps * p.tick_seconds)
            if emu.engine.now() + p.tick_seconds < day_seconds:
                emu.engine.schedule(p.tick_seconds, tick)

        emu.engine.schedule_at(6.0, tick)
        emu.run(until=day_seconds, max_events=50_000_000)
        return _figures(p, svc, emu, day_seconds, time.perf_counter() - started)
    finally:
        clock.use(None)
        dialer.close()
        svc.redis.close()  # its connections closed now, not whenever the collector finds them (ResourceWarning)


def _seed_cases(svc, count: int, rng: random.Random, p: FloorParams, emu: Emulator) -> None:
    from ivr.cases.models import Case, CaseType
    from ivr.cases.store import case_to_hash
    from ivr.cases.tin import Tin

    pipe = svc.redis.pipeline(transaction=False)
    for n in range(count):
        phone = f"+1415{2000000 + n:07d}"
        case = Case(
            case_id=f"FLOOR-{n:06d}",
            case_type=CaseType.BAL_DUE,
            tin=Tin("SSN", f"{100 + n % 500:03d}{10 + n % 89:02d}{1000 + n % 8999:04d}"),
            taxpayer_name=f"Taxpayer {n}",
            taxpayer_phone=phone,
            periods=("1040:2022",),
            balance=Decimal("100.00"),
        )
        pipe.hset(svc.keys.case(case.case_id), mapping=case_to_hash(case))
        pipe.sadd(svc.keys.case_ids(), case.case_id)
        pipe.zadd(svc.keys.cases_due(), {case.case_id: n * 1e-3})  # called in order
        emu.assign(phone, callee_for(rng, p))
        if n % 2000 == 1999:
            pipe.execute()
    pipe.execute()


def _figures(p: FloorParams, svc, emu: Emulator, day_seconds: float, elapsed: float) -> dict:
    from ivr import clock

    # The day may cross midnight UTC (counters are kept per UTC day): add up every day it touched.
    days_touched = int((clock.now() - DAY_START.timestamp()) // 86_400) + 2
    day: Counter[str] = Counter()
    for row in svc.floor.day_stats(clock.now(), days_touched):
        for name, value in row.items():
            if name == "wait_max":
                day[name] = max(day[name], float(value))
            else:
                day[name] += float(value)
    talking = svc.redis.zrange(svc.keys.floor_talking(), 0, -1, withscores=True)
    now = clock.now()
    talk = float(day.get("talk_seconds", 0)) + sum(now - since for _, since in talking)
    seconds: Counter[int] = Counter()
    placed = 0
    epoch = emu.engine.clock.epoch
    for record in list(emu.store.calls.values()):
        if (
            record.direction == "outbound-api"
            and record.to.startswith("+1415")
            and not record.to.startswith("+1415900")
        ):
            placed += 1
            seconds[int((record.date_created - epoch).total_seconds())] += 1
    human = int(day.get("human", 0))
    connected = int(day.get("connected", 0))
    abandoned = int(day.get("abandoned", 0))
    return {
        "mode": p.mode,
        "agents": p.agents,
        "hours": p.hours,
        "seed": p.seed,
        "placed": placed,
        "human_answers": human,
        "connected": connected,
        "abandoned": abandoned,
        "abandon_percent": round(100.0 * abandoned / human, 3) if human else 0.0,
        "amd_false_positives": int(day.get("amd_false_positive", 0)),
        "occupancy": round(talk / (p.agents * day_seconds), 4),
        "mean_wait_seconds": round(float(day.get("wait_seconds", 0)) / connected, 3) if connected else 0.0,
        "max_wait_seconds": round(float(day.get("wait_max", 0)), 3),
        "max_calls_per_second": max(seconds.values(), default=0),
        "max_cps_setting": float(svc.config.extra.get("ACS_MAX_CPS", 1)),
        "webhooks": emu.webhook_count,
        "run_seconds": round(elapsed, 2),
    }


@click.command("floor-sim", cls=OneLineErrors)
@click.option("--agents", type=RANGES["agents"], required=True, help="Employees on the floor.")
@click.option(
    "--hours",
    type=RANGES["hours"],
    required=True,
    help="Length of the simulated day (the calling window is 13 hours long).",
)
@click.option("--mode", type=click.Choice(["progressive", "predictive"]), default="predictive", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--human", type=RANGES["human"], default=0.30, show_default=True, help="Share of calls a person answers.")
@click.option("--machine", type=RANGES["machine"], default=0.20, show_default=True, help="Share answered by a machine.")
@click.option("--busy", type=RANGES["busy"], default=0.10, show_default=True, help="Share that are busy.")
@click.option(
    "--talk-mean",
    type=RANGES["talk_mean"],
    default=180.0,
    show_default=True,
    help="Mean talk seconds (exponential).",
)
@click.option("--wrap", type=RANGES["wrap"], default=30.0, show_default=True, help="Wrap-up seconds after each call.")
@click.option(
    "--amd-false-positive",
    type=RANGES["amd_false_positive"],
    default=0.02,
    show_default=True,
    help="Share of persons taken for machines.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def floor_sim(agents, hours, mode, seed, human, machine, busy, talk_mean, wrap, amd_false_positive, as_json):
    """Play a floor day (scripted employees and callees) through the dialer, webhooks and Redis; print figures."""
    params = FloorParams(agents, hours, mode, seed, human, machine, busy, talk_mean, wrap, amd_false_positive)
    with sigterm_as_ctrl_c():  # `kill` or `timeout`: the temporary directory and the Redis server still go
        result = run_floor(params)
    if as_json:
        click.echo(json.dumps(result))
    else:
        for key, value in result.items():
            click.echo(f"{key:<22} {value}")
