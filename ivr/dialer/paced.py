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
from ivr.dialer.pacing import Estimates, FloorSnapshot, Limits, Pacer, bucket_sums, estimates_from_read, pacer_for

#: Same hour on this many earlier days, plus the last two hours, feed the rolling estimates.
EARLIER_DAYS = 7
#: An in-flight call with no answer and no final status after this long is forgotten (its callback was lost).
STALE_IN_FLIGHT_SECONDS = 180
#: Reconciling or reaping attempts that lost their callbacks: every few seconds is plenty (the agentless dialer's
#: tick), not on each one-second paced tick.
SETTLE_EVERY_SECONDS = 5.0

# What a tick reads of the floor. KEYS: campaign, ready, wrap, talking, in-flight, waiting live answers, inbound
# queue, today, this hour, picked-up. Of those talking only their number: pacing takes talk as memoryless, so when
# each call began tells it nothing, and a whole sorted set converted to a Lua table and back costs a tick more than
# the rest of the script. Of today's counters, only the two the abandonment rate needs. ARGV: in-flight calls
# placed (and pickups noted) before this are forgotten (their callbacks were lost), and so are callers who joined
# the floor's queue before it (a live answer waits there a second or two: its queue action was lost).
_SNAPSHOT = """
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', ARGV[1])
return {
  redis.call('HGET', KEYS[1], 'mode'),
  redis.call('ZCARD', KEYS[2]),
  redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES'),
  redis.call('ZCARD', KEYS[4]),
  redis.call('ZRANGE', KEYS[5], 0, -1, 'WITHSCORES'),
  redis.call('ZCARD', KEYS[6]),
  redis.call('ZCARD', KEYS[7]),
  redis.call('HMGET', KEYS[8], 'human', 'abandoned'),
  redis.call('HGETALL', KEYS[9]),
  redis.call('ZRANGE', KEYS[10], 0, -1, 'WITHSCORES'),
}
"""


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
        self._read = floor.redis.register_script(_SNAPSHOT)
        self._settled_at = float("-inf")
        self._older: tuple[int, list] | None = None  # (this hour, bucket_sums of the earlier hours it blends in)
        self._settle_read: list[str] | None = None  # the settle pass's first read, made with the snapshot when due
        # The snapshot's key names, built once an hour: they are a function of what the cache is keyed on (the key
        # prefix, the campaign, the inbound queue, today and this hour).
        self._live_keys: tuple[tuple, list[str]] | None = None

    def snapshot(self, now: float) -> tuple[str, FloorSnapshot]:
        """The floor in one round trip and one command (a read-only script: every tick pays for it).
        Past hours' and past days' buckets no longer change: read once, then kept. When the dialer is due to settle,
        its settle pass's first read rides along (the tick hands it on)."""
        keys, floor = self.floor.keys, self.floor
        campaign = floor.campaign
        hour = int(now // 3600)
        today = days_back(now, 1)[0]
        pipe = self.floor.redis.pipeline(transaction=False)
        if self._live_keys is None or self._live_keys[0] != (keys.prefix, campaign, self.inbound_queue, today, hour):
            live_keys = [
                keys.floor_campaign(campaign),
                keys.floor_ready(),
                keys.floor_wrap(),
                keys.floor_talking(),
                keys.floor_in_flight(campaign),
                keys.floor_waiting(),
                keys.queue_waiting(self.inbound_queue),
                keys.floor_day(campaign, today),
                keys.floor_hour(campaign, hour),
                keys.floor_picked_up(campaign),
            ]
            self._live_keys = ((keys.prefix, campaign, self.inbound_queue, today, hour), live_keys)
        self._read(keys=self._live_keys[1], args=[f"{now - STALE_IN_FLIGHT_SECONDS:.3f}"], client=pipe)
        settle_due = self.dialer is not None and now - self._settled_at >= SETTLE_EVERY_SECONDS
        if settle_due:
            self.dialer.queue_settle_read(pipe, now)
        older_hours = [hour - 1, hour - 2] + [hour - 24 * d for d in range(1, EARLIER_DAYS + 1)]
        if self._older is None or self._older[0] != hour:
            for h in older_hours:
                pipe.hgetall(keys.floor_hour(campaign, h))
        if self._past is None or self._past[0] != today:
            for day in days_back(now, ROLLING_DAYS)[1:]:
                pipe.hgetall(keys.floor_day(campaign, day))
        rows = pipe.execute()
        mode, ready, wraps, talking, in_flight, waiting_live, waiting_inbound, day, this_hour, picked = rows[0]
        rest = rows[1:]
        self._settle_read = rest.pop(0) if settle_due else None
        if self._older is None or self._older[0] != hour:
            self._older = (hour, [bucket_sums(bucket) for bucket in rest[: len(older_hours)]])
            rest = rest[len(older_hours) :]
        if self._past is None or self._past[0] != today:
            self._past = (today, sum(_int(d, "human") for d in rest), sum(_int(d, "abandoned") for d in rest))
        day, this_hour, picked = dict(zip(("human", "abandoned"), day, strict=True)), _pairs(this_hour), _pairs(picked)
        snapshot = FloorSnapshot(
            now=now,
            signed_in=int(ready) + len(wraps) // 2 + int(talking),
            ready=int(ready),
            wrap_ends=list(map(float, wraps[1::2])),
            talking=int(talking),
            in_flight=list(map(float, in_flight[1::2])),
            picked_up=[None if (up := picked.get(member)) is None else float(up) for member in in_flight[0::2]],
            waiting_live=int(waiting_live),
            waiting_inbound=int(waiting_inbound),
            estimates=estimates_from_read(
                [bucket_sums(this_hour), *self._older[1]], Estimates(wrap_mean=self.settings.wrap_seconds)
            ),
            humans_30d=self._past[1] + _int(day, "human"),
            abandoned_30d=self._past[2] + _int(day, "abandoned"),
        )
        return (mode or "predictive"), snapshot

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

        `on_claimed` runs once the batch is claimed (see Dialer.tick): workers use it to hand on the next batch.
        In message mode only: another worker's paced tick started meanwhile would read the floor before this
        tick's calls are in flight and dial for the same employees again; a paced tick's successor (scheduled when
        this one ends) decides on the floor as this one leaves it."""
        now = clock.now()
        mode, snapshot = self.snapshot(now)
        pacer = self.pacer(mode, snapshot)
        calls = pacer.calls(snapshot, self.limits())
        if pacer.name == "message":
            report = None
            if calls > 0:
                report = self.dialer.tick(limit=calls, on_claimed=on_claimed, settle_read=self._settle_read)
            return PacedTick("message", calls, snapshot, report)
        if calls <= 0:
            return PacedTick(pacer.name, 0, snapshot, None)
        settle = now - self._settled_at >= SETTLE_EVERY_SECONDS
        if settle:
            self._settled_at = now
        ahead: dict[str, float] = {}

        def sending(planned: dict[str, float]) -> None:
            """A batch of several calls: in flight before the first goes out (a person may answer it before the
            last is placed, and must find it in flight: a live answer)."""
            ahead.update(planned)
            self.floor.in_flight_ahead(planned)

        def placed(pipe, placed) -> None:
            self.floor.placed({a: now for a in placed if a not in ahead}, now, pipe=pipe, count=len(placed))
            self.floor.not_placed([a for a in ahead if a not in placed], pipe)

        report = self.dialer.tick(
            limit=calls,
            settle=settle,
            settle_read=self._settle_read,
            on_placed=placed,
            hear_pickups=pacer.name == "predictive",
            on_sending=sending,
        )
        return PacedTick(pacer.name, calls, snapshot, report)


def _pairs(flat: list) -> dict[str, str]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


def _int(row: dict, name: str) -> int:
    try:
        return int(float(row.get(name) or 0))
    except ValueError:
        return 0
