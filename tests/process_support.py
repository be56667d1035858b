"""Starting the tree under test as real processes: `python -m ivr ...` with this repository first on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def acs_env(env: dict[str, str], without: tuple[str, ...] = ()) -> dict[str, str]:
    """os.environ less the variables starting with `without`, then `env`, with this tree first on the path."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(without)} if without else dict(os.environ)
    return {**base, **env, "PYTHONPATH": str(REPO)}


def acs(
    args: list[str], env: dict[str, str], *, without: tuple[str, ...] = (), cwd: Path = REPO, **popen
) -> subprocess.Popen:
    """Start `acs ARGS` from this tree (not the installed one), with `env` over os.environ (less `without`)."""
    return subprocess.Popen([sys.executable, "-m", "ivr", *args], cwd=cwd, env=acs_env(env, without), **popen)


def run_acs(
    args: list[str], env: dict[str, str], timeout: float = 120, *, without: tuple[str, ...] = (), cwd: Path = REPO
) -> subprocess.CompletedProcess:
    process = acs(args, env, without=without, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def no_state_rules(tmp: Path) -> Path:
    """A state rules file with no states, for tests on the real clock: Massachusetts' 08:00-21:00 would stop a run
    at night (ACS_COMPLIANCE_RULES=<this file>)."""
    path = tmp / "no-state-rules.json"
    path.write_text('{"states": {}}')
    return path
