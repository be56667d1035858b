"""Employee state: the pure transition rules and the Redis repository."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ivr.dialer.floor import Event, Floor, FloorSettings, State, next_state


def test_transitions():
    assert next_state(State.AWAY, Event.READY) is State.READY
    assert next_state(State.READY, Event.BRIDGED) is State.ON_CALL
    assert next_state(State.ON_CALL, Event.CALL_ENDED) is State.WRAP_UP
    assert next_state(State.WRAP_UP, Event.WRAP_TIMEOUT) is State.READY
    assert next_state(State.WRAP_UP, Event.READY) is State.READY
    assert next_state(State.ON_CALL, Event.READY) is State.ON_CALL  # a click cannot end a call
    for state in State:
        assert next_state(state, Event.AWAY) is State.AWAY


def test_repository_keeps_state_time_in_it_and_the_pacing_sets(redis, keys):
    floor = Floor(redis, keys, wrap_seconds=30)
    floor.apply("ann", Event.READY, 100.0)
    assert redis.zscore(keys.floor_ready(), "ann") == 100.0
    floor.apply("ann", Event.BRIDGED, 110.0, kind="outbound", case_id="C1", crn="12345")
    ann = floor.get("ann")
    assert ann.state is State.ON_CALL and ann.call == {"case_id": "C1", "crn": "12345"}
    assert ann.to_json(125.0)["seconds"] == 15
    floor.apply("ann", Event.CALL_ENDED, 170.0)
    assert redis.zscore(keys.floor_wrap(), "ann") == 200.0 and redis.zcard(keys.floor_talking()) == 0
    assert floor.get("ann").call == {}
    assert float(floor.day_stats(170.0)[0]["talk_seconds"]) == 60.0
    floor.apply("ann", Event.AWAY, 180.0)
    assert floor.everyone() == {"ann": "away"} and redis.zcard(keys.floor_wrap()) == 0


def test_a_state_change_writes_the_hash_the_sets_and_the_counters_in_one_script(redis, keys):
    floor = Floor(redis, keys, wrap_seconds=30, campaign="c1")
    floor.bind_line("bob", "CA" + "2" * 32)  # ringing: joining, line bound
    redis.hset(keys.floor_employee("bob"), "own_until", "999.000")
    floor.apply("bob", Event.READY, 3600.0)
    assert redis.hget(keys.floor_employee("bob"), "joining") is None
    floor.apply("bob", Event.BRIDGED, 3610.0, kind="inbound", case_id="C9")
    row = redis.hgetall(keys.floor_employee("bob"))
    assert row["state"] == "on-call" and row["since"] == "3610.000" and "own_until" not in row
    assert redis.zrange(keys.floor_talking(), 0, -1, withscores=True) == [("bob", 3610.0)]
    floor.apply("bob", Event.CALL_ENDED, 3640.5)
    pipe = redis.pipeline(transaction=False)  # two changes queued on one round trip (a wrap-up, then away)
    wrapping = floor.get("bob")
    after = floor.apply_to(wrapping, Event.READY, 3660.0, pipe=pipe)
    floor.apply_to(replace(wrapping, state=after.state, since=after.since), Event.AWAY, 3661.0, pipe=pipe)
    pipe.execute()
    hour = redis.hgetall(keys.floor_hour("c1", 1))
    assert {k: float(v) for k, v in hour.items()} == {
        "talks": 1.0,
        "talk_seconds": 30.5,
        "wraps": 1.0,
        "wrap_seconds": 19.5,
    }
    day = floor.day_stats(3661.0)[0]
    assert day["calls_handled"] == "1" and float(day["talk_seconds"]) == 30.5
    assert redis.ttl(keys.floor_hour("c1", 1)) > 0 and redis.ttl(keys.floor_day("c1", "1970-01-01")) > 0
    row = redis.hgetall(keys.floor_employee("bob"))
    assert row["state"] == "away" and not {"line", "wrap_until", "kind", "case_id"} & set(row)
    assert floor.everyone() == {"bob": "away"}
    assert sum(redis.zcard(k) for k in (keys.floor_ready(), keys.floor_wrap(), keys.floor_talking())) == 0


def test_abandonment_and_connection_are_counted_once_per_call(redis, keys):
    floor = Floor(redis, keys)
    sid = "CA" + "1" * 32
    floor.live_answer(sid, "AT" + "0" * 20, 100.0)
    assert floor.abandoned(sid, 101.0) and not floor.abandoned(sid, 101.5)
    assert floor.connected(sid, 101.6) is None
    day = floor.day_stats(102.0)[0]
    assert day["human"] == "1" and day["abandoned"] == "1"


def test_a_pickup_is_noted_while_in_flight_and_its_verdict_time_measured(redis, keys):
    floor = Floor(redis, keys)
    floor.placed({"AT1": 100.0, "AT2": 100.0}, 100.0)
    assert floor.picked_up("AT1", 104.0) and floor.picked_up("AT2", 105.0)
    assert not floor.picked_up("AT3", 105.0)  # never in flight (or resolved already): nothing is written
    assert redis.zrange(keys.floor_picked_up("default"), 0, -1, withscores=True) == [("AT1", 104.0), ("AT2", 105.0)]
    floor.resolved("AT1", 106.5, "human")
    floor.resolved("AT2", 115.0, "machine")
    assert redis.zcard(keys.floor_picked_up("default")) == 0
    assert not floor.picked_up("AT1", 107.0)  # a late `answered` event after the verdict changes nothing
    hour = redis.hgetall(keys.floor_hour("default", 0))
    assert hour["picked_human"] == "1" and float(hour["verdict_human"]) == 2.5 and float(hour["ring_human"]) == 6.5
    assert float(hour["pickup_human"]) == 4.0 and hour["picked_machine"] == "1" and float(hour["pickup_machine"]) == 5.0


def test_settings_refuse_nonsense():
    assert FloorSettings.from_env({"ACS_MAX_ABANDON_PERCENT": "2.5"}).max_abandon_percent == 2.5
    with pytest.raises(ValueError):
        FloorSettings.from_env({"ACS_MAX_ABANDON_PERCENT": "300"})


def test_an_employee_never_seen_is_away_for_no_time_not_since_1970(redis, keys):
    fresh = Floor(redis, keys, wrap_seconds=30).get("newcomer")
    assert fresh.state is State.AWAY and fresh.to_json(1_796_000_000.0)["seconds"] == 0


@pytest.mark.parametrize("before", ["ready", "wrap-up", "on-call", "away", "garbage", None])
def test_the_bridge_script_writes_what_connected_then_a_bridged_event_wrote(redis, keys, before):
    """Floor.bridged (one script) against the two steps it replaces: _CONNECTED, then apply_to(BRIDGED)."""
    floor = Floor(redis, keys, wrap_seconds=30, campaign="c1")
    sids = {"one": "CA" + "1" * 32, "two": "CA" + "2" * 32}
    written = {}
    for name, sid in sids.items():
        user = "ann-" + name
        floor.live_answer(sid, "AT" + "0" * 20, 100.0, {"case_id": "C1", "crn": "12345", "who": "", "why": "w"})
        if before is not None:
            redis.hset(keys.floor_employee(user), mapping={"state": before, "since": "90.000", "joining": "1"})
            redis.hset(keys.floor_employee(user), mapping={"own_until": "99.000"})
            redis.zadd(keys.floor_ready(), {user: 90.0})
        redis.hset(keys.floor_employee(user), "line", "CA" + "9" * 32)
        if name == "one":
            floor.connected(sid, 100.75)
            live = floor.live(sid)
            context = {"call_sid": sid} | {k: live[k] for k in ("case_id", "crn", "who", "why") if live.get(k)}
            floor.apply_to(floor.get(user), Event.BRIDGED, 100.75, kind="outbound", **context)
        else:
            assert floor.bridged(sid, user, 100.75, "CA" + "9" * 32)["crn"] == "12345"
        row = redis.hgetall(keys.floor_employee(user))
        written[name] = row | {"call_sid": "-"} if "call_sid" in row else row
        for key in (keys.floor_ready(), keys.floor_wrap(), keys.floor_talking()):
            assert redis.zscore(key, user) == (100.75 if key == keys.floor_talking() else None)
        assert floor.everyone()[user] == "on-call"
    assert written["one"] == written["two"]
    day = floor.day_stats(101.0)[0]
    assert day["connected"] == "2" and float(day["wait_seconds"]) == 1.5 and float(day["wait_max"]) == 0.75
    assert redis.zcard(keys.floor_waiting()) == 0
    assert floor.bridged("CA" + "3" * 32, "bob", 102.0, "CA" + "9" * 32) == {}
    assert not redis.exists(keys.floor_employee("bob"))


def test_a_bridge_on_a_leg_that_is_no_longer_the_employees_counts_the_answer_and_leaves_them_alone(redis, keys):
    """Away deleted ann's line but her old leg, not hung up, took a live answer: connected, and ann stays away
    (a state no webhook of that leg would ever end)."""
    floor = Floor(redis, keys, wrap_seconds=30, campaign="c1")
    old, new, sid = "CA" + "1" * 32, "CA" + "2" * 32, "CA" + "3" * 32
    floor.bind_line("ann", old, joining=False)
    floor.apply("ann", Event.READY, 90.0)
    floor.apply("ann", Event.AWAY, 95.0)
    floor.live_answer(sid, "AT" + "0" * 20, 100.0, {"case_id": "C1", "crn": "12345", "who": "", "why": "w"})
    assert floor.bridged(sid, "ann", 100.5, old)["crn"] == "12345"
    ann = floor.get("ann")
    assert ann.state is State.AWAY and ann.call == {} and redis.zscore(keys.floor_talking(), "ann") is None
    assert floor.day_stats(101.0)[0]["connected"] == "1" and redis.zcard(keys.floor_waiting()) == 0
    floor.bind_line("ann", new)  # Ready again: a new leg; the old one still cannot put her on a call
    assert floor.bridged(sid, "ann", 101.0, old)["crn"] == "12345" and floor.get("ann").state is State.AWAY


def _dump(redis) -> dict:
    """Every key's type, content (scores and counters as Redis holds them) and whether it has a TTL."""
    read = {"hash": redis.hgetall, "zset": lambda k: redis.zrange(k, 0, -1, withscores=True), "string": redis.get}
    return {key: (redis.type(key), read[redis.type(key)](key), redis.ttl(key) > 0) for key in redis.keys("*")}


