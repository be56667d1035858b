"""ACS_DATA_KEY: refused when malformed or (with REDIS_URL) missing, in one line; generated once for embedded Redis."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import process_support
import pytest

from ivr.cases.sealing import TinSeal, seal_for
from ivr.config import Config
from ivr.data_key import DataKeyError, generate_key, load_data_keys, start_file_rotation

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CASES = ROOT / "ivr" / "sample_data" / "cases.csv"


def run_acs(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return process_support.run_acs(list(args), env, timeout=60, without=("ACS_", "REDIS_URL", "TWILIO_"))


@pytest.mark.parametrize(
    "args",
    [
        ("serve",),
        ("worker", "--burst"),
        ("import", "cases", str(SAMPLE_CASES)),
        ("case", "show", "X-1"),
        ("why", "X-1"),
        ("dnc", "list"),
    ],
)
def test_with_redis_url_and_no_key_every_command_refuses_in_one_line(args, redis_url, tmp_path) -> None:
    """README: exit 2 (`acs why` and `acs dnc` exited 1); tests/test_cli_config.py runs every keyed command."""
    result = run_acs(*args, env={"REDIS_URL": redis_url, "ACS_DATA_DIR": str(tmp_path / "var")})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "ACS_DATA_KEY is not set" in result.stderr, result.stderr
    assert not (tmp_path / "var" / "data.key").exists()


@pytest.mark.parametrize("bad", ["hunter2", generate_key()[:-4], generate_key() + "AA", "a" * 44])
def test_a_malformed_key_is_refused_without_echoing_it(bad, redis_url) -> None:
    with pytest.raises(DataKeyError) as caught:
        load_data_keys(Config.from_env({"REDIS_URL": redis_url, "ACS_DATA_KEY": bad}))
    assert "ACS_DATA_KEY is not a data key" in str(caught.value) and bad not in str(caught.value)


def test_the_cli_refuses_a_malformed_key_in_one_line(redis_url) -> None:
    result = run_acs("case", "show", "X-1", env={"REDIS_URL": redis_url, "ACS_DATA_KEY": "not-a-key"})
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0 and "not-a-key" not in result.stderr


def test_embedded_redis_generates_a_key_once_and_reuses_it(tmp_path, capsys) -> None:
    config = Config.from_env({"REDIS_URL": "", "ACS_DATA_KEY": "", "ACS_DATA_DIR": str(tmp_path / "var")})
    first = load_data_keys(config)
    assert capsys.readouterr().err.count("generated the data key") == 1
    path = tmp_path / "var" / "data.key"
    assert path.stat().st_mode & 0o777 == 0o600 and (tmp_path / "var").stat().st_mode & 0o777 == 0o700
    assert load_data_keys(config).current == first.current
    assert capsys.readouterr().err == ""
    given = generate_key()  # ACS_DATA_KEY wins over the file
    with_env = Config.from_env({"REDIS_URL": "", "ACS_DATA_KEY": given, "ACS_DATA_DIR": str(tmp_path / "var")})
    assert load_data_keys(with_env).current != first.current


def test_a_running_process_picks_up_a_file_rotation(tmp_path) -> None:
    config = Config.from_env({"REDIS_URL": "", "ACS_DATA_KEY": "", "ACS_DATA_DIR": str(tmp_path / "var")})
    seal = seal_for(config)
    token = seal.seal("015146380")
    old_id = seal.current.id
    assert start_file_rotation(config)
    time.sleep(TinSeal.RELOAD_SECONDS + 0.1)
    assert seal.previous is not None and seal.previous.id == old_id != seal.current.id
    assert seal.unseal(token) == "015146380"
    assert not start_file_rotation(config)  # a second call resumes the rotation under way
