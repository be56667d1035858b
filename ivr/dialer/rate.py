"""The calls-per-second ceiling shared by every worker: one slot at a time, granted by Redis on its own clock.

Each call asks for its slot just before its REST request goes out, so however many workers and threads dial,
calls leave at most `floor(ACS_MAX_CPS)` per second (one per `1/ACS_MAX_CPS` seconds for a ceiling under one).
Redis TIME is the only clock involved: workers' skewed clocks or the dialer's virtual clock cannot loosen it.
Grants are spaced slightly wider than the ceiling (`MARGIN_SECONDS` per window) so jitter between the grant and
the request reaching Twilio does not squeeze one more call into a second.
"""

from __future__ import annotations

import math
import time

import redis

from ivr.keys import KeySchema

#: Slack added to each one-second window, absorbing jitter between a grant and Twilio receiving the request.
MARGIN_SECONDS = 0.05
#: Longest single sleep between asks (the wait is re-asked, so a freed slot is noticed soon).
MAX_NAP_SECONDS = 0.5

# Grant one slot if the previous grant is at least ARGV[1] seconds old (Redis TIME); else return the wait.
# KEYS: rate. ARGV: spacing seconds.
_GRANT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local spacing = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local wait = last + spacing - now
if wait > 0 then return string.format('%.6f', wait) end
redis.call('SET', KEYS[1], string.format('%.6f', now), 'PX', math.ceil(spacing * 1000) + 60000)
return '0'
"""


def spacing_for(max_cps: float) -> float:
    """Seconds between two grants: `n` calls per window of max(1 s, n/cps), n = floor(cps), plus the margin."""
    per_window = max(1, math.floor(max_cps))
    window = max(1.0, per_window / max_cps) + MARGIN_SECONDS
    return window / per_window


class CallRate:
    """`acquire()` blocks until this process may send one call under the shared ceiling."""

    def __init__(self, client: redis.Redis, keys: KeySchema, max_cps: float):
        self.key = keys.dialer_rate()
        self.spacing = spacing_for(max_cps)
        self._grant = client.register_script(_GRANT)

    def try_acquire(self) -> float:
        """Take a slot now (0.0) or say how many seconds until one may be free (nothing taken)."""
        return float(self._grant(keys=[self.key], args=[f"{self.spacing:.6f}"]))

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for a slot; False if `timeout` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = self.try_acquire()
            if wait <= 0:
                return True
            if deadline is not None and time.monotonic() + wait > deadline:
                return False
            time.sleep(min(wait, MAX_NAP_SECONDS))
