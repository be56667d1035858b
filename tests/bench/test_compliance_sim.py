"""A small national simulation (bench/compliance.py): a week of dialing across every US zone, zero violations.

The checker reads only the emulator's call log and the seed, with its own zone table and holiday list.
"""

from __future__ import annotations

from bench.compliance import CLOSED_DATE, simulate
from ivr import create_app
from ivr.config import Config


def test_a_week_of_dialing_breaks_no_rule(config_overrides, redis):
    app = create_app(Config.from_env({**config_overrides, "ACS_CLOSED_DATES": CLOSED_DATE}))
    try:
        result = simulate(app, count=60, days=7, seed_value=3, step=1800)
    finally:
        app.extensions["acs"].redis.close()
    assert result["violations"] == {}, result["examples"]
    assert result["calls"] > 60 and result["answered_by_human"] > 0
    assert len(result["zones"]) >= 13
