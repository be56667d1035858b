"""End to end: the real ivr app driven through the Twilio emulator by the built-in scenarios."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from emulator.server import ServerThread
from ivr import create_app
from ivr.simulate import (
    SCENARIOS_DIR,
    builtin_scenarios,
    resolve_scenario,
    simulate,
    simulate_in_process,
    simulate_over_http,
)


def test_builtin_scenarios_exist():
    required = {"silent-caller-bridged", "valid-ssn", "garbage-twice", "hangup-on-hold", "voicemail"}
    assert required <= set(builtin_scenarios())


@pytest.mark.parametrize("name", builtin_scenarios())
def test_builtin_scenario_passes_in_process(name, redis_url, redis):
    result = simulate_in_process(resolve_scenario(name), redis_url=redis_url)
    assert result.ok, result.report()
    assert all(w["status"] == 200 for w in result.emulator.webhooks)


def test_valid_ssn_caller_is_queued_with_the_case_as_context(redis_url, redis, keys):
    from ivr.cases.history import History

    result = simulate_in_process(resolve_scenario("valid-ssn"), redis_url=redis_url)
    assert result.ok, result.report()
    entries = History(redis, keys).entries("ACS-000101")
    texts = " | ".join(str(entry) for entry in entries)
    assert "keyed the taxpayer" in texts and "connected to a collection employee" in texts


def test_failed_expectation_exits_non_zero(tmp_path):
    spec = (SCENARIOS_DIR / "hangup-on-hold.yaml").read_text(encoding="utf-8")
    scenario = tmp_path / "wrong.yaml"
    scenario.write_text(spec + "  - {leg: caller, heard: 'something the app never says'}\n", encoding="utf-8")
    result = CliRunner().invoke(simulate, [str(scenario)])
    assert result.exit_code == 1, result.output
    assert "FAIL  leg=caller, heard=something the app never says" in result.output


def test_against_a_running_app_over_http(config, redis, monkeypatch):
    """--app-url: webhooks go over loopback HTTP, signed for PUBLIC_BASE_URL (routed to the local server)."""
    from ivr.sample_data import load_sample_data

    app = create_app(config)
    load_sample_data(redis, app.extensions["acs"].keys)
    server = ServerThread(app)
    server.start()
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", config.twilio_account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", config.twilio_auth_token)
    try:
        result = simulate_over_http(resolve_scenario("garbage-twice"), server.url, config.public_base_url)
    finally:
        server.shutdown()
    assert result.ok, result.report()


def test_dialer_scenario_records_the_outcome(redis_url, redis, keys):
    """The dialer's calls run on the emulator's virtual clock; the status callback closes the attempt."""
    from ivr.cases.history import History

    result = simulate_in_process(resolve_scenario("voicemail"), redis_url=redis_url)
    assert result.ok, result.report()
    texts = " | ".join(str(entry) for entry in History(redis, keys).entries("ACS-000101"))
    assert "voicemail" in texts.lower() or "machine" in texts.lower()


def test_list_builtin_scenarios():
    result = CliRunner().invoke(simulate, ["--list"])
    assert result.exit_code == 0
    assert "silent-caller-bridged" in result.output and "voicemail" in result.output
