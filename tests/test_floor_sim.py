"""`acs floor-sim`: a short floor day through the real path (the full table is bench/pacing.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from process_support import acs

from ivr.floor_sim import MAX_AGENTS, MAX_HOURS, floor_sim, one_core

KEYS = {"mode", "agents", "hours", "placed", "human_answers", "connected", "abandoned", "abandon_percent"}
KEYS |= {"amd_false_positives", "occupancy", "mean_wait_seconds", "max_wait_seconds", "max_calls_per_second"}


def test_a_short_predictive_day_prints_the_contract_and_keeps_every_live_answer_under_two_seconds():
    out = CliRunner().invoke(floor_sim, ["--agents", "3", "--hours", "0.15", "--seed", "3", "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    assert set(result) >= KEYS
    assert result["placed"] > 0 and result["human_answers"] == result["connected"] + result["abandoned"]
    assert result["max_wait_seconds"] <= 2.0 and result["max_calls_per_second"] <= 1
    assert 0 < result["occupancy"] < 1


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["--agents", "0"], "--agents"),
        (["--agents", str(MAX_AGENTS + 1)], "--agents"),  # 100,000 employees ran for minutes before the day began
        (["--hours", "-1"], "--hours"),
        (["--hours", "0"], "--hours"),
        (["--hours", str(MAX_HOURS + 1)], "--hours"),
        (["--mode", "foo"], "--mode"),
        (["--human", "2"], "--human"),
        (["--machine", "-0.1"], "--machine"),
        (["--human", "0.6", "--machine", "0.5"], "--machine"),
        (["--talk-mean", "0"], "--talk-mean"),  # was a ZeroDivisionError traceback
        (["--talk-mean", "-5"], "--talk-mean"),  # was a day with an occupancy of 0.0009
        (["--wrap", "-1"], "--wrap"),  # was a traceback naming ACS_WRAP_UP_SECONDS
        (["--amd-false-positive", "2"], "--amd-false-positive"),
        (["--amd-false-positive", "-1"], "--amd-false-positive"),
        (["--hours", "nan"], "--hours"),  # NaN passes every range comparison: was a traceback
        (["--talk-mean", "nan"], "--talk-mean"),  # was a day of meaningless figures
        (["--talk-mean", "inf"], "--talk-mean"),  # was a ZeroDivisionError traceback
        (["--wrap", "inf"], "--wrap"),  # was a day where nobody came back from wrap-up
        (["--human", "nan"], "--human"),
    ],
)
def test_a_bad_flag_is_one_line_naming_it_and_exit_status_2(args, flag):
    out = CliRunner().invoke(floor_sim, ["--agents", "2", "--hours", "0.1", *args, "--json"])
    line = out.stderr.strip()
    assert out.exit_code == 2 and "\n" not in line and "Traceback" not in out.output, out.output
    assert line.startswith("floor-sim: ") and flag in line and out.stdout == ""


def test_each_bad_flag_is_named_apart():
    """--agents 0 and --hours -1 used to get the same message naming both."""
    agents = CliRunner().invoke(floor_sim, ["--agents", "0", "--hours", "1"]).stderr
    hours = CliRunner().invoke(floor_sim, ["--agents", "1", "--hours", "-1"]).stderr
    assert "--agents" in agents and "--hours" not in agents
    assert "--hours" in hours and "--agents" not in hours


def test_the_help_states_the_caps():
    text = CliRunner().invoke(floor_sim, ["--help"]).output
    assert f"1<=x<={MAX_AGENTS}" in text and f"0<x<={MAX_HOURS}" in text


def test_a_day_given_to_run_floor_directly_is_checked_too():
    from ivr.floor_sim import FloorParams, run_floor

    with pytest.raises(click.UsageError, match="--talk-mean"):
        run_floor(FloorParams(agents=1, hours=0.1, mode="predictive", seed=1, talk_mean=0))


def test_sigterm_removes_the_days_directory_and_stops_its_redis(tmp_path):
    """`timeout` or `kill` used to leave $TMPDIR/acs-floor-sim-*/redis/{redis.log,redis.owner,redis.lock} behind."""
    day = acs(
        ["floor-sim", "--agents", "5", "--hours", "2"],  # minutes of work: still running when signalled
        {"TMPDIR": str(tmp_path)},
        without=("REDIS_URL",),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        server_pid = _wait_for_the_days_redis(tmp_path, day)
        day.send_signal(signal.SIGTERM)
        out, err = day.communicate(timeout=120)
    finally:
        if day.poll() is None:
            day.kill()
            day.communicate()
    assert day.returncode != 0 and "Traceback" not in err, err
    assert [path.name for path in tmp_path.iterdir() if path.is_dir()] == []  # only the core lock files stay
    assert str(tmp_path) not in _cmdline(server_pid)  # gone (or a zombie with no command line)
    assert not [pid for pid in _pids() if str(tmp_path) in _cmdline(pid)]


def _wait_for_the_days_redis(tmp: Path, day: subprocess.Popen) -> int:
    """The pid of the day's redis-server once it answers (the day has started), polling the day's directory."""
    deadline = time.monotonic() + 120  # a guard against a hang, not a measurement
    while time.monotonic() < deadline and day.poll() is None:
        for owner in tmp.glob("acs-floor-sim-*/redis/redis.owner"):
            pidfile = owner.with_name("redis.pid")
            if pidfile.exists() and pidfile.read_text().strip():
                return int(pidfile.read_text())
        time.sleep(0.05)
    raise AssertionError(f"the day's redis-server never started (exit status {day.poll()})")


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_the_ceiling_holds_below_one_call_per_second():
    from ivr.floor_sim import FloorParams, run_floor

    result = run_floor(FloorParams(agents=4, hours=0.05, mode="predictive", seed=2, max_cps=0.5))
    assert result["max_calls_per_second"] <= 1 and result["max_cps_setting"] == 0.5
    assert 0 < result["placed"] <= 0.5 * 0.05 * 3600 + 1


def test_a_person_taken_for_a_machine_who_presses_during_the_message_is_counted_apart():
    """Ofcom counts AMD false positives as abandoned: the press during the 'voicemail' must be seen and counted.

    The simulated person pressed only after a prompt containing "calling", which the taxpayer's limited-content
    message does not say, so every run reported 0 of them.
    """
    from ivr.floor_sim import FloorParams, run_floor

    result = run_floor(
        FloorParams(agents=3, hours=0.2, mode="predictive", seed=1, human=0.6, machine=0.2, amd_false_positive=0.5)
    )
    assert result["amd_false_positives"] > 0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing to choose")
def test_days_side_by_side_each_take_a_core_of_their_own_and_give_it_back(tmp_path, monkeypatch):
    # Lock files of their own: a floor-sim day running elsewhere on this machine holds the shared ones.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    allowed = os.sched_getaffinity(0)
    other_day = "import os; from ivr.floor_sim import one_core\nwith one_core(): print(*os.sched_getaffinity(0))"
    with one_core():
        mine = os.sched_getaffinity(0)
        root = Path(__file__).resolve().parent.parent
        env = os.environ | {"PYTHONPATH": str(root), "TMPDIR": str(tmp_path)}
        theirs = subprocess.run(
            [sys.executable, "-c", other_day],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            preexec_fn=lambda: os.sched_setaffinity(0, allowed),  # as the bench starts it: not pinned by us
        )
    assert len(mine) == 1
    assert {int(core) for core in theirs.stdout.split()}.isdisjoint(mine)
    assert os.sched_getaffinity(0) == allowed
