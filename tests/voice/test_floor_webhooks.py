"""Connect at answer, and the 2-second rule: through the emulator, the real webhooks and Redis."""

from __future__ import annotations

import pytest

from emulator import Employee, Human
from ivr.dialer.floor import Event, FloorSettings, State
from ivr.dialer.floor_phone import go_away, go_ready
from ivr.dialer.paced import PacedDialer

AGENT_PHONE = "+14155550199"


@pytest.fixture
def floor_world(app, emu, dialer):
    svc = app.extensions["acs"]
    paced = PacedDialer(dialer, svc.floor, FloorSettings(), svc.config.queue_name)
    svc.floor.set_mode("progressive")
    return svc, paced


def _answer_and_message_times(emu, callee_sid: str) -> tuple[float, float | None]:
    answer = next(w["t"] for w in emu.webhooks if w["call_sid"] == callee_sid and "/outbound/answer" in w["url"])
    said = [e.t for e in emu.transcript.for_leg(emu.legs[callee_sid].label) if "call us back" in e.text.lower()]
    return answer, (said[0] if said else None)


def _placed_callee(emu) -> str:
    return next(
        sid for sid, leg in emu.legs.items() if leg.record.direction == "outbound-api" and leg.record.to != AGENT_PHONE
    )


def test_a_live_answer_is_bridged_to_the_ready_employee_with_the_case_on_screen(floor_world, emu):
    svc, paced = floor_world
    emu.assign(AGENT_PHONE, Employee(name="ann", talk_seconds=20))
    go_ready(emu.sdk_client(), svc.config, svc.floor, "ann", AGENT_PHONE)
    emu.run(until=emu.engine.now() + 5)
    assert svc.floor.get("ann").state is State.READY
    ticked = paced.tick()
    assert ticked.mode == "progressive" and ticked.calls == 1
    emu.run(until=emu.engine.now() + 15)
    ann = svc.floor.get("ann")
    assert ann.state is State.ON_CALL and ann.kind == "outbound"
    assert ann.call["crn"] and ann.call["case_id"] and ann.call["who"]
    day = svc.floor.day_stats(svc_now(emu))[0]
    assert day["human"] == "1" and day["connected"] == "1" and float(day.get("wait_max", 0)) < 1.0
    emu.run(until=emu.engine.now() + 25)  # the employee hangs up after 20 s: wrap-up
    assert svc.floor.get("ann").state in (State.WRAP_UP, State.AWAY)


def svc_now(emu) -> float:
    return emu.engine.clock.datetime().timestamp()


def test_nobody_free_at_answer_hears_the_message_at_once_and_is_counted(floor_world, emu):
    svc, paced = floor_world
    emu.assign(AGENT_PHONE, Employee(name="bob"))
    go_ready(emu.sdk_client(), svc.config, svc.floor, "bob", AGENT_PHONE)
    emu.run(until=emu.engine.now() + 5)
    paced.tick()
    go_away(emu.sdk_client(), svc.floor, "bob")  # the only employee leaves while the call rings
    emu.run(until=emu.engine.now() + 30)
    answer, message = _answer_and_message_times(emu, _placed_callee(emu))
    assert message is not None and message - answer <= 2.0
    day = svc.floor.day_stats(svc_now(emu))[0]
    assert day["abandoned"] == "1" and day.get("connected") is None


def test_ready_on_paper_but_no_leg_waiting_still_hears_the_message_within_two_seconds(floor_world, emu):
    svc, paced = floor_world
    emu.assign("+14155550123", Human())
    svc.floor.apply("cat", Event.READY, svc_now(emu))  # Redis says ready; no phone leg is waiting
    paced.tick()
    emu.run(until=emu.engine.now() + 30)
    answer, message = _answer_and_message_times(emu, _placed_callee(emu))
    assert message is not None and 0.9 <= message - answer <= 2.0
    assert svc.floor.day_stats(svc_now(emu))[0]["abandoned"] == "1"


def test_a_leg_away_left_behind_never_puts_its_employee_back_on_a_call_for_good(floor_world, emu):
    """Away could not hang ann's leg up (Twilio refused, logged), so it still waits on the floor's queue and takes
    the live answer meant for cat. Ann stays away: the bridge on a leg that is no longer hers does not put her on a
    call that no webhook of hers would ever end (on-call for good: counted signed in, paced for, never free)."""
    svc, paced = floor_world
    emu.assign(AGENT_PHONE, Employee(name="ann", talk_seconds=20))
    go_ready(emu.sdk_client(), svc.config, svc.floor, "ann", AGENT_PHONE)
    emu.run(until=emu.engine.now() + 5)
    old_leg = svc.floor.get("ann").line
    emu.faults.fail_next("calls.update", status=500)  # Twilio refuses the hang-up (logged): the leg stays
    assert go_away(emu.sdk_client(), svc.floor, "ann") == "away"
    svc.floor.apply("cat", Event.READY, svc_now(emu))  # ready on paper: the pacer dials for her
    emu.assign("+14155550123", Human())
    assert paced.tick().calls == 1
    emu.run(until=emu.engine.now() + 60)
    assert svc.redis.get(svc.keys.agent_bridge(old_leg)) or svc.floor.day_stats(svc_now(emu))[0]["connected"] == "1"
    ann = svc.floor.get("ann")
    assert ann.state is State.AWAY and ann.call == {}
    assert svc.redis.zscore(svc.keys.floor_talking(), "ann") is None
    assert svc.floor.everyone()["ann"] == "away"


