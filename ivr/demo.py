"""`acs demo`: the whole office on loopback, playing the sample data's story on a virtual clock.

Everything is real and wired as in production, only local: an embedded redis-server, the Flask app served on a
free port, the Twilio emulator's REST API on another, an RQ worker running the dialer's jobs, every call placed
through the twilio SDK and every webhook delivered over HTTP and signed. The clock is virtual, so a story that
spans a morning runs in seconds: 09:00 New York time the dialer calls the cast; 13:00 the deferred Hawaiian call
goes out; the practitioner who got a voicemail calls back and an employee opens the case by the CRN.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ivr import clock
from ivr.dir_guard import DirGuard

if TYPE_CHECKING:
    from emulator import Emulator

# The cast (ivr/sample_data/README.md).
A_CASE, A_PHONE, A_CAF = "ACS-000101", "+12125550101", "0401-23456R"
B_CASE, B_PHONE = "ACS-000102", "+13125550102"
C_CASE, C_PHONE = "ACS-000103", "+18085550103"
T_CASE, T_PHONE = "ACS-000104", "+12025550104"
CAST = (A_CASE, B_CASE, C_CASE, T_CASE)
FROM_NUMBER = "+18008293903"
PPS_NUMBER = "+18668604259"
EMPLOYEE_PHONE = "+12025550170"
TRANSCRIPT_KINDS = {"call", "status", "say", "dtmf", "amd", "machine", "recorded", "queue", "bridge", "gather"}

#: Extra lines for `--keep-running` (label, url): other surfaces add theirs with `add_url`.
_URL_PROVIDERS: list[Callable[[DemoWorld], tuple[str, str]]] = []


def add_url(provider: Callable[[DemoWorld], tuple[str, str]]) -> Callable[[DemoWorld], tuple[str, str]]:
    """Register a (label, url) line printed by `acs demo --keep-running`, e.g. the console's address.

    Usable as a decorator: `@add_url def console(world): return "console", world.app_url + "/console"`.
    """
    _URL_PROVIDERS.append(provider)
    return provider


@dataclass
class DemoWorld:
    """The running pieces, for printing URLs and for tests."""

    app_url: str
    emulator_url: str
    redis_url: str
    emulator: Emulator
    app: object
    config: object
    servers: list = field(default_factory=list)
    redis_server: object = None
    closables: list = field(default_factory=list)
    guard: object = None  # ivr.dir_guard.DirGuard of the data dir: closed last, once Redis is stopped

    def stop(self) -> None:
        """Shut everything down and release sockets (HTTP sessions, Redis clients, the embedded server)."""
        from workers.jobs import reset_runtime

        reset_runtime()
        for server in self.servers:
            server.shutdown()
        for closable in self.closables:
            closable.close()
        session = getattr(self.emulator.transport, "_session", None)
        if session is not None:
            session.close()
        self.app.extensions["acs"].redis.close()
        if self.redis_server is not None and self.redis_server.owner_pid == os.getpid():
            self.redis_server.stop()
            shutil.rmtree(self.config.data_dir, ignore_errors=True)  # the run's AOF: nothing to keep
        if self.guard is not None:
            self.guard.close()

    def urls(self) -> list[tuple[str, str]]:
        from ivr.console.demo import console_line

        lines = [
            ("app (Twilio webhooks)", self.app_url + "/voice/pps"),
            ("health", self.app_url + "/healthz"),
            ("Twilio emulator REST API", self.emulator_url + "/2010-04-01"),
            ("Redis", self.redis_url),
        ]
        return lines + [console_line(self, EMPLOYEE_PHONE)] + [provider(self) for provider in _URL_PROVIDERS]


@dataclass
class Check:
    label: str
    ok: bool


def demo_start(day: datetime | None = None) -> datetime:
    """09:00 in New York (14:00 UTC) on the sample data's day: Chicago is open, Honolulu is 04:00."""
    day = day or datetime.now(UTC)
    return datetime(day.year, day.month, day.day, 14, 0, tzinfo=UTC)


