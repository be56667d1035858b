"""`acs emulator`: bad flags and a taken port are one line, never a traceback; loopback only; SIGTERM stops it
like Ctrl-C (the transcript is still printed)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.cli import emulator_command

REPO = Path(__file__).resolve().parents[2]


def _one_line(result) -> str:
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in result.output, result.output
    assert line.startswith("emulator: "), line
    return line


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_one_line_naming_the_flag(port):
    result = CliRunner().invoke(emulator_command, ["--port", port])
    assert result.exit_code == 2 and "--port" in _one_line(result)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "::1", "example.com", ""])
def test_an_address_other_than_loopback_is_refused(host):
    """The emulator takes calls and serves every transcript to whoever reaches it: loopback only."""
    result = CliRunner().invoke(emulator_command, ["--host", host, "--port", "0"])
    assert result.exit_code == 2
    line = _one_line(result)
    assert "--host" in line and "loopback" in line


def test_a_port_already_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(emulator_command, ["--port", str(port)])
    assert result.exit_code == 1
    line = _one_line(result)
    assert f"127.0.0.1:{port}" in line and "in use" in line and "--port 0" in line


def test_sigterm_stops_it_like_ctrl_c():
    """It shuts the server down and prints the transcript, exit status 0, as after Ctrl-C (not killed outright)."""
    env = os.environ | {"PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "emulator", "emulator", "--port", "0", "--host", "localhost"]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        try:
            first = process.stdout.readline()
            assert first.startswith("Twilio emulator listening"), first  # printed once the handler is in place
            process.send_signal(signal.SIGTERM)
            rest = process.stdout.read()
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0 and "Traceback" not in rest and "Aborted" not in rest, rest
