"""`acs floor mode [MODE]`: show or choose the campaign's pacing mode (as the manager's floor view does)."""

from __future__ import annotations

import getpass
import sys

import click

from ivr.config import ConfigError
from ivr.console.audit import AuditLog
from ivr.console.floor_mode import MODE_HELP, UnknownMode, change_mode, current_mode
from ivr.data_key import DataKeyError
from ivr.services import services_from_env


@click.group()
def floor() -> None:
    """The floor: the campaign's pacing mode (ACS_CAMPAIGN)."""


@floor.command("mode", help=f"Print the pacing mode, or set it to MODE: one of {', '.join(MODE_HELP)}.")
@click.argument("mode", required=False)
def mode(mode: str | None) -> None:
    try:
        svc = services_from_env()
    except (DataKeyError, ConfigError):
        raise  # one line with README's exit status, as for every command (ivr.cli.AcsGroup)
    except RuntimeError as error:  # the embedded redis-server did not start
        click.echo(f"acs floor mode: {error}", err=True)
        sys.exit(1)
    if mode is None:
        click.echo(current_mode(svc.floor))
        return
    try:
        previous, chosen = change_mode(svc.floor, AuditLog(svc.redis, svc.keys), f"cli:{getpass.getuser()}", mode)
    except UnknownMode as error:
        click.echo(f"acs floor mode: {error}", err=True)
        sys.exit(1)
    click.echo(f"campaign {svc.floor.campaign}: pacing mode {chosen} (was {previous}), from the dialer's next tick")
    if previous == "preview" and chosen != "preview":
        _off_preview(svc)


def _off_preview(svc) -> None:
    """Ready legs leave their own queues for the shared one now (as the floor view does), when Twilio is set up."""
    from ivr.dialer.floor_phone import rewait_ready_legs
    from ivr.twilio_client import TwilioNotConfigured, rest_client

    try:
        moved = rewait_ready_legs(rest_client(svc.config), svc.config, svc.floor)
    except TwilioNotConfigured:
        click.echo("ready phones move to the shared queue at their next renewal (Twilio is not configured here)")
        return
    click.echo(f"{moved} ready phone(s) moved to the shared queue")
