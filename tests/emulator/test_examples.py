"""`acs simulate` runs the example apps' scenarios: a voicemail box (Record) and a warm transfer (Conference),
in-process and against the apps served over loopback HTTP with the emulator's REST API on a port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.scenario import load_scenario
from emulator.sdk import twilio_client
from emulator.server import ServerThread
from ivr.simulate import simulate, simulate_over_http

EXAMPLES = Path(__file__).resolve().parents[2] / "emulator" / "examples"
SCENARIOS = {"voicemail": "voicemail.yaml", "warm_transfer": "warm-transfer.yaml"}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS.values()))
def test_acs_simulate_runs_the_example_in_process(scenario):
    result = CliRunner().invoke(simulate, [str(EXAMPLES / scenario)])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("module", sorted(SCENARIOS))
def test_acs_simulate_runs_the_example_over_http(module, monkeypatch):
    """The app is a real HTTP server; its REST calls reach the emulator over loopback (TWILIO_API_BASE)."""
    import importlib

    sid, token, api_port = "AC" + "1" * 32, "secret-token", _free_port()
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", token)
    factory = importlib.import_module(f"emulator.examples.{module}").create_app
    app = factory(twilio_client(f"http://127.0.0.1:{api_port}", sid, token), token)
    server = ServerThread(app)
    server.start()
    try:
        spec = load_scenario(EXAMPLES / SCENARIOS[module])
        result = simulate_over_http(spec, server.url, api_port=api_port)
    finally:
        server.shutdown()
    assert result.ok, result.report()
    if module == "voicemail":
        [box] = app.extensions["voicemails"].values()
        assert box["text"].startswith("This is Pat Doe") and box["duration"] == "7"


def test_the_example_apps_refuse_unsigned_webhooks():
    from emulator.examples import voicemail

    app = voicemail.create_app(client=object(), auth_token="secret-token")
    assert app.test_client().post("/voice", data={"CallSid": "CA1"}).status_code == 403
