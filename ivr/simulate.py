"""`acs simulate SCENARIO`: play a call scenario against the app through the local Twilio emulator.

Without --app-url the app runs in-process (`create_app`) on a private Redis (an embedded redis-server in a
temporary directory, seeded with the sample data), and webhooks are delivered by WSGI. With --app-url the
webhooks go over HTTP to a running app, signed with TWILIO_AUTH_TOKEN so its signature check passes.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import click

from emulator import Emulator, VirtualClock
from emulator.scenario import ScenarioResult, load_scenario, run_scenario
from emulator.scenario_schema import ScenarioError, entries, fields, flag, optional, require_events
from emulator.sdk import WsgiHttpClient

SCENARIOS_DIR = Path(__file__).resolve().parent / "scenarios"
IN_PROCESS_BASE_URL = "https://acs.emulator.test"
#: Virtual time zero for in-process runs: 20:00 UTC, inside the 8:00-21:00 calling window from Maine to Hawaii,
#: and after every sample authorization's received date.
SIMULATION_EPOCH = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
CALLER_ID = "+18008297650"


def _dial_entry(entry: dict) -> str | None:
    problem = fields(entry, (), {"cases", "tick", "at"})
    if problem:
        return problem
    cases = entry.get("cases")
    if entry.get("tick") is True:
        return None if cases is None else "has both cases and tick: true (one or the other)"
    if not isinstance(cases, list) or not cases:
        return "needs cases: [CASE_ID, ...] or tick: true"
    return None


#: The sections only `acs simulate` reads, beside the emulator's own (emulator/README.md "Scenario files").
IVR_SECTIONS = {"sample_data": flag, "dial": optional(entries(_dial_entry))}


def builtin_scenarios() -> list[str]:
    return sorted(path.stem for path in SCENARIOS_DIR.glob("*.yaml"))


def resolve_scenario(name_or_path: str) -> dict:
    """A built-in scenario name (see `builtin_scenarios()`) or a YAML/JSON file path."""
    path = SCENARIOS_DIR / f"{name_or_path}.yaml"
    if not path.exists():
        path = Path(name_or_path)
    if not path.exists():
        raise click.BadParameter(
            f"{name_or_path!r} is neither a file nor a built-in scenario ({', '.join(builtin_scenarios())})"
        )
    spec = load_scenario(path, IVR_SECTIONS)
    require_events(spec, str(path), also=("dial",))
    return spec


def simulate_in_process(spec: dict, redis_url: str | None = None) -> ScenarioResult:
    """Run `spec` against `create_app` on `redis_url`, or on a throw-away embedded Redis when None.

    The app's clock (`ivr.clock`) follows the emulator's virtual time for the run, so the dialer's calling
    windows and retries see the simulated hour, not the wall clock.
    """
    from ivr import clock, create_app
    from ivr.data_key import generate_key
    from ivr.redis_conn import EmbeddedRedis
    from ivr.sample_data import load_sample_data

    emu = Emulator(clock=VirtualClock(SIMULATION_EPOCH))
    with tempfile.TemporaryDirectory(prefix="acs-simulate-") as tmp:
        embedded = None
        if redis_url is None:
            embedded = EmbeddedRedis(Path(tmp) / "redis")
            redis_url = embedded.ensure_running()
        clock.use(lambda: emu.engine.clock.datetime().timestamp())
        app = None
        try:
            app = create_app(
                {
                    "REDIS_URL": redis_url,
                    "ACS_DATA_DIR": str(Path(tmp) / "var"),
                    "PUBLIC_BASE_URL": IN_PROCESS_BASE_URL,
                    "TWILIO_ACCOUNT_SID": emu.account_sid,
                    "TWILIO_AUTH_TOKEN": emu.auth_token,
                    "TWILIO_API_BASE": "",
                    "ACS_FROM_NUMBER": CALLER_ID,
                    "ACS_SECRET_KEY": secrets.token_hex(16),
                    "ACS_DATA_KEY": generate_key(),  # a private store (or the tests'), filled here: a throwaway key
                }
            )
            if spec.get("sample_data"):
                svc = app.extensions["acs"]
                load_sample_data(svc.redis, svc.keys)
            setup = _dialer_setup(app) if spec.get("dial") else None
            return run_scenario(
                spec, app_url=IN_PROCESS_BASE_URL, wsgi_app=app, emulator=emu, setup=setup, extra=IVR_SECTIONS
            )
        finally:
            clock.use(None)
            if app is not None:  # its connections closed now, not whenever the collector finds them (ResourceWarning)
                app.extensions["acs"].redis.close()
            if embedded is not None:
                embedded.stop()


def _dialer_setup(app):
    """Schedule the scenario's `dial:` entries: `{cases: [ID...], at: s}` dials cases, `{tick: true, at: s}`
    runs one dialer tick (due retries and follow-ups), both through the emulator's REST API in-process."""
    from ivr.dialer.batch import Dialer, DialerSettings
    from ivr.dialer.placing import TwilioPlacer
    from ivr.twilio_client import rest_client

    def setup(emu: Emulator, spec: dict) -> None:
        svc = app.extensions["acs"]
        settings = replace(DialerSettings.from_config(svc.config), max_cps=10_000.0, concurrency=1)
        client = rest_client(svc.config, http_client=WsgiHttpClient(emu.wsgi_app))
        dialer = Dialer(
            svc.redis, svc.keys, TwilioPlacer(client, svc.config, settings.ring_timeout), settings, svc.seal
        )
        for entry in spec["dial"]:
            at = float(entry.get("at", 0))
            if entry.get("tick"):
                emu.engine.schedule_at(at, dialer.tick)
            else:
                emu.engine.schedule_at(at, dialer.dial_cases, [str(c) for c in entry["cases"]])

    return setup


