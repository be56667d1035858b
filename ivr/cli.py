"""The `acs` command."""

from __future__ import annotations

import json
import sys

import click

from emulator.cli import emulator_command
from ivr.console.commands import employee
from ivr.console.floor_commands import floor
from ivr.demo import demo
from ivr.dialer.commands import dnc, why
from ivr.floor_sim import floor_sim
from ivr.services import services_from_env
from ivr.simulate import simulate
from workers.cli import dial, worker


class AcsGroup(click.Group):
    """The errors any command can meet before it does anything, each as one line with README's exit status."""

    def invoke(self, ctx: click.Context):
        import redis

        from ivr.cases.tin import redact
        from ivr.config import ConfigError
        from ivr.data_key import DataKeyError

        try:
            return super().invoke(ctx)
        except DataKeyError as exc:  # a missing or malformed key: nothing started
            _stop(f"acs: {exc}", 2)
        except ConfigError as exc:  # a setting that is malformed or out of range, named as preflight names them
            _stop(f"acs {ctx.invoked_subcommand}: {exc}", 1)
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # long-running commands ride outages themselves
            _stop(f"acs: cannot reach Redis ({redact(str(exc))}); is REDIS_URL right and the server up?", 1)


def _stop(line: str, status: int) -> None:
    click.echo(line, err=True)
    sys.exit(status)


@click.group(cls=AcsGroup)
def cli() -> None:
    """acs-ivr: the ACS practitioner line, dialer and collection console."""
    from ivr import log_redaction

    log_redaction.install()  # no SSN/EIN in any log line of any command (worker jobs, gunicorn, imports)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Run the webhooks (and console) under gunicorn."""
    from ivr.serve import serve_forever

    serve_forever(host, port, workers)


@cli.command("import")
@click.argument("kind", type=click.Choice(["cases", "practitioners", "authorizations", "dnc"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_(kind: str, path: str) -> None:
    """Import a CSV file: all rows or none; bad rows are listed with their line numbers. Re-run after a crash to
    resume where it stopped."""
    if kind == "dnc":
        from ivr.dialer.commands import import_dnc

        return import_dnc(path)
    import os

    from ivr.cases.import_jobs import LEASE_SECONDS
    from ivr.cases.importer import ImportBusy, Importer
    from ivr.cases.progress import progress_for

    svc = services_from_env()
    progress = progress_for(os.path.getsize(path))
    try:
        lease = int(svc.config.extra.get("ACS_IMPORT_LEASE_SECONDS") or LEASE_SECONDS)
        result = Importer(svc.redis, svc.keys, svc.seal, lease_seconds=lease).import_file(kind, path, progress)
    except ImportBusy as busy:
        raise click.ClickException(str(busy)) from None
    finally:
        getattr(progress, "close", lambda: None)()
    if not result.ok:
        for error in result.errors:
            click.echo(f"{path}: {error}", err=True)
        more = f" and {result.more_errors} more" if result.more_errors else ""
        click.echo(f"{path}: nothing imported ({len(result.errors)} error(s){more})", err=True)
        sys.exit(1)
    resumed = ", resumed after an interrupted run" if result.resumed else ""
    what = kind if result.rows != 1 else kind.removesuffix("s")
    click.echo(
        f"{path}: {result.rows} {what} imported ({result.created} new, {result.rows - result.created} updated{resumed})"
    )


@cli.group()
def case() -> None:
    """Look at cases."""


@case.command("show")
@click.argument("crn_or_case_id")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def case_show(crn_or_case_id: str, as_json: bool) -> None:
    """Show a case by CRN or case id, with the SSN/EIN masked."""
    from ivr.cases.tin import redact
    from ivr.cases.view import build_case_view, find_case, render_text

    svc = services_from_env()
    found, crn = find_case(svc.store, crn_or_case_id)
    if found is None:
        shown = redact(crn_or_case_id)  # someone may type the SSN/EIN itself
        click.echo(f"no case for {shown!r} (check the CRN's digits or the case id)", err=True)
        sys.exit(1)
    view = build_case_view(svc.store, svc.history, found)
    if crn:
        view = type(view)(**{**view.__dict__, "opened_by_crn": crn})
    click.echo(json.dumps(view.to_dict(), indent=2) if as_json else render_text(view))


@cli.command()
@click.option("--chunk", default=200, show_default=True, type=click.IntRange(1, 2000), help="records per pipeline")
def rekey(chunk: int) -> None:
    """Re-seal every SSN/EIN and re-index every taxpayer under the current data key; resumable.

    With REDIS_URL: ACS_DATA_KEY is the new key and ACS_PREVIOUS_DATA_KEY the old one (give every acs process
    both first). Embedded Redis: a new key is generated into ACS_DATA_DIR and the old one retired when done.
    """
    import time

    from ivr.cases.rekey import Rekey, RekeyError
    from ivr.cases.sealing import TinSeal
    from ivr.config import Config
    from ivr.data_key import DataKeyError, finish_file_rotation, load_data_keys, start_file_rotation

    config = Config.from_env()
    from_files = not config.data_key
    load_data_keys(config)  # refuses a missing/malformed key; generates the embedded one on a first start
    if from_files:
        if start_file_rotation(config):
            click.echo("generated a new data key in ACS_DATA_DIR (the old one is kept until the rotation is done)")
            time.sleep(2 * TinSeal.RELOAD_SECONDS + 0.5)  # running processes re-read the key files meanwhile
    elif not config.previous_data_key:
        raise DataKeyError(
            "acs rekey moves records from ACS_PREVIOUS_DATA_KEY (the old key) to ACS_DATA_KEY (the new one): set both"
        )
    svc = services_from_env()
    try:
        report = Rekey(svc.redis, svc.keys, svc.seal, chunk).run(click.echo)
    except RekeyError as exc:
        click.echo(f"acs rekey: {exc}", err=True)
        sys.exit(1)
    if from_files:
        finish_file_rotation(config)
        click.echo(f"{report.summary()}; the old key is retired (back up the new data.key)")
    else:
        click.echo(f"{report.summary()}; now remove ACS_PREVIOUS_DATA_KEY from every acs process")


for command in (demo, worker, dial, employee, emulator_command, simulate, floor_sim, why, dnc, floor):
    cli.add_command(command)


def main() -> None:
    cli()  # errors before a command starts are one line each (AcsGroup)
