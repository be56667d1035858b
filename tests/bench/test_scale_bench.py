"""bench/scale.py runs end to end at a tiny size and prints every figure with its goal."""

from __future__ import annotations

from bench import scale


def test_the_scale_benchmark_runs_at_a_tiny_size(capsys):
    assert scale.main(["--sizes", "300,600"]) == 0
    out = capsys.readouterr().out
    for figure in ("import rows/s", "peak RSS", "Redis bytes per case", "worst PING", "p99 during import", "tick"):
        assert figure in out
    assert "tick time 600 / 300" in out