def simulate_over_http(
    spec: dict, app_url: str, public_url: str | None = None, api_port: int | None = None
) -> ScenarioResult:
    """Run `spec` against a running app; `public_url` (its PUBLIC_BASE_URL) is what gets signed.

    With `api_port` the emulator also serves its REST API on 127.0.0.1:`api_port` for the run, for apps that
    call back into Twilio (conference participants, recordings): start them with TWILIO_API_BASE pointing there.
    """
    emu = Emulator(account_sid=os.environ.get("TWILIO_ACCOUNT_SID"), auth_token=os.environ.get("TWILIO_AUTH_TOKEN"))
    base = public_url or app_url
    if public_url and public_url.rstrip("/") != app_url.rstrip("/"):
        emu.transport.route(public_url, app_url)
    server = emu.serve(port=api_port) if api_port is not None else None
    try:
        return run_scenario(spec, app_url=base, emulator=emu, extra=IVR_SECTIONS)
    finally:
        if server is not None:
            server.shutdown()


def simulate_scenario_app(spec: dict) -> ScenarioResult:
    """Run a scenario that names its own app (`app: module:factory`, e.g. emulator/examples/) in-process."""
    return run_scenario(spec, emulator=Emulator(), in_process=True, extra=IVR_SECTIONS)


@click.command("simulate")
@click.argument("scenario", required=False)
@click.option("--app-url", help="Base URL of a running app; default: run the app in-process on a private Redis.")
@click.option("--public-url", help="The running app's PUBLIC_BASE_URL, if it differs from --app-url.")
@click.option("--api-port", type=int, help="With --app-url: also serve the emulator's REST API on this loopback port.")
@click.option("--json", "as_json", is_flag=True, help="Print the result (with transcript) as JSON.")
@click.option("--list", "list_only", is_flag=True, help="List the built-in scenarios.")
@click.option("--show-digits", is_flag=True, help="Show keyed SSN/EIN digits in the transcript (masked by default).")
def simulate(
    scenario: str | None,
    app_url: str | None,
    public_url: str | None,
    api_port: int | None,
    as_json: bool,
    list_only: bool,
    show_digits: bool,
):
    """Run SCENARIO (a built-in name or a scenario file) through the Twilio emulator; exit 1 on a failed check."""
    if list_only or not scenario:
        for name in builtin_scenarios():
            description = " ".join(str(resolve_scenario(name).get("description", "")).split())
            click.echo(f"{name:<24} {description}")
        return
    spec = resolve_scenario(scenario)
    if app_url:
        _require_app_credentials(api_port)
    if app_url and spec.get("dial"):
        raise ScenarioError(f"{scenario}: dial: places its calls through the in-process app only (drop --app-url)")
    if app_url:
        result = simulate_over_http(spec, app_url, public_url or os.environ.get("PUBLIC_BASE_URL"), api_port)
    elif spec.get("app"):
        result = simulate_scenario_app(spec)
    else:
        result = simulate_in_process(spec)
    output = result.to_json() if as_json else result.report()
    if not show_digits:  # a scenario keys a real-looking SSN: the transcript shows it masked, like everything else
        output = masked(output)
    click.echo(json.dumps(output, indent=2) if as_json else output)
    sys.exit(0 if result.ok else 1)


#: What the emulator needs of the running app's settings over --app-url, and why.
APP_CREDENTIALS = {
    "TWILIO_AUTH_TOKEN": "the emulator signs its webhooks with it; without it every one is refused (403)",
    "TWILIO_ACCOUNT_SID": "with --api-port the emulator takes the app's REST calls for that account only",
}


def _require_app_credentials(api_port: int | None) -> None:
    """Refuse --app-url without the running app's credentials: the scenario would FAIL on 403s, not say why."""
    needed = ["TWILIO_AUTH_TOKEN"] + (["TWILIO_ACCOUNT_SID"] if api_port is not None else [])
    missing = next((name for name in needed if not os.environ.get(name)), None)
    if missing:  # cannot run: one line, exit 2, like a bad scenario file
        raise ScenarioError(f"acs simulate --app-url: export the running app's {missing}: {APP_CREDENTIALS[missing]}")


def masked(value):
    """`value` (text, or JSON-shaped data) with every SSN/EIN-shaped number masked by `ivr.cases.tin.redact`."""
    from ivr.cases.tin import redact

    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [masked(item) for item in value]
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    return value