def build_world(data_dir: str, start: datetime) -> DemoWorld:
    """Start Redis, the emulator and the app on free loopback ports, with the sample data loaded."""
    from werkzeug.serving import make_server

    from emulator import Emulator
    from emulator.engine import VirtualClock
    from emulator.server import ServerThread
    from ivr import create_app
    from ivr.config import Config
    from ivr.data_key import KEY_FILE, generate_key, write_key_file
    from ivr.redis_conn import EmbeddedRedis
    from ivr.sample_data import load_sample_data

    # A throwaway key, written quietly: it dies with the temporary directory, so there is nothing to back up.
    write_key_file(Path(data_dir) / KEY_FILE, generate_key())
    embedded = EmbeddedRedis(Path(data_dir))
    redis_url = embedded.ensure_running()
    auth_token = secrets.token_hex(16)
    emu = Emulator(auth_token=auth_token, clock=VirtualClock(start))
    rest = emu.serve()
    # The app needs its own URL before it is built (PUBLIC_BASE_URL): find a free port first.
    placeholder = make_server("127.0.0.1", 0, lambda environ, start_response: [])
    port = placeholder.server_port
    placeholder.server_close()
    app_url = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "REDIS_URL": redis_url,
            "ACS_DATA_DIR": data_dir,
            "PUBLIC_BASE_URL": app_url,
            "TWILIO_ACCOUNT_SID": emu.account_sid,
            "TWILIO_AUTH_TOKEN": auth_token,
            "TWILIO_API_BASE": rest.url,
            "ACS_FROM_NUMBER": FROM_NUMBER,
            "ACS_MAX_CPS": "50",
            "ACS_SECRET_KEY": secrets.token_hex(16),
        }
    )
    config = Config.from_env()
    app = create_app(config)
    server = ServerThread(app, "127.0.0.1", port)
    server.start()
    svc = app.extensions["acs"]
    load_sample_data(svc.redis, svc.keys)
    # The story dials the cast; the other 68 cases stay off this morning's list.
    svc.redis.delete(svc.keys.cases_due())
    svc.redis.zadd(svc.keys.cases_due(), dict.fromkeys(CAST, 0))
    emu.add_number(PPS_NUMBER, voice_url=app_url + "/voice/pps")
    emu.add_number(FROM_NUMBER, voice_url=app_url + "/voice/acs")
    emu.create_queue(config.queue_name)
    return DemoWorld(app_url, rest.url, redis_url, emu, app, config, [server, rest], embedded)


