"""Click commands: `emulator` (serve the REST API in real time) and `scenario` (run a scenario file).

The `acs` CLI registers them with `cli.add_command(...)`; `python -m emulator` runs them standalone.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import click

from emulator.emulator import Emulator
from emulator.engine import RealClock, VirtualClock


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback address to listen on.")
@click.option("--port", default=8787, show_default=True, type=int, help="Port (0 picks a free one).")
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
    server = emu.serve(host, port)
    emu.engine.start()
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo("Twilio emulator listening. Point the app at it with:")
    click.echo(f"  export TWILIO_API_BASE={server.url}")
    click.echo(f"  export TWILIO_ACCOUNT_SID={emu.account_sid}")
    click.echo(f"  export TWILIO_AUTH_TOKEN={emu.auth_token}")
    click.echo(f"Transcript: {server.url}/_emulator/transcript (same credentials). Ctrl-C to stop.")
    try:
        server.join()
    except KeyboardInterrupt:
        pass
    finally:
        emu.engine.stop()
        server.shutdown()
        click.echo(emu.transcript.to_text())


def _interrupt(signum, frame) -> None:
    """Treat SIGTERM like Ctrl-C so the transcript is still printed."""
    raise KeyboardInterrupt


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
