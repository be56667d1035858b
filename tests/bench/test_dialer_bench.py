"""A smoke run of bench/dialer.py: it still works, every case gets one attempt, and the Redis cost stays batched.

No timing is asserted (speed is the benchmark's business, as a ratio); round trips per attempt are a count.
"""

from __future__ import annotations

from bench.dialer import run


def test_the_dialer_benchmark_runs_and_stays_within_the_round_trip_budget():
    result = run(cases=300, batch=100, concurrency=1)
    assert result["attempts"] == 300
    assert result["ticks"] >= 3
    assert result["redis_round_trips_per_attempt"] <= 5
    assert result["redis_commands_per_attempt"] < 60
