"""What every `acs` command does with a missing data key or a malformed setting: one line, README's exit status
(ivr.cli.AcsGroup), the same through CliRunner as from the shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import cli

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "ivr" / "sample_data"
PHONE = "+12025550123"

#: Commands that read sealed SSNs/EINs (so need the data key) and return by themselves; `acs serve` and
#: `acs worker` are run as processes in tests/test_data_key.py.
KEYED_COMMANDS = [
    ["why", "ACS-000101"],
    ["dnc", "list"],
    ["dnc", "add", PHONE],
    ["dnc", "remove", PHONE],
    ["import", "dnc", "DNC_FILE"],
    ["import", "cases", str(SAMPLE_DATA / "cases.csv")],
    ["case", "show", "ACS-000101"],
    ["employee", "list"],
    ["employee", "add", "pat", "--name", "Pat Lee", "--phone", "+12025550170", "--password", "a long passphrase"],
    ["floor", "mode"],
    ["rekey"],
    ["dial"],
]


def _one_line(result) -> str:
    assert result.stdout == "" and "Traceback" not in result.output, result.output
    line = result.stderr.strip()
    assert line and "\n" not in line, result.stderr
    return line


def _args(args: list[str], tmp_path: Path) -> list[str]:
    dnc = tmp_path / "dnc.csv"
    dnc.write_text(f"phone\n{PHONE}\n", encoding="utf-8")
    return [str(dnc) if arg == "DNC_FILE" else arg for arg in args]


@pytest.mark.parametrize("args", KEYED_COMMANDS, ids=lambda args: " ".join(args[:2]))
def test_with_redis_url_and_no_data_key_every_command_exits_2(config_overrides, redis, tmp_path, args):
    """README: a missing ACS_DATA_KEY with REDIS_URL set exits 2 (`acs why` and `acs dnc` exited 1)."""
    env = {**config_overrides, "ACS_DATA_KEY": ""}
    result = CliRunner(env=env).invoke(cli, _args(args, tmp_path))
    assert result.exit_code == 2, result.output
    assert _one_line(result).startswith("acs: ACS_DATA_KEY is not set")
    assert redis.dbsize() == 0 and not (tmp_path / "var" / "data.key").exists()


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (["case", "show", "ACS-000101"], "acs case: "),
        (["why", "ACS-000101"], "acs why: "),
        (["dnc", "list"], "acs dnc: "),
        (["import", "dnc", "DNC_FILE"], "acs import: "),
        (["employee", "list"], "acs employee: "),
        (["floor", "mode"], "acs floor: "),
    ],  # dial, worker and serve: tests/test_preflight.py, as processes (their preflight exits with SystemExit)
)
@pytest.mark.parametrize(
    ("setting", "value", "said"),
    [
        ("ACS_GATHER_TIMEOUT", "abc", "ACS_GATHER_TIMEOUT must be a whole number, not 'abc'"),
        ("ACS_LINES_PER_EMPLOYEE", "0", "ACS_LINES_PER_EMPLOYEE must be a number ≥ 1, not '0'"),
    ],
)
def test_a_malformed_setting_is_one_line_naming_it_with_exit_1(
    config_overrides, redis, tmp_path, args, prefix, setting, value, said
):
    """Before: ACS_GATHER_TIMEOUT=abc exited 2 as `acs: …`; ACS_LINES_PER_EMPLOYEE=0 was a traceback in `case show`."""
    result = CliRunner(env={**config_overrides, setting: value}).invoke(cli, _args(args, tmp_path))
    assert result.exit_code == 1, result.output
    assert _one_line(result) == prefix + said
    assert redis.dbsize() == 0


def test_import_dnc_counts_one_number_in_the_singular(config_overrides, redis, tmp_path):
    result = CliRunner(env=config_overrides).invoke(cli, _args(["import", "dnc", "DNC_FILE"], tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(": 1 number imported (1 new, 0 already listed)\n")


def test_import_counts_one_case_in_the_singular(config_overrides, redis, tmp_path):
    lines = (SAMPLE_DATA / "cases.csv").read_text("utf-8").splitlines()
    one = tmp_path / "one.csv"
    one.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    result = CliRunner(env=config_overrides).invoke(cli, ["import", "cases", str(one)])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(": 1 case imported (1 new, 0 updated)\n")


@pytest.mark.parametrize(
    "args", [a for a in KEYED_COMMANDS if a != ["rekey"]], ids=lambda args: " ".join(args[:2])
)  # rekey first asks for both its keys (exit 2)
def test_a_redis_url_redis_cannot_read_is_one_line_without_its_text(config_overrides, tmp_path, args):
    """It was a ValueError traceback from redis-py (`acs floor mode`, `employee`, `case`, `serve`, `worker`,
    `dial`); the URL is not echoed, as it may hold a password."""
    env = {**config_overrides, "REDIS_URL": "bogus://user:s3cret@host"}
    result = CliRunner(env=env).invoke(cli, _args(args, tmp_path))
    assert result.exit_code == 1, result.output
    line = _one_line(result)
    assert line.endswith("REDIS_URL is not a Redis URL (redis://, rediss:// or unix://)") and "s3cret" not in line