class Story:
    def __init__(self, world: DemoWorld, echo: Callable[[str], None]):
        self.world = world
        self.emu = world.emulator
        self.svc = world.app.extensions["acs"]
        self.echo = echo
        self.checks: list[Check] = []
        self._printed = 0
        from rq import SimpleWorker

        from ivr.twilio_client import rest_client
        from workers.jobs import reset_runtime
        from workers.queues import WORKER_QUEUES, DialerQueues, rq_connection

        reset_runtime()
        connection = rq_connection(world.config)
        self.queues = DialerQueues(connection, self.svc.keys)
        self.worker = SimpleWorker(list(WORKER_QUEUES), connection=connection)
        self.sdk = rest_client(world.config)
        world.closables += [connection, self.sdk.http_client.session]

    # --- driving --------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.emu.engine.clock.datetime()

    def advance_to(self, when: datetime) -> None:
        seconds = (when - self.emu.engine.clock.epoch).total_seconds()
        self.emu.run(until=seconds)
        self.emu.engine.clock.advance_to(seconds)

    def run_for(self, seconds: float) -> None:
        self.emu.run(until=self.emu.engine.now() + seconds)

    def run_until(self, condition: Callable[[], bool], limit: float = 600.0, step: float = 1.0) -> bool:
        end = self.emu.engine.now() + limit
        while self.emu.engine.now() < end:
            if condition():
                return True
            self.run_for(step)
        return condition()

    def dialer_tick(self) -> None:
        """Enqueue a tick as `acs dial` does and let the RQ worker run it."""
        job = self.queues.tick_now()
        self.worker.work(burst=True, logging_level="WARNING")
        self.echo(f"  [worker] dialer tick: {job.return_value()}")

    def employee_takes_next_call(self, name: str) -> None:
        """What the console's "take next caller" does: Twilio calls the employee's phone into /voice/agent."""
        from emulator.parties import Employee

        self.emu.assign(EMPLOYEE_PHONE, Employee(name, talk_seconds=120))
        self.sdk.calls.create(to=EMPLOYEE_PHONE, from_=FROM_NUMBER, url=self.world.app_url + "/voice/agent")

    def in_queue(self) -> int:
        return int(self.svc.redis.zcard(self.svc.keys.queue_waiting(self.world.config.queue_name)))

    # --- printing -------------------------------------------------------------------------------------------
    def chapter(self, title: str) -> None:
        self.flush_transcript()
        local = self.now().astimezone(_eastern())
        self.echo(f"\n=== {local:%H:%M} New York — {title}")

    def flush_transcript(self) -> None:
        entries, self._printed = self.emu.transcript.since(self._printed)
        for e in entries:
            if e.kind not in TRANSCRIPT_KINDS:
                continue
            at = (self.emu.engine.clock.epoch + timedelta(seconds=e.t)).astimezone(_eastern())
            self.echo(f"  {at:%H:%M:%S}  {e.leg:<24.24} {e.kind.upper():<8} {e.text}")

    def check(self, label: str, ok: bool) -> bool:
        self.checks.append(Check(label, bool(ok)))
        return ok

    def history(self, case_id: str):
        return self.svc.history.entries(case_id)

    # --- the story ------------------------------------------------------------------------------------------
    def play(self) -> bool:
        from emulator.parties import AnsweringMachine, Caller, Human, KeyRule

        emu, svc = self.emu, self.svc
        emu.assign(A_PHONE, AnsweringMachine("A Avery Ashford (voicemail)", greeting_seconds=8))
        emu.assign(B_PHONE, Human("B Blair Brennan", press=[KeyRule("press 1", "1")]))
        emu.assign(C_PHONE, Human("C Carys Kealoha", ring_seconds=6))
        emu.assign(T_PHONE, Human("taxpayer N. Okonkwo", ring_seconds=5))

        self.chapter("the dialer's first tick: four cases due")
        self.dialer_tick()
        self.run_until(lambda: self.in_queue() > 0, limit=180)
        self.check("B pressed 1 and waits in the queue with the case attached", self._queued_with_case(B_CASE))
        self.chapter("an employee takes the next caller (B)")
        self.employee_takes_next_call("Employee Erin")
        self.run_for(400)

        a_outcome = self._last_outcome(A_CASE)
        self.check("A's answering machine got a voicemail with the CRN after the beep", a_outcome == "voicemail")
        crn = self._spoken_crn(A_PHONE)
        issued = svc.store.crns_for_case(A_CASE).get(A_CAF.replace("-", "")) or svc.store.crns_for_case(A_CASE).get(
            A_CAF
        )
        self.check("the voicemail's CRN (read twice) is the one issued for (A's case, A)", bool(crn) and crn == issued)
        self.check("B's call: a conversation, bridged to an employee", self._last_outcome(B_CASE) == "conversation")
        deferred = [e for e in self.history(C_CASE) if e.kind == "call_deferred"]
        self.check("C (Honolulu, 04:00) was not called but deferred to 08:00 local", bool(deferred))
        self.check("the taxpayer (no POA on file) was called", self._last_outcome(T_CASE) is not None)
        self.check("no SSN/EIN or amount was spoken to anyone", self._nothing_leaked())

        self.chapter("later that morning: 08:00 in Honolulu, the deferred call is due")
        self.advance_to(demo_start(self.now()) + timedelta(hours=4))
        self.dialer_tick()
        self.run_for(240)
        self.check("C was called at 08:00 Honolulu time", self._last_outcome(C_CASE) is not None)

        self.chapter("A hears the voicemail and calls the Practitioner Priority Service")
        caller = Caller("A Avery Ashford (calling back)", press=[KeyRule("press 3", "3")])
        emu.dial_in(A_PHONE, PPS_NUMBER, party=caller)
        self.run_until(lambda: self.in_queue() > 0, limit=180)
        self.check("A chose option 3, stayed silent at the SSN/EIN prompt and was queued", self.in_queue() == 1)
        self.employee_takes_next_call("Employee Erin")
        self.run_for(30)
        self.flush_transcript()
        opened = self._employee_opens_by_crn(crn)
        self.run_for(200)
        self.check("the employee asked for the CRN and opened A's case with it", opened)
        self.flush_transcript()
        return all(check.ok for check in self.checks)

    # --- facts ----------------------------------------------------------------------------------------------
    def _last_outcome(self, case_id: str) -> str | None:
        entries = [e for e in self.history(case_id) if e.kind == "call_out"]
        return entries[-1].detail.get("outcome") if entries else None

    def _queued_with_case(self, case_id: str) -> bool:
        waiting = self.svc.callers.waiting(self.world.config.queue_name)
        return any(context.case_id == case_id and context.crn for context in waiting)

    def _spoken_crn(self, phone: str) -> str | None:
        """The CRN as the answering machine recorded it (digits read one by one, twice)."""
        for leg in self.emu.legs.values():
            if leg.record.to == phone and leg.recorded:
                found = re.findall(r"reference number is ([\d ,]+)\.", " ".join(leg.recorded))
                digits = {re.sub(r"\D", "", f) for f in found}
                if len(found) >= 2 and len(digits) == 1:
                    return digits.pop()
        return None

    def _nothing_leaked(self) -> bool:
        said = " ".join(e.text for e in self.emu.transcript.since(0)[0] if e.kind in ("say", "recorded"))
        for case_id in CAST:
            case = self.svc.store.get_case(case_id)
            spaced = " ".join(case.tin.digits)
            if case.tin.digits in said.replace(" ", "") or spaced in said:
                return False
            if case.balance is not None and (f"{case.balance:,.2f}" in said or f"{case.balance:.2f}" in said):
                return False
        return "$" not in said and "dollar" not in said.lower()

    def _employee_opens_by_crn(self, crn: str | None) -> bool:
        """The employee types the CRN the practitioner reads out; the case opens and the call is linked to it."""
        from ivr.cases.view import build_case_view, find_case, render_text

        if not crn:
            return False
        waiting_or_bridged = [ctx for sid in self.emu.legs if (ctx := self.svc.callers.get(sid)) and ctx.agent_call_sid]
        found, by_crn = find_case(self.svc.store, crn)
        if found is None or found.case_id != A_CASE:
            return False
        for context in waiting_or_bridged:
            if context.caller == A_PHONE:
                self.svc.callers.attach_case(context.call_sid, found.case_id, crn)
        self.svc.history.append(
            found.case_id, "note", f"Case opened by CRN {crn} on the practitioner's callback", actor="Employee Erin",
            at=clock.now(),
        )  # fmt: skip
        view = build_case_view(self.svc.store, self.svc.history, found)
        self.echo("\n--- the employee's screen after entering CRN " + crn)
        for line in render_text(view).splitlines():
            self.echo("  | " + line)
        return bool(by_crn) and any(c.caller == A_PHONE for c in waiting_or_bridged)


