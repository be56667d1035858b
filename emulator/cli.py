"""Click commands: `emulator` (serve the REST API in real time) and `scenario` (run a scenario file).

The `acs` CLI registers them with `cli.add_command(...)`; `python -m emulator` runs them standalone.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click

from emulator.emulator import Emulator
from emulator.engine import RealClock, VirtualClock


class OneLineError(click.ClickException):
    """Shown as `acs emulator: <message>`: one line on stderr, with the exit status of the error it stands for."""

    def __init__(self, message: str, command_path: str, exit_code: int) -> None:
        super().__init__(message)
        self.command_path = command_path
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"{self.command_path}: {self.format_message()}", file=file, err=file is None)


class OneLineErrors(click.Command):
    """A command whose bad flags are one line naming the flag (exit status 2), not click's four-line usage block;
    other errors it raises (click.ClickException) are one line with their own status (1)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with _one_line(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context):
        with _one_line(ctx):
            return super().invoke(ctx)


@contextmanager
def _one_line(ctx: click.Context) -> Iterator[None]:
    try:
        yield
    except OneLineError:
        raise
    except click.ClickException as error:
        raise OneLineError(error.format_message(), ctx.command_path, error.exit_code) from None


@contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """Treat SIGTERM (`kill`, `timeout`) like Ctrl-C while the block runs, so its cleanup runs and its output is
    still printed; the previous handler is put back after."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread may set handlers
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def loopback_host(ctx: click.Context, param: click.Parameter, host: str) -> str:
    """The emulator listens on loopback only: anyone who reached it could place calls and read every transcript."""
    try:
        loopback = host == "localhost" or ipaddress.IPv4Address(host).is_loopback  # the server speaks IPv4
    except ValueError:
        loopback = False
    if not loopback:
        raise click.BadParameter(f"{host!r} is not a loopback address (127.0.0.1, or any 127.x.y.z, or localhost)")
    return host


@click.command("emulator", cls=OneLineErrors)
@click.option(
    "--host", default="127.0.0.1", show_default=True, callback=loopback_host, help="Loopback address to listen on."
)
@click.option(
    "--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="Port (0 picks a free one)."
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Register the numbers, parties, callers and calls of this scenario file.",
)
@click.option("--app-url", help="Base URL for relative URLs in --scenario (the app's PUBLIC_BASE_URL).")
@click.option("--fast", is_flag=True, help="Virtual clock (fast-forward) instead of real time.")
@click.option(
    "--keep",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Newest transcript entries and webhook records held (0: all); calls and other REST records are all kept.",
)
def emulator_command(
    host: str, port: int, scenario_file: str | None, app_url: str | None, fast: bool, keep: int
) -> None:
    """Run a local Twilio (REST API + phone network) for manual testing."""
    from emulator.scenario import build, load_scenario

    emu = Emulator(
        account_sid=os.environ.get("TWILIO_ACCOUNT_SID"),
        auth_token=os.environ.get("TWILIO_AUTH_TOKEN"),
        clock=VirtualClock() if fast else RealClock(),
        keep=keep or None,
    )
    if scenario_file:
        spec = load_scenario(scenario_file)
        build(spec, emu, app_url or spec.get("app_url") or os.environ.get("PUBLIC_BASE_URL", ""))
    try:
        server = emu.serve(host, port)
    except OSError as error:  # the port is taken, most likely by another emulator
        hint = " (--port 0 picks a free one)" if error.errno == errno.EADDRINUSE else ""
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}{hint}") from None
    try:
        with sigterm_as_ctrl_c():
            emu.engine.start()
            _print_how_to_use(emu, server.url)
            server.join()
    except KeyboardInterrupt:
        pass
    finally:
        emu.engine.stop()
        server.shutdown()
        click.echo(emu.transcript.to_text())


def _print_how_to_use(emu: Emulator, url: str) -> None:
    click.echo("Twilio emulator listening. Point the app at it with:")
    click.echo(f"  export TWILIO_API_BASE={url}")
    click.echo(f"  export TWILIO_ACCOUNT_SID={emu.account_sid}")
    click.echo(f"  export TWILIO_AUTH_TOKEN={emu.auth_token}")
    click.echo(f"Transcript: {url}/_emulator/transcript (same credentials). Ctrl-C to stop.")


@click.command("scenario")
@click.argument("scenario_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--app-url", help="Base URL of the running app (its PUBLIC_BASE_URL).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def scenario_command(scenario_file: str, app_url: str | None, as_json: bool) -> None:
    """Run SCENARIO_FILE against a running app over HTTP; exit 1 if an expectation fails."""
    from emulator.scenario import run_scenario

    result = run_scenario(
        scenario_file,
        app_url=app_url or os.environ.get("PUBLIC_BASE_URL"),
        account_sid=os.environ.get("TWILIO_ACCOUNT_SID"),
        auth_token=os.environ.get("TWILIO_AUTH_TOKEN"),
    )
    click.echo(json.dumps(result.to_json(), indent=2) if as_json else result.report())
    sys.exit(0 if result.ok else 1)


@click.group()
def main() -> None:
    """Local Twilio emulator."""


main.add_command(emulator_command)
main.add_command(scenario_command)
