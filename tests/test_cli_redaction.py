"""CLI output never echoes a typed SSN/EIN: `acs case show` and `acs simulate` transcripts (issue 9 §1)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from ivr.cli import cli


def test_case_show_does_not_echo_a_typed_tin(config_overrides, redis):
    result = CliRunner(env=config_overrides).invoke(cli, ["case", "show", "015-14-6380-"])
    assert result.exit_code == 1
    assert "015-14-6380" not in result.output and "***-**-6380" in result.output


def test_simulate_masks_keyed_digits_unless_asked(config_overrides):
    runner = CliRunner(env=config_overrides)
    masked = runner.invoke(cli, ["simulate", "valid-ssn", "--json"])
    assert masked.exit_code == 0, masked.output
    assert "015146380" not in masked.output and "***-**-6380" in masked.output
    assert json.loads(masked.output)["ok"] is True
    text = runner.invoke(cli, ["simulate", "valid-ssn"])
    assert "015146380" not in text.output and "DTMF     ***-**-6380" in text.output
    shown = runner.invoke(cli, ["simulate", "valid-ssn", "--show-digits"])
    assert "DTMF     015146380" in shown.output
