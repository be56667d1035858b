"""A paced tick: read the floor in one round trip, let the campaign's pacing strategy size the batch, dial it.

The Dialer's own tick (claim, contact rule, CRNs, REST, bookkeeping) is unchanged; this only decides how many cases
it may take, and records the calls it placed as in flight so that the answer webhook connects them at answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ivr import clock
from ivr.dialer.batch import Dialer, TickReport
from ivr.dialer.floor import ROLLING_DAYS, Floor, FloorSettings, days_back
from ivr.dialer.pacing import Estimates, FloorSnapshot, Limits, Pacer, estimates_from, pacer_for

#: Same hour on this many earlier days, plus the last two hours, feed the rolling estimates.
EARLIER_DAYS = 7
#: An in-flight call with no answer and no final status after this long is forgotten (its callback was lost).
STALE_IN_FLIGHT_SECONDS = 180


@dataclass
class PacedTick:
    mode: str
    calls: int
    snapshot: FloorSnapshot
    report: TickReport | None


class PacedDialer:
    def __init__(self, dialer: Dialer, floor: Floor, settings: FloorSettings, inbound_queue: str = "acs"):
        self.dialer = dialer
        self.floor = floor
        self.settings = settings
        self.inbound_queue = inbound_queue
        self.max_calls: int | None = None  # the per-tick ceiling, when the dialer's own pacing is not the clock's
        self._past: tuple[str, int, int] | None = None  # (today, humans, abandoned) of the 29 days before today

    def snapshot(self, now: float) -> tuple[str, FloorSnapshot]:
        keys, floor = self.floor.keys, self.floor
        campaign = floor.campaign
        hour = int(now // 3600)
        hour_keys = [keys.floor_hour(campaign, h) for h in (hour, hour - 1, hour - 2)]
        hour_keys += [keys.floor_hour(campaign, hour - 24 * d) for d in range(1, EARLIER_DAYS + 1)]
        today = days_back(now, 1)[0]
        pipe = self.floor.redis.pipeline(transaction=False)
        pipe.hget(keys.floor_campaign(campaign), "mode")
        pipe.zcard(keys.floor_ready())
        pipe.zrange(keys.floor_wrap(), 0, -1, withscores=True)
        pipe.zrange(keys.floor_talking(), 0, -1, withscores=True)
        pipe.zremrangebyscore(keys.floor_in_flight(campaign), "-inf", now - STALE_IN_FLIGHT_SECONDS)
        pipe.zrange(keys.floor_in_flight(campaign), 0, -1, withscores=True)
        pipe.zcard(keys.floor_waiting())
        pipe.zcard(keys.queue_waiting(self.inbound_queue))
        pipe.hgetall(keys.floor_day(campaign, today))
        for key in hour_keys:
            pipe.hgetall(key)
        if self._past is None or self._past[0] != today:
            for day in days_back(now, ROLLING_DAYS)[1:]:
                pipe.hgetall(keys.floor_day(campaign, day))
        rows = pipe.execute()
        mode, ready, wraps, talks, _, in_flight, waiting_live, waiting_inbound, day = rows[:9]
        hours = rows[9 : 9 + len(hour_keys)]
        if self._past is None or self._past[0] != today:
            past = rows[9 + len(hour_keys) :]
            self._past = (today, sum(_int(d, "human") for d in past), sum(_int(d, "abandoned") for d in past))
        snapshot = FloorSnapshot(
            now=now,
            signed_in=int(ready) + len(wraps) + len(talks),
            ready=int(ready),
            wrap_ends=[score for _, score in wraps],
            talk_starts=[score for _, score in talks],
            in_flight=[score for _, score in in_flight],
            waiting_live=int(waiting_live),
            waiting_inbound=int(waiting_inbound),
            estimates=estimates_from(hours, Estimates(wrap_mean=self.settings.wrap_seconds)),
            humans_30d=self._past[1] + _int(day, "human"),
            abandoned_30d=self._past[2] + _int(day, "abandoned"),
        )
        return mode or "predictive", snapshot

    def limits(self) -> Limits:
        return Limits(
            max_calls=self.max_calls if self.max_calls is not None else self.dialer.settings.tick_limit(),
            lines_per_employee=self.settings.lines_per_employee,
            max_abandon_percent=self.settings.max_abandon_percent,
            wrap_seconds=self.settings.wrap_seconds,
        )

    def pacer(self, mode: str, snapshot: FloorSnapshot) -> Pacer:
        return pacer_for(mode, snapshot.signed_in)

    def tick(self, on_claimed: Callable[[list[str]], None] | None = None) -> PacedTick:
        """One pacing tick; with nobody signed in it is today's agentless tick (message mode).

        `on_claimed` runs once the batch is claimed (see Dialer.tick): workers use it to hand on the next batch."""
        now = clock.now()
        mode, snapshot = self.snapshot(now)
        pacer = self.pacer(mode, snapshot)
        calls = pacer.calls(snapshot, self.limits())
        if pacer.name == "message":
            return PacedTick("message", calls, snapshot, self.dialer.tick(on_claimed=on_claimed))
        if calls <= 0:
            return PacedTick(pacer.name, 0, snapshot, None)
        report = self.dialer.tick(limit=calls, on_claimed=on_claimed)
        self.floor.placed({attempt_id: now for attempt_id in report.placed}, now)
        return PacedTick(pacer.name, calls, snapshot, report)


def _int(row: dict, name: str) -> int:
    try:
        return int(float(row.get(name) or 0))
    except ValueError:
        return 0