def test_a_live_answer_whose_queue_action_never_comes_is_abandoned_and_waits_no_more(floor_world, emu, twilio):
    """The callee hung up while Twilio fetched the answer's TwiML: the Enqueue never ran, so its action
    (/floor/left) never comes, only the call's final status. That live answer is counted abandoned (once, however
    often the status repeats) and leaves the floor's waiting set: before, it stayed there for good, and every tick
    took one employee off the free ones for it (the progressive pacer never dialed for cat again)."""
    svc, paced = floor_world
    svc.floor.apply("cat", Event.READY, svc_now(emu))
    ((attempt_id, sid),) = paced.tick().report.placed.items()
    query = {"attempt": attempt_id}
    answer = twilio.post("/voice/outbound/answer", {"CallSid": sid, "AnsweredBy": "human"}, query=query)
    assert "<Enqueue" in answer.get_data(as_text=True)
    for _ in range(2):
        status = {"CallSid": sid, "CallStatus": "completed", "AnsweredBy": "human"}
        assert twilio.post("/voice/outbound/status", status, query=query).status_code == 200
    day = svc.floor.day_stats(svc_now(emu))[0]
    assert day["human"] == "1" and day["abandoned"] == "1" and day.get("connected") is None
    _, snapshot = paced.snapshot(svc_now(emu))
    assert snapshot.waiting_live == 0 and snapshot.in_flight == []
    assert paced.tick().calls == 1  # cat is ready and nobody waits for her


def test_a_call_that_made_no_live_answer_counts_nothing_at_its_end(floor_world, emu, twilio):
    svc, paced = floor_world
    svc.floor.apply("cat", Event.READY, svc_now(emu))
    ((attempt_id, sid),) = paced.tick().report.placed.items()
    status = {"CallSid": sid, "CallStatus": "no-answer"}
    assert twilio.post("/voice/outbound/status", status, query={"attempt": attempt_id}).status_code == 200
    assert "abandoned" not in svc.floor.day_stats(svc_now(emu))[0]
    assert not svc.redis.exists(svc.keys.floor_live(sid))


class _PacedByTheSecond:
    """The dialer's placer as ACS_MAX_CPS=1 paces a batch: each call after the first goes out a second later (the
    phone network moves on meanwhile)."""

    def __init__(self, placer, emu):
        self.placer, self.emu, self.sent = placer, emu, 0

    def place(self, call):
        if self.sent:
            self.emu.run(until=self.emu.engine.now() + 1.0)
        self.sent += 1
        return self.placer.place(call)


def test_a_person_who_answers_before_the_batch_is_all_placed_is_still_a_live_answer(floor_world, emu):
    """A tick's batch goes out at ACS_MAX_CPS (at 1 call/s, a tick of ACS_DIALER_TICK_SECONDS=5 spreads its five
    calls over four seconds, plus each REST request's own time); a person who answers one of its first calls
    before the last is placed must find it in flight: connected at answer (or the 2-s message), not the agentless
    message with press 1, counted neither as a live answer nor as abandoned."""
    svc, paced = floor_world
    now = svc_now(emu)
    for name in ("ann", "bob", "cat", "dan", "eve", "fay"):
        svc.floor.apply(name, Event.READY, now)  # ready on paper: the 2-s message, counted
    emu.default_party = lambda: Human(ring_seconds=1.0)
    paced.dialer.placer = _PacedByTheSecond(paced.dialer.placer, emu)
    ticked = paced.tick()
    assert len(ticked.report.placed) == 6
    first = ticked.report.placed[next(iter(ticked.report.placed))]
    answered = [w["t"] for w in emu.webhooks if w["call_sid"] == first and "/outbound/answer" in w["url"]]
    assert answered and answered[0] < emu.engine.now()  # answered while the batch was still being placed
    emu.run(until=emu.engine.now() + 30)
    assert any(w["call_sid"] == first and "/voice/floor/left" in w["url"] for w in emu.webhooks)  # the live path
    answer, message = _answer_and_message_times(emu, first)
    assert message is not None and message - answer <= 2.0
    day = svc.floor.day_stats(svc_now(emu))[0]
    assert day["human"] == "6" and day["abandoned"] == "6" and day["placed"] == "6"
    _, snapshot = paced.snapshot(svc_now(emu))
    assert snapshot.in_flight == []


def test_away_clicked_as_the_call_ends_is_not_lost(floor_world, emu):
    """Away during a call means away when it ends. Clicked just as the callee hangs up, it read the employee on the
    call, the call ended (wrap-up), and only then was "away after this call" written: on a wrap-up, which no call
    end would read, so the wrap-up's end made them ready again and the next call reached them."""
    svc, paced = floor_world
    emu.assign(AGENT_PHONE, Employee(name="ann", talk_seconds=1000))
    go_ready(emu.sdk_client(), svc.config, svc.floor, "ann", AGENT_PHONE)
    emu.run(until=emu.engine.now() + 5)
    emu.default_party = lambda: Human(hangup_after=20)
    assert paced.tick().calls == 1
    emu.run(until=emu.engine.now() + 15)
    assert svc.floor.get("ann").state is State.ON_CALL
    read = svc.floor.get

    def read_then_the_call_ends(username):  # the callee hangs up right after Away looked at the employee
        employee = read(username)
        svc.floor.get = read
        emu.run(until=emu.engine.now() + 15)
        assert read("ann").state is State.WRAP_UP
        return employee

    svc.floor.get = read_then_the_call_ends
    try:
        go_away(emu.sdk_client(), svc.floor, "ann")
    finally:
        svc.floor.get = read
    emu.run(until=emu.engine.now() + 60)  # the call ends (if it had not), and any wrap-up with it
    assert svc.floor.get("ann").state is State.AWAY
