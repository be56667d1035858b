"""Misconfigured commands say so in one line and exit non-zero, before doing anything (issue 9 §4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from process_support import run_acs

from ivr.config import Config
from ivr.preflight import phone_settings_problem, settings_problem


def _acs(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return run_acs(args, env, timeout=60, without=("TWILIO_", "ACS_", "PUBLIC_", "REDIS_"), cwd=tmp_path)


def test_serve_without_the_auth_token_refuses_to_start(config_overrides, tmp_path):
    env = {k: v for k, v in config_overrides.items() if k != "TWILIO_AUTH_TOKEN"}
    result = _acs(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "TWILIO_AUTH_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize(
    ("command", "missing"),
    [(["worker", "--burst"], "TWILIO_AUTH_TOKEN"), (["dial"], "TWILIO_ACCOUNT_SID"), (["dial"], "ACS_FROM_NUMBER")],
)
def test_worker_and_dial_without_twilio_settings_refuse(config_overrides, redis, tmp_path, command, missing):
    env = {k: v for k, v in config_overrides.items() if k != missing}
    result = _acs(command, env, tmp_path)
    assert result.returncode == 1, result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and missing in line and line.startswith(f"acs {command[0]}: cannot place calls")
    assert redis.dbsize() == 0  # nothing queued


def test_dial_with_everything_set_still_queues(config_overrides, redis, tmp_path):
    result = _acs(["dial"], config_overrides, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "queued a dialer tick" in result.stdout


def _one_line(result: subprocess.CompletedProcess) -> str:
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.stderr, result.stderr
    return line


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ACS_MAX_CPS", "abc"),
        ("ACS_MAX_CPS", "-1"),
        ("ACS_DIALER_BATCH", "lots"),
        ("ACS_OFFICE_DAYS", "funday"),
        ("ACS_CLOSED_DATES", "2026-13-01"),
        ("ACS_CALL_WINDOW", "25:00-26:00"),
        ("ACS_MAX_ATTEMPTS_PER_WINDOW", "9"),
        ("ACS_LINES_PER_EMPLOYEE", "x"),
        ("ACS_RECONCILE_AFTER_SECONDS", "0"),
        ("ACS_COMPLIANCE_RULES", "/nonexistent/rules.json"),
        ("ACS_VOICEMAIL_TEXT", "About your taxes: call {numbers}"),
        ("ACS_GATHER_TIMEOUT", "abc"),  # read by Config itself: was `acs: …`, exit 2
        ("ACS_LINES_PER_EMPLOYEE", "0"),
        ("ACS_FROM_NUMBER", "12345"),  # was accepted, and every call then failed at Twilio
        ("ACS_CALLBACK_NUMBERS", "notaphone"),  # was accepted, and spoken to every callee
    ],
)
def test_a_bad_dialing_setting_stops_worker_dial_and_serve_in_one_line(
    config_overrides, redis, tmp_path, setting, value
):
    """Before: `acs dial` queued a tick (exit 0) that the worker then failed with a traceback, tick after tick."""
    env = {**config_overrides, setting: value}
    for command in (["dial"], ["worker", "--burst"], ["serve", "--port", "1"]):
        result = _acs(command, env, tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        line = _one_line(result)
        assert line.startswith(f"acs {command[0]}: ") and setting in line, line
    assert redis.dbsize() == 0  # nothing queued


def test_an_unreachable_redis_is_one_line_not_a_traceback(config_overrides, tmp_path):
    env = {**config_overrides, "REDIS_URL": "redis://127.0.0.1:1/0"}
    commands = (
        ["case", "show", "ACS-000101"],
        ["dial"],
        ["why", "ACS-000101"],
        ["dnc", "list"],
        ["serve", "--port", "1"],
    )
    for command in commands:
        result = _acs(command, env, tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        assert _one_line(result).startswith("acs: cannot reach Redis")


def test_serve_without_the_public_url_refuses_to_start(config_overrides, tmp_path):
    """Before: a warning, then a server that answered every webhook with 403 (the signature is over this URL)."""
    env = {k: v for k, v in config_overrides.items() if k != "PUBLIC_BASE_URL"}
    result = _acs(["serve", "--port", "1"], env, tmp_path)
    assert result.returncode == 1
    assert _one_line(result).startswith("acs serve: PUBLIC_BASE_URL is not set") and result.stdout == ""


@pytest.mark.parametrize(("setting", "value"), [("ACS_MAX_REQUEST_BYTES", "-5"), ("ACS_SESSION_IDLE_MINUTES", "abc")])
def test_serve_names_a_bad_web_setting(config_overrides, redis, tmp_path, setting, value):
    """Before: silently replaced by the default."""
    result = _acs(["serve", "--port", "1"], {**config_overrides, setting: value}, tmp_path)
    assert result.returncode == 1
    assert _one_line(result) == f"acs serve: {setting} must be a whole number ≥ 1, not {value!r}"


@pytest.mark.parametrize(
    ("setting", "bad", "others"),
    [
        ("ACS_WRAP_UP_SECONDS", "-1", ("ACS_LINES_PER_EMPLOYEE", "ACS_AGENT_RENEW_SECONDS")),
        ("ACS_LINES_PER_EMPLOYEE", "0", ("ACS_WRAP_UP_SECONDS", "ACS_AGENT_RENEW_SECONDS")),
        ("ACS_AGENT_RENEW_SECONDS", "4", ("ACS_WRAP_UP_SECONDS", "ACS_LINES_PER_EMPLOYEE")),
    ],
)
def test_a_floor_setting_out_of_range_is_named_alone(config_overrides, setting, bad, others):
    """Before: each named all three bounds at once, leaving the reader to find which one was wrong."""
    problem = settings_problem(Config.from_env({**config_overrides, setting: bad}), "acs dial")
    assert problem.startswith(f"acs dial: {setting} must be ") and repr(bad) in problem
    assert not any(other in problem for other in others)


@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("ACS_FROM_NUMBER", "12345", "ACS_FROM_NUMBER must be an E.164 phone number such as +12025550100, not '12345'"),
        ("ACS_FROM_NUMBER", "(202) 555-0100", "not '(202) 555-0100' (write it +12025550100)"),
        ("ACS_CALLBACK_NUMBERS", "+18008293903,notaphone", "ACS_CALLBACK_NUMBERS must be E.164 phone numbers"),
        ("ACS_CALLBACK_NUMBERS", " , ", "ACS_CALLBACK_NUMBERS must be E.164 phone numbers, comma-separated"),
    ],
)
def test_phone_settings_must_be_e164(config_overrides, setting, value, said):
    problem = phone_settings_problem(Config.from_env({**config_overrides, setting: value}), "acs serve")
    assert problem is not None and problem.startswith("acs serve: ") and said in problem


def test_valid_phone_settings_pass(config_overrides):
    env = {**config_overrides, "ACS_CALLBACK_NUMBERS": "+18008293903, +18008297650", "ACS_FROM_NUMBER": "+12025550100"}
    assert phone_settings_problem(Config.from_env(env), "acs serve") is None
    assert phone_settings_problem(Config.from_env({**env, "ACS_FROM_NUMBER": ""}), "acs serve") is None
