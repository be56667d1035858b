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


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("foo: [unclosed\n", "not valid YAML or JSON: line 2, column 1"),
        ("- a\n", "a scenario must be a mapping of sections, not a list"),
        ("calls: 5\n", "calls must be a list of entries, not a number"),
        ("{}", "the scenario is empty"),
        ("foo: 1\n", "unknown key 'foo'"),
        ("sample_data: true\n", "nothing happens (no callers, employees, calls, http, dial)"),
        ("dial:\n  - {case: [ACS-000101]}\n", "dial[0]: unknown key 'case'"),
        ("dial:\n  - {at: 5}\n", "dial[0]: needs cases: [CASE_ID, ...] or tick: true"),
        ("sample_data: yes please\ndial: [{tick: true}]\n", "sample_data must be true or false"),
    ],
)
def test_a_bad_scenario_file_is_one_line_and_exit_2(tmp_path, text, problem):
    """Nothing starts (no Redis, no app): the file is read and refused first."""
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(simulate, [str(scenario)])
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: {scenario}: {problem}" + result.output.split(problem, 1)[1]
    assert result.output.count("\n") == 1, result.output


def test_a_directory_is_not_a_scenario(tmp_path):
    result = CliRunner().invoke(simulate, [str(tmp_path)])
    assert result.exit_code == 2 and result.output == f"Error: {tmp_path}: is a directory, not a scenario file\n"


def test_a_dialer_scenario_refuses_app_url():
    """`dial:` places calls through the in-process app; over --app-url it would silently do nothing."""
    runner = CliRunner(env={"TWILIO_AUTH_TOKEN": "the-apps-token"})
    result = runner.invoke(simulate, ["voicemail", "--app-url", "http://127.0.0.1:9"])
    assert result.exit_code == 2, result.output
    assert "voicemail: dial: places its calls through the in-process app only" in result.output


@pytest.mark.parametrize(
    ("args", "missing"),
    [([], "TWILIO_AUTH_TOKEN"), (["--api-port", "9"], "TWILIO_ACCOUNT_SID")],
)
def test_app_url_without_the_apps_credentials_is_one_line(args, missing):
    """Else the emulator signs with a token of its own: every webhook 403 and the scenario FAILED, unexplained."""
    env = {"TWILIO_ACCOUNT_SID": None, "TWILIO_AUTH_TOKEN": None if missing == "TWILIO_AUTH_TOKEN" else "token"}
    result = CliRunner(env=env).invoke(simulate, ["hangup-on-hold", "--app-url", "http://127.0.0.1:9", *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: acs simulate --app-url: export the running app's {missing}: ")
    assert result.output.count("\n") == 1
