"""The `acs` command."""

from __future__ import annotations

import json
import sys

import click

from emulator.cli import emulator_command
from ivr.console.commands import employee
from ivr.demo import demo
from ivr.services import services_from_env
from ivr.simulate import simulate
from workers.cli import dial, worker


@click.group()
def cli() -> None:
    """acs-ivr: the ACS practitioner line, dialer and collection console."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes")
def serve(host: str, port: int, workers: int) -> None:
    """Run the webhooks (and console) under gunicorn."""
    from ivr.serve import serve_forever

    serve_forever(host, port, workers)


@cli.command("import")
@click.argument("kind", type=click.Choice(["cases", "practitioners", "authorizations"]))
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_(kind: str, path: str) -> None:
    """Import a CSV file: all rows or none; bad rows are listed with their line numbers. Re-run after a crash to
    resume where it stopped."""
    import os

    from ivr.cases.import_jobs import LEASE_SECONDS
    from ivr.cases.importer import ImportBusy, Importer
    from ivr.cases.progress import progress_for

    svc = services_from_env()
    progress = progress_for(os.path.getsize(path))
    try:
        lease = int(svc.config.extra.get("ACS_IMPORT_LEASE_SECONDS") or LEASE_SECONDS)
        result = Importer(svc.redis, svc.keys, lease_seconds=lease).import_file(kind, path, progress)
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
    click.echo(
        f"{path}: {result.rows} {kind} imported ({result.created} new, {result.rows - result.created} updated{resumed})"
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


for command in (demo, worker, dial, employee, emulator_command, simulate):
    cli.add_command(command)


def main() -> None:
    cli()
