"""Scenario files: parsing, running against an in-process app, expectations that pass and fail."""

from __future__ import annotations

import json

from click.testing import CliRunner

from emulator import Emulator
from emulator.cli import main
from emulator.scenario import run_scenario

SCENARIO = """
name: hold-and-bridge
numbers:
  "+18005550100": /voice
callers:
  - name: caller
    from: "+12025550001"
    to: "+18005550100"
    press: [{heard: "press 1", digits: "1"}]
employees:
  - {name: agent, number: "+12025550999", at: 300, url: /agent, talk_seconds: 30}
parties:
  "+12025550111": {type: machine, greeting_seconds: 6}
calls:
  - {to: "+12025550111", from: "+18005550100", url: /message, machine_detection: DetectMessageEnd, at: 10}
expect:
  - {leg: caller, heard: "press 1", pressed: "1"}
  - {leg: caller, queue_result: bridged, status: completed}
  - {leg: agent, dial_status: completed}
  - {leg: "callee +12025550111", answered_by: machine_end_beep, recorded: "call us back"}
  - {webhooks: 2xx}
  - {no_errors: true}
"""


def serve_docs(webapp):
    webapp.docs.update(
        {
            "/voice": "<Response><Gather numDigits='1' action='/menu'><Say>To hold, press 1</Say></Gather></Response>",
            "/menu": "<Response><Enqueue waitUrl='/wait'>support</Enqueue></Response>",
            "/wait": "<Response><Say>Still holding</Say><Pause length='30'/></Response>",
            "/agent": "<Response><Dial><Queue>support</Queue></Dial></Response>",
            "/message": "<Response><Say>Please call us back</Say></Response>",
        }
    )


def test_scenario_passes(emu, webapp):
    serve_docs(webapp)
    result = run_scenario(SCENARIO, app_url="https://app.test", emulator=emu)
    assert result.ok, result.report()
    assert len(result.passed) == 6
    assert json.loads(json.dumps(result.to_json()))["ok"] is True


def test_failed_expectations_are_listed(emu, webapp):
    serve_docs(webapp)
    webapp.statuses["/wait"] = 404
    spec = SCENARIO + "  - {leg: caller, heard: 'never said'}\n  - {leg: nobody, status: completed}\n"
    result = run_scenario(spec, app_url="https://app.test", emulator=emu)
    assert not result.ok
    failures = "\n".join(result.failures)
    assert "never said" in failures and "no leg named 'nobody'" in failures
    assert "webhooks=2xx" in failures and "no_errors" in failures
    assert "FAIL" in result.report()


def test_scenario_cli_against_an_http_app(tmp_path, make_twiml_app, monkeypatch):
    """`scenario FILE --app-url` drives a running app; here the "running app" is mounted in-process."""
    emu = Emulator()
    webapp = make_twiml_app(emu.auth_token)
    serve_docs(webapp)
    path = tmp_path / "hold.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    monkeypatch.setattr("emulator.scenario.Emulator", lambda **kw: _mounted(emu, webapp))
    result = CliRunner().invoke(main, ["scenario", str(path), "--app-url", "https://app.test"])
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.output


def _mounted(emu, webapp):
    emu.mount("https://app.test", webapp.flask)
    return emu
