"""`acs worker` and `acs dial`."""

from __future__ import annotations

import click

from ivr.config import Config
from ivr.data_key import load_data_keys
from ivr.preflight import dialing_problem, require, settings_problem


@click.command()
@click.option("--burst", is_flag=True, help="work until the queues are empty, then exit")
@click.option("--queue", "queues", multiple=True, help="queue to listen on (default: the dialer's queues)")
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Run an RQ worker that rides out Redis outages and moves due delayed ticks and retries (workers.supervise)."""
    from ivr.keys import KeySchema
    from workers.queues import WORKER_QUEUES, rq_connection
    from workers.supervise import run_worker

    config = Config.from_env()
    load_data_keys(config)  # jobs read sealed SSNs/EINs: refuse now rather than fail every job
    require(dialing_problem(config, "acs worker"))  # else every job fails with a traceback and the worker exits 0
    require(settings_problem(config, "acs worker"))
    run_worker(rq_connection(config), KeySchema(config.key_prefix), list(queues or WORKER_QUEUES), burst=burst)


@click.command()
@click.option("--case", "case_id", default=None, help="dial this case now instead of every due case")
def dial(case_id: str | None) -> None:
    """Enqueue a dialer tick for the due cases (or a call on one case); `acs worker` places the calls."""
    from ivr.keys import KeySchema
    from workers.queues import DialerQueues, rq_connection

    config = Config.from_env()
    load_data_keys(config)
    require(dialing_problem(config, "acs dial"))  # queueing calls no worker can place helps nobody
    require(settings_problem(config, "acs dial"))
    queues = DialerQueues(rq_connection(config), KeySchema(config.key_prefix))
    if case_id:
        exists = queues.connection.exists(KeySchema(config.key_prefix).case(case_id))
        if not exists:
            raise click.ClickException(f"no case {case_id!r}")
        job = queues.dial_case(case_id)
        click.echo(f"queued a call on case {case_id} (job {job.id}); `acs worker` places it")
    else:
        from ivr import clock

        due_key = KeySchema(config.key_prefix).cases_due()
        due = queues.connection.zcount(due_key, "-inf", clock.now())
        listed = queues.connection.zcard(due_key)
        job = queues.tick_now()
        click.echo(f"queued a dialer tick (job {job.id}); {due} of {listed} listed case(s) are due now")
