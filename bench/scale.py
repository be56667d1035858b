"""Scale: import 10k / 100k / 1M cases, and what an import of that size costs everyone else.

For each size, on a fresh private redis-server: practitioners, then `acs import cases` as a real process (its
peak RSS from wait4), with a prober PINGing Redis every 5 ms and signed POSTs to /voice/acs/tin running against
the app throughout; then authorizations; then Redis bytes per case (INFO used_memory before/after the cases) and
dialer tick time (median of 5 ticks of 50 cases into an in-process emulator). Goals are printed beside the figures.
Absolute numbers on a shared 2-core machine are noisy: the import's CPU-bound rate (rows / CPU seconds of the
importer and Redis) is printed too, and tick time is compared as the largest size over the smallest.

    python -m bench.scale [--sizes 10000,100000,1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
from cryptography.fernet import Fernet
from twilio.request_validator import RequestValidator

from bench._support import private_redis
from bench.synthetic import inventory, tin_for

REPO = Path(__file__).resolve().parents[1]
PUBLIC_BASE_URL = "https://scale.bench.test"
AUTH_TOKEN = "bench-token-not-a-secret"
MIDDAY = 1_796_241_600.0  # Wednesday 2026-12-02 20:00 UTC: an office day, inside the calling window everywhere
GOALS = {"rows_per_second": 20_000, "peak_rss_mb": 300, "bytes_per_case": 1024, "ping_ms": 50, "tick_ratio": 1.5}


def _env(url: str, tmp: Path) -> dict[str, str]:
    return {
        "REDIS_URL": url,
        "ACS_DATA_DIR": str(tmp / "var"),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "ACS_FROM_NUMBER": "+18008293903",
        "ACS_SECRET_KEY": "bench-secret-not-a-secret",
        "ACS_MAX_CPS": "1000000",
        "ACS_DATA_KEY": Fernet.generate_key().decode(),  # throw-away: the bench's Redis dies with it
    }


def _import(kind: str, path: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Run `acs import KIND PATH` from this tree; (seconds, peak RSS in MB, CPU seconds)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "ivr", "import", kind, str(path)],
        cwd=REPO,
        env={**os.environ, **env, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"acs import {kind} failed: {process.stderr.read().decode()[-2000:]}")
    process.stderr.close()
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


class Prober(threading.Thread):
    """PING every 5 ms; the worst round trip is what a webhook would have waited on Redis."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.client = redis.Redis.from_url(url)
        self.stop = threading.Event()
        self.worst = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            self.client.ping()
            self.worst = max(self.worst, time.perf_counter() - started)
            time.sleep(0.005)


class Webhooks(threading.Thread):
    """Signed POSTs to /voice/acs/tin (a keyed SSN matched against the cases) through the app, timed."""

    def __init__(self, env: dict[str, str], ssn_digits: str):
        super().__init__(daemon=True)
        from ivr import create_app
        from ivr.config import Config

        self.app = create_app(Config.from_env(env))
        self.client = self.app.test_client()
        self.form = {"CallSid": "CA" + "c" * 32, "From": "+12125550101", "To": "+18008293903", "Digits": ssn_digits}
        self.signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + "/voice/acs/tin", self.form)
        self.stop = threading.Event()
        self.samples: list[float] = []

    def once(self) -> float:
        started = time.perf_counter()
        response = self.client.post("/voice/acs/tin", data=self.form, headers={"X-Twilio-Signature": self.signature})
        assert response.status_code == 200, response.status_code
        return time.perf_counter() - started

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(self.once())
            time.sleep(0.01)

    def idle_p99(self, count: int = 300) -> float:
        return _p99([self.once() for _ in range(count)])


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] if len(samples) >= 2 else (samples or [0.0])[0]


def _tick_seconds(url: str, env: dict[str, str]) -> float:
    """Median wall time of 5 dialer ticks of 50 due cases, placing into an in-process emulator."""
    from emulator.emulator import Emulator
    from emulator.engine import VirtualClock
    from emulator.sdk import WsgiHttpClient
    from ivr import clock
    from ivr.config import Config
    from ivr.dialer.batch import Dialer, DialerSettings
    from ivr.dialer.placing import TwilioPlacer
    from ivr.keys import KeySchema
    from ivr.twilio_client import rest_client

    config = Config.from_env(env)
    emu = Emulator(config.twilio_account_sid, config.twilio_auth_token, clock=VirtualClock())
    settings = DialerSettings(max_cps=1_000_000.0, batch_size=50, concurrency=4)
    placer = TwilioPlacer(rest_client(config, WsgiHttpClient(emu.wsgi_app)), config, settings.ring_timeout)
    client = redis.Redis.from_url(url, decode_responses=True)
    dialer = Dialer(client, KeySchema(config.key_prefix), placer, settings)
    started = time.monotonic()
    clock.use(lambda: MIDDAY + time.monotonic() - started)
    try:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            report = dialer.tick(limit=50)
            times.append(time.perf_counter() - t)
            assert len(report.placed) == 50, report.summary()
        return statistics.median(times)
    finally:
        clock.use(None)
        dialer.close()
        client.close()


