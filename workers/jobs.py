"""The dialer's RQ jobs: thin functions taking ids, enqueued by dotted path (see workers.queues).

Each worker process builds its Dialer (Redis client, Twilio SDK client, thread pool) once, from the
environment, and reuses it for every job.
"""

from __future__ import annotations

import logging

from rq import get_current_job

from ivr import clock
from ivr.cases.sealing import install, seal_for
from ivr.config import Config
from ivr.dialer.batch import MAX_SLOT_WAIT_SECONDS, Dialer, DialerSettings, TickReport
from ivr.dialer.placing import PlacementError, TwilioPlacer
from ivr.dialer.preview_calls import dial_for
from ivr.dialer.reconcile import reconciler_for
from ivr.keys import KeySchema
from ivr.redis_conn import connect, redis_url_for
from ivr.twilio_client import REQUEST_TIMEOUT_SECONDS, rest_client
from workers.queues import DialerQueues, rq_connection

log = logging.getLogger(__name__)


class Runtime:
    """What the jobs of one worker process share."""

    def __init__(self, config: Config, http_client=None):
        self.config = config
        self.settings = DialerSettings.from_config(config)
        seal = install(seal_for(config))
        client = connect(redis_url_for(config))
        keys = KeySchema(config.key_prefix)
        placer = TwilioPlacer(rest_client(config, http_client), config, self.settings.ring_timeout)
        self.dialer = Dialer(client, keys, placer, self.settings, seal)
        self.dialer.reconciler = reconciler_for(
            self.dialer.attempts,
            placer.client,
            config.from_number,
            self.settings.policy,
            self.settings.compliance.window,
            config.extra,
            self.settings.lease_seconds,
            # Never sooner than the last attempt of a paced batch could still be waiting for Twilio's answer.
            min_placing_seconds=MAX_SLOT_WAIT_SECONDS + self.settings.tick_seconds + REQUEST_TIMEOUT_SECONDS + 5,
        )
        self.queues = DialerQueues(rq_connection(config), keys)
        self._clients = [client, self.queues.connection]
        self._http = placer.client.http_client

    def paced(self):
        """The dialer paced to the floor (ivr.dialer.paced), built on first use."""
        if getattr(self, "_paced", None) is None:
            from ivr.dialer.floor import FloorSettings
            from ivr.dialer.paced import PacedDialer

            floor_settings = FloorSettings.from_env(self.config.extra)
            floor = floor_settings.floor(self.dialer.redis, self.dialer.keys)
            self._paced = PacedDialer(self.dialer, floor, floor_settings, self.config.queue_name)
        return self._paced

    def close(self) -> None:
        """Release sockets: the thread pool, the Redis clients and the SDK's HTTP session."""
        self.dialer.close()
        for client in self._clients:
            client.close()
        session = getattr(self._http, "session", None)
        if session is not None:
            session.close()


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(Config.from_env())
    return _runtime


def use_runtime(chosen: Runtime | None) -> None:
    """Install a runtime built elsewhere (the benchmark's in-process emulator); None forgets it."""
    global _runtime
    if _runtime is not None and _runtime is not chosen:
        _runtime.close()
    _runtime = chosen


def reset_runtime() -> None:
    """Forget the runtime (tests and the demo change the environment between runs)."""
    use_runtime(None)


def dial_due(scheduled_for: str | None = None) -> str:
    """One pacing tick: dial a batch of due cases, then schedule the next tick."""
    rt = runtime()
    rt.queues.tick_started(scheduled_for)
    report = None
    try:
        ticked = rt.paced().tick(
            on_claimed=lambda claimed: _hand_on(rt, claimed)
        )  # nobody on the floor: today's agentless tick, unchanged
        report = ticked.report
        if report is None:  # the floor is full: look again one tick later
            report = TickReport(next_due=clock.now() + rt.settings.tick_seconds)
        _follow_up(rt, report)
    finally:
        # Even a failed tick (Redis blip, Twilio misconfigured) keeps the heartbeat: RQ records the failure and
        # the next tick comes after the idle interval.
        now = clock.now()
        idle = now + rt.settings.idle_tick_seconds
        if report is not None and len(report.claimed) >= rt.settings.tick_limit():
            rt.queues.schedule_tick(now, now)  # more are due: keep going at once
        elif report is not None and report.next_due is not None:
            rt.queues.schedule_tick(min(report.next_due, idle), now)
        else:
            rt.queues.schedule_tick(idle, now)
    log.info("dialer tick: %s", report.summary())
    return report.summary()


def _hand_on(rt: Runtime, claimed: list[str]) -> None:
    """A full batch means more are due: queue the next tick now so another worker dials it alongside this one."""
    if len(claimed) >= rt.settings.tick_limit():
        now = clock.now()
        rt.queues.schedule_tick(now, now)


def dial_case(case_id: str, employee: str | None = None) -> str:
    """Dial one case now (`acs dial --case`); with `employee`, a preview call whose live answer goes to them."""
    rt = runtime()
    report = (
        dial_for(rt.dialer, rt.paced().floor, case_id, employee)  # preview: the answer goes to the clicker
        if employee
        else rt.dialer.dial_cases([case_id])
    )
    _follow_up(rt, report)
    return report.summary()


def resend_attempt(attempt_id: str) -> str:
    """Resend an attempt Twilio refused for a moment; raising lets RQ's Retry back off and try again."""
    try:
        return runtime().dialer.resend(attempt_id)
    except PlacementError as error:
        job = get_current_job()
        if job is not None and job.retries_left:
            raise
        runtime().dialer.give_up(attempt_id, str(error))  # RQ's last try: settle it rather than leave it pending
        return "gave up"


def _follow_up(rt: Runtime, report: TickReport) -> None:
    for attempt_id in report.retrying:
        rt.queues.resend_later(attempt_id, rt.settings.api_retry_base_seconds)
