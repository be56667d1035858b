"""The RQ jobs, run by a real SimpleWorker; calls go through the twilio SDK over HTTP to a served emulator."""

from __future__ import annotations

import pytest
import redis as redis_lib
from click.testing import CliRunner
from dialer_support import emulator_clock
from rq import Queue, SimpleWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from emulator.parties import AnsweringMachine
from ivr import clock
from ivr.cli import cli
from workers.jobs import reset_runtime
from workers.queues import DIALER_QUEUE, RETRY_QUEUE, WORKER_QUEUES, DialerQueues


@pytest.fixture
def served(emu, config_overrides, monkeypatch, sample_data):
    """The emulator's REST API on a loopback port, and the environment a worker process would have."""
    server = emu.serve()
    env = {**config_overrides, "TWILIO_API_BASE": server.url, "ACS_MAX_CPS": "1000", "ACS_API_RETRY_BASE_SECONDS": "0"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_runtime()
    clock.use(emulator_clock(emu))
    yield server
    clock.use(None)
    reset_runtime()
    server.shutdown()


@pytest.fixture
def rq_redis(redis_url):
    connection = redis_lib.Redis.from_url(redis_url)
    yield connection
    connection.close()


def work(rq_redis) -> None:
    SimpleWorker([Queue(name, connection=rq_redis) for name in WORKER_QUEUES], connection=rq_redis).work(
        burst=True, logging_level="WARNING"
    )


def test_acs_dial_case_then_the_worker_calls_and_the_voicemail_is_recorded(app, emu, served, rq_redis):
    emu.assign("+12125550101", AnsweringMachine("A"))
    result = CliRunner().invoke(cli, ["dial", "--case", "ACS-000101"])
    assert result.exit_code == 0, result.output
    work(rq_redis)
    (record,) = emu.store.calls.values()
    assert record.to == "+12125550101"
    emu.run(until=emu.engine.now() + 300)
    outcomes = [e.detail.get("outcome") for e in app.extensions["acs"].history.entries("ACS-000101")]
    assert "voicemail" in outcomes


def test_acs_dial_refuses_an_unknown_case(served):
    result = CliRunner().invoke(cli, ["dial", "--case", "NOPE"])
    assert result.exit_code != 0 and "no case" in result.output


def test_a_tick_dials_a_batch_and_schedules_the_next_tick(app, emu, served, rq_redis, redis, keys):
    result = CliRunner().invoke(cli, ["dial"])
    assert result.exit_code == 0, result.output
    work(rq_redis)
    assert len(emu.store.calls) > 0
    # The tick re-scheduled itself with RQ (enqueue_at / enqueue_in), once.
    scheduled = ScheduledJobRegistry(DIALER_QUEUE, connection=rq_redis).get_job_ids()
    queued = Queue(DIALER_QUEUE, connection=rq_redis).get_job_ids()
    assert len(scheduled) + len(queued) == 1
    assert redis.get(keys.dialer_next_tick())


def test_twilio_429s_are_retried_by_rq_with_backoff_and_one_call_results(app, emu, served, rq_redis, redis, keys):
    emu.faults.fail_next("calls.create", count=3, status=429)
    CliRunner().invoke(cli, ["dial", "--case", "ACS-000101"])
    work(rq_redis)  # the dial job hits 429, the resend job hits 429 twice, RQ's Retry brings it back each time
    assert len(emu.store.calls) == 1
    assert not FailedJobRegistry(RETRY_QUEUE, connection=rq_redis).get_job_ids()
    (attempt,) = app.extensions["acs"].redis.zrange(keys.case_attempts("ACS-000101"), 0, -1)
    assert redis.hget(keys.attempt(attempt), "state") == "placed"
    assert redis.hget(keys.attempt(attempt), "api_retries") == "3"


def test_an_attempt_twilio_never_accepts_is_settled_on_rqs_last_try(app, emu, served, rq_redis, redis, keys):
    emu.faults.fail_next("calls.create", count=50, status=503)
    CliRunner().invoke(cli, ["dial", "--case", "ACS-000101"])
    work(rq_redis)
    assert not emu.store.calls
    (entry,) = [e for e in app.extensions["acs"].history.entries("ACS-000101") if e.kind == "call_out"]
    assert entry.detail["outcome"] == "failed" and "kept refusing" in entry.summary
    assert redis.zscore(keys.cases_due(), "ACS-000101") is not None  # the retry rules decide when to try again
    assert not redis.hexists(keys.dialer_locks(), "ACS-000101")


def test_acs_worker_burst_runs_the_dialer_jobs(app, emu, served):
    runner = CliRunner()
    assert runner.invoke(cli, ["dial", "--case", "ACS-000102"]).exit_code == 0
    result = runner.invoke(cli, ["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert [record.to for record in emu.store.calls.values()] == ["+13125550102"]


def test_a_failing_tick_still_schedules_the_next_one(app, emu, served, rq_redis, redis, keys):
    redis.delete(keys.cases_due())
    redis.set(keys.cases_due(), "not a sorted set")  # the claim script fails with WRONGTYPE
    DialerQueues(rq_redis, keys).tick_now()
    work(rq_redis)
    assert FailedJobRegistry(DIALER_QUEUE, connection=rq_redis).get_job_ids()
    assert ScheduledJobRegistry(DIALER_QUEUE, connection=rq_redis).get_job_ids()


def test_a_preview_call_job_notes_the_clicker_and_counts_the_call_in_flight(app, emu, served, rq_redis, redis, keys):
    emu.assign("+12125550101", AnsweringMachine("A"))
    DialerQueues(rq_redis, keys).dial_case("ACS-000101", "ann")  # what Call now queues (ivr.console.preview)
    work(rq_redis)
    (record,) = emu.store.calls.values()
    svc = app.extensions["acs"]
    attempt = svc.attempts.get(redis.get(keys.call_attempt(record.sid)))
    assert attempt.employee == "ann" and attempt.case_id == "ACS-000101"
    assert redis.zscore(keys.floor_in_flight(svc.floor.campaign), attempt.attempt_id) is not None
