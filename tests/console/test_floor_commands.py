"""`acs floor mode`: print the campaign's pacing mode, set it (audited), refuse an unknown one in one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.console.audit import AuditFilter, AuditLog
from ivr.dialer.floor import Floor


@pytest.fixture
def run(redis_url, redis, monkeypatch, config_overrides):
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ACS_DATA_KEY", config_overrides["ACS_DATA_KEY"])
    monkeypatch.delenv("ACS_CAMPAIGN", raising=False)
    return lambda *args: CliRunner().invoke(cli, ["floor", "mode", *args])


def test_prints_sets_and_audits_the_mode(run, redis, keys):
    assert run().output == "predictive\n"  # nothing chosen yet: the default
    result = run("progressive")
    assert result.exit_code == 0 and "pacing mode progressive (was predictive)" in result.output
    assert Floor(redis, keys).mode() == "progressive"
    assert run().output == "progressive\n"
    [entry] = AuditLog(redis, keys).search(AuditFilter(action="floor_mode"))
    assert entry.employee.startswith("cli:") and entry.detail["mode"] == "progressive"


def test_an_unknown_mode_is_one_line_on_stderr_and_nothing_is_written(run, redis, keys):
    result = run("turbo")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown pacing mode 'turbo'" in result.stderr
    assert Floor(redis, keys).mode() is None and AuditLog(redis, keys).search() == []