def measure(size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="acs-scale-") as tmp_name, private_redis() as url:
        tmp = Path(tmp_name)
        files = inventory(tmp, size)
        env = _env(url, tmp)
        client = redis.Redis.from_url(url)
        _import("practitioners", files["practitioners"], env)
        webhooks = Webhooks(env, tin_for(2).replace("-", ""))
        idle = webhooks.idle_p99()
        before = client.info("memory")["used_memory"]
        cpu_before = _redis_cpu(client)
        client.config_set("slowlog-log-slower-than", 5000)  # µs: every command over 5 ms, server time
        client.config_set("slowlog-max-len", 10000)
        client.slowlog_reset()
        prober = Prober(url)
        prober.start()
        webhooks.start()
        seconds, rss_mb, cpu = _import("cases", files["cases"], env)
        prober.stop.set()
        webhooks.stop.set()
        prober.join()
        webhooks.join()
        redis_cpu = _redis_cpu(client) - cpu_before
        slow = max(client.slowlog_get(10000), key=lambda entry: entry["duration"], default=None)
        slowest = slow["duration"] / 1000 if slow else 0.0
        slowest_name = slow["command"].split(b" ", 2)[:2] if slow else [b""]  # command and first argument
        per_case = (client.info("memory")["used_memory"] - before) / size
        auth_seconds, auth_rss, _ = _import("authorizations", files["authorizations"], env)
        tick = _tick_seconds(url, env)
        client.close()
        return {
            "cases": size,
            "rows_per_second": size / seconds,
            "rows_per_cpu_second": size / (cpu + redis_cpu),
            "peak_rss_mb": max(rss_mb, auth_rss),
            "bytes_per_case": per_case,
            "worst_ping_ms": prober.worst * 1000,
            "slowest_command_ms": slowest,
            "slowest_command": b" ".join(slowest_name).decode(errors="replace")[:60],
            "webhook_p99_idle_ms": idle * 1000,
            "webhook_p99_import_ms": _p99(webhooks.samples) * 1000,
            "authorizations_per_second": (size // 5) / auth_seconds,
            "tick_seconds": tick,
        }


def _redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def table(results: list[dict]) -> str:
    rows = [
        ("import rows/s (wall)", "rows_per_second", "{:,.0f}", f"≥ {GOALS['rows_per_second']:,}"),
        ("import rows/CPU-s (importer+Redis)", "rows_per_cpu_second", "{:,.0f}", "(2 cores: ~2× if alone)"),
        ("peak RSS of the import, MB", "peak_rss_mb", "{:.0f}", f"≤ {GOALS['peak_rss_mb']}"),
        ("Redis bytes per case", "bytes_per_case", "{:.0f}", f"≤ {GOALS['bytes_per_case']}"),
        ("slowest Redis command during import, ms", "slowest_command_ms", "{:.1f}", f"< {GOALS['ping_ms']}"),
        ("worst PING during import (client side), ms", "worst_ping_ms", "{:.1f}", f"< {GOALS['ping_ms']}"),
        ("/voice/acs/tin p99 idle, ms", "webhook_p99_idle_ms", "{:.1f}", ""),
        ("/voice/acs/tin p99 during import, ms", "webhook_p99_import_ms", "{:.1f}", "≈ idle"),
        ("authorizations/s (wall)", "authorizations_per_second", "{:,.0f}", ""),
        ("dialer tick (50 calls), ms", "tick_seconds", "{:.0f}", "flat"),
    ]
    header = "| figure | " + " | ".join(f"{r['cases']:,} cases" for r in results) + " | goal |"
    lines = [header, "|---" * (len(results) + 2) + "|"]
    for label, key, fmt, goal in rows:
        scale = 1000 if key == "tick_seconds" else 1
        lines.append(f"| {label} | " + " | ".join(fmt.format(r[key] * scale) for r in results) + f" | {goal} |")
    if len(results) > 1:
        ratio = results[-1]["tick_seconds"] / results[0]["tick_seconds"]
        lines.append(
            f"| tick time {results[-1]['cases']:,} / {results[0]['cases']:,} | {ratio:.2f}"
            + " |" * (len(results) - 1)
            + f" ≤ {GOALS['tick_ratio']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated case counts")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    sizes = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    results = [measure(size) for size in sizes]
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