def _eastern():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")


DEMO_PREFIX = "acs-demo-"


def sweep_stale_demos(min_age_seconds: float = 60.0) -> list[str]:
    """Remove the data dirs of earlier demos that were killed (their owner is gone); returns what was removed.

    The embedded server died with its owner (ivr.redis_conn), but its files stay: a killed demo left one
    /tmp/acs-demo-* per run.
    """
    import time

    from ivr.redis_conn import EmbeddedRedis, process_alive, read_pid

    removed = []
    for path in Path(tempfile.gettempdir()).glob(DEMO_PREFIX + "*"):
        embedded = EmbeddedRedis(path)
        owner = read_pid(embedded.ownerfile)
        try:
            young = time.time() - path.stat().st_mtime < min_age_seconds
        except OSError:
            continue
        if process_alive(owner) or (owner is None and young):
            continue  # a running demo, or one still starting
        if embedded.is_up():
            embedded.stop_stale()
        shutil.rmtree(path, ignore_errors=True)
        removed.append(str(path))
    return removed


def run_demo(echo: Callable[[str], None] = click.echo, start: datetime | None = None) -> tuple[bool, DemoWorld]:
    """Play the story on a fresh world; returns (all green, the still-running world)."""
    sweep_stale_demos()
    data_dir = tempfile.mkdtemp(prefix=DEMO_PREFIX)
    guard = DirGuard(data_dir)  # removes data_dir once this process is gone, even SIGKILLed
    world = build_world(data_dir, start or demo_start())
    world.guard = guard
    clock.use(lambda: world.emulator.engine.clock.datetime().timestamp())
    story = Story(world, echo)
    try:
        ok = story.play()
    except Exception as exc:  # noqa: BLE001 - report a broken step as a failed story, never a traceback
        echo(f"\nthe story stopped: {type(exc).__name__}: {exc}")
        ok = False
    echo("\n=== summary")
    for check in story.checks:
        echo(f"  {'PASS' if check.ok else 'FAIL'}  {check.label}")
    echo("\n=== case histories")
    for case_id in CAST:
        for entry in story.history(case_id):
            if entry.kind != "case_opened":
                echo(f"  {case_id}  {entry.kind:<13} {entry.summary}")
    echo(f"\n{'the whole story played green' if ok else 'SOME STEPS FAILED'} ({len(story.checks)} checks)")
    return ok, world


def url_lines(urls: list[tuple[str, str]]) -> list[str]:
    """One line per (label, url), the URLs in one column however long a label (the console's carries a password)."""
    width = max(len(label) for label, _url in urls)
    return [f"  {label:<{width}}  {url}" for label, url in urls]


@click.command()
@click.option("--keep-running", is_flag=True, help="leave Redis, the app, the emulator and a worker up; print URLs")
def demo(keep_running: bool) -> None:
    """Play the sample data's story end to end on loopback (virtual clock), print transcript and summary."""
    ok, world = run_demo()
    if not keep_running:
        clock.use(None)
        world.stop()
        raise SystemExit(0 if ok else 1)
    click.echo("\nstill running (Ctrl-C to stop):")
    for line in url_lines(world.urls()):
        click.echo(line)
    from emulator.engine import RealClock
    from ivr.keys import KeySchema
    from workers.queues import WORKER_QUEUES, rq_connection
    from workers.supervise import run_worker

    clock.use(None)
    if not world.emulator.engine.pending():
        # The story is over: from now on calls (the console's "take next caller", a softphone) run in real time.
        world.emulator.engine.clock = RealClock()
    world.emulator.engine.start()
    try:
        # workers.supervise: no RQ scheduler process to outlive the demo; rides out Redis hiccups.
        run_worker(rq_connection(world.config), KeySchema(world.config.key_prefix), list(WORKER_QUEUES))
    finally:
        world.emulator.engine.stop()
        world.stop()
