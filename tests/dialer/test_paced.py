"""The paced dialer's view of the floor: one read per tick, pickups lined up with the calls in flight."""

from __future__ import annotations

import pytest
from dialer_support import MIDDAY

from ivr.dialer.floor import Event, Floor, FloorSettings
from ivr.dialer.paced import STALE_IN_FLIGHT_SECONDS, PacedDialer
from ivr.dialer.placing import Failure, PlacementError

NOW = 1_795_701_600.0


def test_the_snapshot_lines_pickups_up_with_the_calls_in_flight_and_forgets_stale_ones(redis, keys):
    floor = Floor(redis, keys)
    paced = PacedDialer(None, floor, FloorSettings())  # the snapshot needs no dialer
    floor.placed({"AT1": NOW - 9, "AT2": NOW - 8, "AT3": NOW - 7}, NOW - 7)
    assert floor.picked_up("AT2", NOW - 3)
    _, snapshot = paced.snapshot(NOW)
    assert snapshot.in_flight == [NOW - 9, NOW - 8, NOW - 7] and snapshot.picked_up == [None, NOW - 3, None]
    later = NOW - 3 + STALE_IN_FLIGHT_SECONDS + 1  # the callbacks were lost: call and pickup both forgotten
    _, snapshot = paced.snapshot(later)
    assert snapshot.in_flight == [] and snapshot.picked_up == []
    assert redis.zcard(keys.floor_picked_up("default")) == 0


def test_a_paced_tick_settles_with_the_read_its_snapshot_made(app, dialer, redis, keys):
    """The settle pass's first read rides on the snapshot's round trip; the tick still reaps what it found."""
    svc = app.extensions["acs"]
    paced = PacedDialer(dialer, svc.floor, FloorSettings(), svc.config.queue_name)
    redis.zadd(keys.attempts_placing(), {"AT-LOST": MIDDAY - 7200})  # its worker died mid-request, long ago
    ticked = paced.tick()  # nobody signed in: the agentless tick, which settles each time
    assert ticked.mode == "message" and ticked.report is not None
    assert redis.zscore(keys.attempts_placing(), "AT-LOST") is None


@pytest.mark.parametrize(
    ("mode", "events"), [("predictive", {"answered", "completed"}), ("progressive", {"completed"})]
)
def test_only_predictive_pacing_asks_twilio_for_the_pickup(app, dialer, emu, mode, events):
    """The `answered` event feeds the predictive pacer's pickup model; in other modes it would be a webhook per
    picked-up call for nothing (message mode's agentless calls ask only for `completed` too: test_batch)."""
    svc = app.extensions["acs"]
    paced = PacedDialer(dialer, svc.floor, FloorSettings(), svc.config.queue_name)
    svc.floor.set_mode(mode)
    svc.floor.apply("cat", Event.READY, emu.engine.clock.datetime().timestamp())  # one employee ready
    ticked = paced.tick()
    assert ticked.mode == mode and len(ticked.report.placed) == 1
    ((sid,),) = [ticked.report.placed.values()]
    assert emu.legs[sid].callbacks.status_events == events


def test_the_snapshot_forgets_callers_left_waiting_on_the_floors_queue_by_a_lost_action(redis, keys):
    """A live answer waits on the floor's queue a second or two; one whose queue action and final status were both
    lost would otherwise hold an employee for it on every tick, for good."""
    floor = Floor(redis, keys)
    paced = PacedDialer(None, floor, FloorSettings())
    floor.live_answer("CA" + "1" * 32, "AT1", NOW - 2)
    _, snapshot = paced.snapshot(NOW)
    assert snapshot.waiting_live == 1
    _, snapshot = paced.snapshot(NOW - 2 + STALE_IN_FLIGHT_SECONDS + 1)
    assert snapshot.waiting_live == 0 and redis.zcard(keys.floor_waiting()) == 0


class _Refusing:
    """Twilio refuses the calls of a batch whose index is in `refuse` (one for good, one for a moment)."""

    def __init__(self, placer, refuse):
        self.placer, self.refuse, self.sent = placer, refuse, 0

    def place(self, call):
        self.sent += 1
        if self.sent in self.refuse:
            raise PlacementError(self.refuse[self.sent], "refused")
        return self.placer.place(call)


def test_a_batch_is_in_flight_before_it_goes_out_and_only_what_twilio_took_stays(app, dialer, emu, keys):
    """Several calls are put in flight before the first goes out (a person may answer it before the last is
    placed); the calls Twilio refused leave at the batch's end, and the day counts only those placed."""
    svc = app.extensions["acs"]
    paced = PacedDialer(dialer, svc.floor, FloorSettings(), svc.config.queue_name)
    svc.floor.set_mode("progressive")
    now = emu.engine.clock.datetime().timestamp()
    for name in ("ann", "bob", "cat", "dan"):
        svc.floor.apply(name, Event.READY, now)
    seen = []
    dialer.placer = _Refusing(dialer.placer, {2: Failure.PERMANENT, 3: Failure.TRANSIENT})
    original = svc.floor.in_flight_ahead
    svc.floor.in_flight_ahead = lambda planned: (seen.append(dict(planned)), original(planned))
    ticked = paced.tick()
    assert len(seen) == 1 and len(seen[0]) == 4  # all four, before the first went out
    assert len(ticked.report.placed) == 2
    in_flight = svc.redis.zrange(keys.floor_in_flight("default"), 0, -1)
    assert sorted(in_flight) == sorted(ticked.report.placed)
    assert svc.floor.day_stats(now)[0]["placed"] == "2"


def test_a_paced_tick_hands_its_next_to_no_other_worker_before_its_calls_are_in_flight(app, emu, virtual_clock):
    """Workers hand a full batch's next tick to another worker at once (workers.jobs._hand_on: more are due). In
    message mode that shares the dialing; a paced tick must not: the other worker's tick reads the floor before
    this tick's calls are in flight and dials for the same ready employees again (progressive: two calls each)."""
    from dialer_support import make_dialer

    from ivr.sample_data import load_sample_data

    svc = app.extensions["acs"]
    load_sample_data(svc.redis, svc.keys)
    svc.floor.set_mode("progressive")
    now = emu.engine.clock.datetime().timestamp()
    for name in ("ann", "bob"):
        svc.floor.apply(name, Event.READY, now)
    workers = [make_dialer(app, emu, batch_size=2) for _ in range(2)]
    first, second = (PacedDialer(d, svc.floor, FloorSettings(), svc.config.queue_name) for d in workers)
    ticks = []

    def hand_on(claimed):  # as workers.jobs._hand_on, with the other worker picking the job up at once
        if len(claimed) >= workers[0].settings.tick_limit():
            ticks.append(second.tick())

    try:
        ticks.append(first.tick(on_claimed=hand_on))
    finally:
        for d in workers:
            d.close()
    placed = sum(len(t.report.placed) for t in ticks if t.report is not None)
    assert placed == 2  # one call per ready employee