@pytest.mark.parametrize("expected, event", [(State.WRAP_UP, Event.READY), (State.ON_CALL, Event.CALL_ENDED)])
def test_owned_change_writes_what_apply_to_after_a_read_writes(redis, keys, expected, event):
    """The one-round-trip read-and-change leaves Redis byte for byte as the read then apply_to did: the elapsed
    time it works out in Lua reaches HINCRBYFLOAT as the same number (awkward digits, negative times, counters
    already holding a sum)."""
    import random

    rng = random.Random(11)
    floor = Floor(redis, keys, wrap_seconds=27.3, campaign="c1")
    sid = "CA" + "a" * 32
    cases = [(1000.0, 1000.0), (1000.0, 999.999), (0.0, 0.1), (5e-324, 1.0)]
    cases += [(round(rng.uniform(0, 9e5), 3), rng.uniform(0, 9e5)) for _ in range(150)]
    cases += [(since, since + rng.choice([1e-9, 0.1, 1 / 3, 29.999999, 1e6 / 7])) for since, _ in cases[:80]]
    for since, now in cases:
        dumps = []
        for one_trip in (False, True):
            redis.flushdb()
            redis.hset(keys.floor_employee("bob"), mapping={"state": expected.value, "since": f"{since:.3f}"})
            redis.hset(keys.floor_employee("bob"), mapping={"line": sid, "kind": "outbound", "case_id": "C-1"})
            redis.hset(keys.floor_hour("c1", int(now // 3600)), mapping={"wrap_seconds": "12.7", "talk_seconds": "0.1"})
            redis.zadd(keys.queue_waiting("q"), {"x": 1.0})
            if one_trip:
                queue = keys.queue_waiting("q")
                employee, count, mode, changed = floor.owned_change("bob", sid, queue, expected, event, now)
                assert changed and count == 1 and mode is None and employee.state is expected
            else:
                floor.apply_to(floor.get("bob"), event, now)
            dumps.append(_dump(redis))
        assert dumps[0] == dumps[1], (since, now)


@pytest.mark.parametrize(
    "row",
    [
        {"state": "ready"},
        {"state": "on-call", "line": "CA" + "b" * 32},
        {"state": "on-call", "away_after": "1"},
        {"state": "away", "joining": "1"},
        {},
    ],
)
def test_owned_change_only_reads_when_the_employee_is_not_on_this_leg_in_that_state(redis, keys, row):
    floor = Floor(redis, keys)
    sid = "CA" + "a" * 32
    if row:
        redis.hset(keys.floor_employee("bob"), mapping={"line": sid, "since": "5.000"} | row)
    before = _dump(redis)
    employee, count, mode, changed = floor.owned_change("bob", sid, "q", State.ON_CALL, Event.CALL_ENDED, 99.0)
    assert not changed and _dump(redis) == before
    assert employee == floor.get("bob") and count == 0 and mode is None


@pytest.mark.parametrize("employee", ["", "ann"])
def test_resolved_live_writes_what_resolved_then_live_answer_wrote(redis, keys, employee):
    """The answer webhook's one script (an attempt noted at the answered event) against the two calls it replaces."""
    sid, context = "CA" + "1" * 32, {"case_id": "C1", "crn": "12345", "who": "the taxpayer", "why": "w"}
    left, answers = [], []
    for together in (False, True):
        redis.flushall()
        floor = Floor(redis, keys, campaign="c1")
        redis.hset(keys.floor_campaign("c1"), "mode", "preview")
        redis.zadd(keys.floor_ready(), {"ann": 90.0, "bob": 95.0})
        redis.hset(keys.attempt("AT1"), mapping={"case_id": "C1", "employee": employee})
        floor.placed({"AT1": 100.0}, 100.0)
        floor.picked_up("AT1", 103.0)
        if together:
            pipe = redis.pipeline(transaction=False)
            floor.resolved_live(pipe, "AT1", 104.5, True, sid, context, 1.0, employee)
            answers.append(Floor.resolved_live_reply(pipe.execute()[-1], 104.5, 1.0, employee))
        else:
            ring = floor.resolved("AT1", 104.5, "human", verdict_sample=True)
            answers.append((ring, floor.live_answer(sid, "AT1", 104.5, context, 1.0, employee)))
        left.append(_dump(redis))
    assert answers[0] == answers[1] and answers[0][0] == 4.5 and left[0] == left[1]
    assert left[1][keys.floor_live(sid)][1]["crn"] == "12345"


def test_resolved_live_makes_no_live_answer_unless_in_flight_and_as_noted(redis, keys):
    floor = Floor(redis, keys, campaign="c1")
    sid = "CA" + "1" * 32
    redis.hset(keys.attempt("AT1"), mapping={"case_id": "C1", "employee": "ann"})  # named after it was noted
    floor.placed({"AT1": 100.0}, 100.0)
    for attempt_id, ring in (("AT1", 4.5), ("AT2", None)):  # AT2: never in flight (and no attempt hash)
        pipe = redis.pipeline(transaction=False)
        floor.resolved_live(pipe, attempt_id, 104.5, True, sid, {"case_id": "C1"}, 1.0, "")
        assert Floor.resolved_live_reply(pipe.execute()[-1], 104.5) == (ring, None)
    assert not redis.exists(keys.floor_live(sid)) and redis.zcard(keys.floor_waiting()) == 0
    assert redis.hget(keys.floor_hour("c1", 0), "human") == "1"  # the ring time counted once, as resolved does
