"""Pacing on a simulated floor: progressive vs predictive at 5, 20 and 50 employees, in one run.

Each row is one `acs floor-sim` (the real dialer ticks, webhooks and Redis on the emulator's virtual clock), run in
its own process (two at a time). Goals (issue 11): abandonment ≤ 3 % at every size in every seed, occupancy ≥ 0.78
at 20 employees and ≥ 1.2 × progressive in the same run.

    python -m bench.pacing [--hours 8] [--seeds 1 2] [--sizes 5 20 50] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one(agents: int, mode: str, hours: float, seed: int) -> dict:
    command = [sys.executable, "-m", "ivr", "floor-sim", "--agents", str(agents), "--hours", str(hours)]
    command += ["--mode", mode, "--seed", str(seed), "--json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 20, 50])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    runs = [(a, m, args.hours, s) for s in args.seeds for a in args.sizes for m in ("progressive", "predictive")]
    longest_first = sorted(runs, key=lambda r: -r[0])  # so the two processes finish together
    with ThreadPoolExecutor(args.jobs) as pool:
        done = dict(zip(longest_first, pool.map(lambda r: one(*r), longest_first), strict=True))
    rows = [done[r] for r in runs]
    header = f"{'seed':>4} {'agents':>6} {'mode':<12} {'placed':>7} {'humans':>6} {'abandon%':>8} {'occupancy':>9}"
    header += f" {'vs prog':>7} {'max wait s':>10} {'max cps':>7} {'run s':>6}"
    print(header)
    ok = True
    progressive = {(r["seed"], r["agents"]): r["occupancy"] for r in rows if r["mode"] == "progressive"}
    for r in rows:
        ratio = (
            r["occupancy"] / progressive[(r["seed"], r["agents"])] if progressive.get((r["seed"], r["agents"])) else 0
        )
        print(
            f"{r['seed']:>4} {r['agents']:>6} {r['mode']:<12} {r['placed']:>7} {r['human_answers']:>6} "
            f"{r['abandon_percent']:>8.2f} {r['occupancy']:>9.3f} {ratio:>7.3f} {r['max_wait_seconds']:>10.2f} "
            f"{r['max_calls_per_second']:>7} {r['run_seconds']:>6.0f}"
        )
        ok &= r["abandon_percent"] <= 3.0
        if r["mode"] == "predictive" and r["agents"] == 20:
            ok &= r["occupancy"] >= 0.78 and ratio >= 1.2
    print(
        f"goals (abandon ≤3 % everywhere; at 20: occupancy ≥0.78 and ≥1.2× progressive): {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
