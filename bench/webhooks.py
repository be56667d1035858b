"""Webhook throughput: POST /voice/acs under gunicorn vs a bare Flask route returning static TwiML.

Both run under gunicorn with the same worker count on loopback and are loaded by wrk with the same number of
connections and the same signed form body; the figure that matters is the ratio (goal: ≥ 0.8), since absolute
numbers on a shared 2-core machine are noisy. Both servers stay up and are loaded in turn, `--rounds` times, so a
change in the machine's load falls on both; the ratio of each round and their median are printed.

    python -m bench.webhooks [--seconds 10] [--connections 50] [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

from bench._support import free_port, private_redis, wait_for_port

PUBLIC_BASE_URL = "https://bench.example.test"
AUTH_TOKEN = "bench-token-not-a-secret"
FORM = {
    "CallSid": "CA" + "b" * 32,
    "AccountSid": "AC" + "0" * 32,
    "From": "+12125550101",
    "To": "+18008293903",
    "CallStatus": "in-progress",
    "Direction": "inbound",
}

BASELINE_APP = """
from flask import Flask, Response
from twilio.twiml.voice_response import VoiceResponse

app = Flask(__name__)
_BODY = str(VoiceResponse().say("Thank you for calling."))


@app.route("/voice/acs", methods=["POST"])
def static_twiml():
    return Response(_BODY, mimetype="text/xml")
"""

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = "{body}"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-Twilio-Signature"] = "{signature}"
"""


@dataclass
class Run:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match[1]), match[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_wrk(name: str, port: int, script: Path, seconds: int, connections: int) -> Run:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/voice/acs"],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Run(name, rps, _latency_ms(out, "50"), _latency_ms(out, "99"), int(non_2xx[1]) if non_2xx else 0)


def gunicorn(app_spec: str, port: int, workers: int, env: dict[str, str], cwd: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", app_spec],
        env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port)
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    body = urlencode(FORM)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/voice/acs", FORM)
    with tempfile.TemporaryDirectory() as tmp, private_redis() as redis_url:
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT.format(body=body, signature=signature))
        Path(tmp, "baseline_app.py").write_text(BASELINE_APP)
        env = os.environ | {
            "REDIS_URL": redis_url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "ACS_SECRET_KEY": "bench-secret-not-a-secret",
            "PYTHONPATH": os.pathsep.join([tmp, str(Path(__file__).resolve().parents[1])]),
            "ACS_DATA_KEY": Fernet.generate_key().decode(),  # throw-away: the bench's Redis dies with it
        }
        servers = []
        try:
            for name, spec in (("bare Flask static TwiML", "baseline_app:app"), ("acs /voice/acs", "ivr:create_app()")):
                port = free_port()
                servers.append((name, port, gunicorn(spec, port, args.workers, env, tmp)))
                run_wrk(name, port, script, 2, args.connections)  # warm-up
            rounds = [
                [run_wrk(name, port, script, args.seconds, args.connections) for name, port, _ in servers]
                for _ in range(args.rounds)
            ]
        finally:
            for _, _, process in servers:
                process.terminate()
                process.wait(timeout=15)

    ratios = []
    for number, (baseline, acs) in enumerate(rounds, start=1):
        for run in (baseline, acs):
            print(
                f"round {number}  {run.name:<26} {run.requests_per_second:>9.0f} req/s   p50 {run.p50_ms:6.2f} ms   "
                f"p99 {run.p99_ms:6.2f} ms   non-2xx {run.non_2xx}"
            )
        ratios.append(acs.requests_per_second / baseline.requests_per_second)
    print("ratio acs/baseline per round: " + ", ".join(f"{ratio:.2f}" for ratio in ratios))
    print(f"median ratio: {statistics.median(ratios):.2f} (goal >= 0.80)")
    return 0 if all(acs.non_2xx == 0 for _, acs in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
