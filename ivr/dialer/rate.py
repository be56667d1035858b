"""The calls-per-second ceiling shared by every worker: slots granted by Redis on its own clock.

Each call takes a slot just before its REST request goes out and gives it back when Twilio has answered. A slot
keeps counting for a window of `max(1 s, n/cps) + MARGIN_SECONDS` after that answer, and at most `n = floor(cps)`
(at least one) may count at once. Twilio receives a request after its slot was granted and before it answers,
so any `n + 1` calls reach Twilio more than a window apart: at most `n` in any second, however many workers and
threads dial and however late a request leaves a busy machine. Grants are also spaced window/n apart, so calls
flow evenly rather than in bursts. Redis TIME is the only clock: skewed workers or a virtual clock cannot loosen it.
"""

from __future__ import annotations

import math
import secrets
import time

import redis

from ivr.keys import KeySchema

#: Slack added to each window, so rounding and clock reads never let one more call into a second.
MARGIN_SECONDS = 0.02
#: A slot whose holder never gave it back (a worker killed mid-request) stops counting after this long.
ABANDONED_SLOT_SECONDS = 30.0
#: Longest single sleep between asks (the wait is re-asked, so a freed slot is noticed soon).
MAX_NAP_SECONDS = 0.25

# Take a slot if fewer than ARGV[1] count and the last grant is ARGV[3] old; else return the seconds to wait.
# KEYS: slots (zset token → when it stops counting), last (string: last grant). ARGV: n, window, spacing,
# token, abandoned.
_GRANT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n, window, spacing = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local wait = tonumber(redis.call('GET', KEYS[2]) or '0') + spacing - now
if redis.call('ZCARD', KEYS[1]) >= n then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  wait = math.max(wait, tonumber(first[2]) - now)
end
if wait > 0 then return string.format('%.6f', wait) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[5]) + window, ARGV[4])
redis.call('SET', KEYS[2], string.format('%.6f', now), 'PX', math.ceil(spacing * 1000) + 60000)
redis.call('PEXPIRE', KEYS[1], math.ceil((tonumber(ARGV[5]) + window) * 1000) + 1000)
return '0'
"""
# Twilio answered: the slot counts for one more window from now. KEYS: slots. ARGV: token, window.
_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1]) end
return 1
"""


def window_for(max_cps: float) -> tuple[int, float]:
    """(n, window seconds): n calls may count within a window."""
    per_window = max(1, math.floor(max_cps))
    return per_window, max(1.0, per_window / max_cps) + MARGIN_SECONDS


class CallRate:
    """`slot = acquire()` before sending a call, `release(slot)` once Twilio has answered (or failed)."""

    def __init__(self, client: redis.Redis, keys: KeySchema, max_cps: float):
        self.keys = [keys.dialer_rate(), keys.dialer_rate_last()]
        self.per_window, self.window = window_for(max_cps)
        self.spacing = self.window / self.per_window
        self._grant = client.register_script(_GRANT)
        self._release = client.register_script(_RELEASE)

    def try_acquire(self, token: str, pipe: redis.client.Pipeline | None = None) -> float | None:
        """Take a slot now (0.0) or say how many seconds until one may be free (nothing taken). With `pipe`,
        queued there: its reply, as a float, says the same."""
        args = [self.per_window, f"{self.window:.6f}", f"{self.spacing:.6f}", token, ABANDONED_SLOT_SECONDS]
        if pipe is not None:
            self._grant(keys=self.keys, args=args, client=pipe)
            return None
        return float(self._grant(keys=self.keys, args=args))

    @staticmethod
    def new_token() -> str:
        return secrets.token_hex(8)

    def acquire(self) -> str:
        """Wait for a slot; returns its token for `release`."""
        token = self.new_token()
        while (wait := self.try_acquire(token)) > 0:
            time.sleep(min(wait, MAX_NAP_SECONDS))
        return token

    def release(self, token: str, pipe: redis.client.Pipeline | None = None) -> None:
        """Give the slot back now (or as the first command of `pipe`, sent straight after)."""
        self._release(keys=self.keys[:1], args=[token, f"{self.window:.6f}"], client=pipe)
