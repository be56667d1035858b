"""Misconfigured commands say so in one line and exit non-zero, before doing anything (issue 9 §4)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from process_support import run_acs


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
    for command in (["case", "show", "ACS-000101"], ["dial"], ["why", "ACS-000101"], ["dnc", "list"]):
        result = _acs(command, env, tmp_path)
        assert result.returncode == 1, (command, result.stderr)
        assert "cannot reach Redis" in _one_line(result)
