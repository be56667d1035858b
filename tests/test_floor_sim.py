"""`acs floor-sim`: a short floor day through the real path (the full table is bench/pacing.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.floor_sim import floor_sim, one_core

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


def test_bad_arguments_are_one_clear_line():
    out = CliRunner().invoke(floor_sim, ["--agents", "0", "--hours", "1", "--json"])
    assert out.exit_code != 0 and "--agents" in out.output


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
