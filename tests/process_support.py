"""Starting the tree under test as real processes: `python -m ivr ...` with this repository first on the path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def acs(args: list[str], env: dict[str, str], **popen) -> subprocess.Popen:
    """Start `acs ARGS` from this tree (not the installed one), in the repository, with `env` over os.environ."""
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "ivr", *args], cwd=REPO, env=full_env, **popen)


def run_acs(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    process = acs(args, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)
