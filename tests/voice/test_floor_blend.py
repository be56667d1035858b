"""Blending (issue 11): an inbound caller who arrives while an employee is ready is bridged at once, through the
emulator, the real webhooks and Redis; with nobody ready the caller holds in the inbound queue as before."""

from __future__ import annotations

import time

import pytest

from emulator import Caller, Employee, Human
from ivr.dialer.floor import Event, FloorSettings, State
from ivr.dialer.floor_phone import go_away, go_ready
from ivr.dialer.paced import PacedDialer
from ivr.voice.twiml import FLOOR_QUEUE

AGENT_PHONE = "+14155550199"
ACS_LINE = "+18008293903"
PRACTITIONER = "+13125550102"


@pytest.fixture
def floor_world(app, emu, dialer):
    svc = app.extensions["acs"]
    emu.add_number(ACS_LINE, voice_url=svc.config.public_base_url + "/voice/acs")
    svc.floor.set_mode("progressive")
    return svc, PacedDialer(dialer, svc.floor, FloorSettings(), svc.config.queue_name)


def _ready(emu, svc, username: str = "ann") -> None:
    emu.assign(AGENT_PHONE, Employee(name=username, talk_seconds=20))
    go_ready(emu.sdk_client(), svc.config, svc.floor, username, AGENT_PHONE)
    emu.run(until=emu.engine.now() + 5)
    assert svc.floor.get(username).state is State.READY


def _queue_notes(emu, sid: str) -> list[tuple[float, str]]:
    return [(e.t, e.text) for e in emu.transcript.for_leg(sid) if e.kind in ("queue", "bridge")]


def _enqueued_to_taken(emu, sid: str) -> tuple[str, float]:
    """The queue the caller joined, and the seconds from joining it to an employee's leg taking them (the bridge
    follows the Queue url's "you are now being connected", as it does from the inbound queue)."""
    notes = _queue_notes(emu, sid)
    joined = next((t, text) for t, text in notes if text.startswith("enqueued in"))
    taken = next(t for t, text in notes if text.startswith("dequeued by"))
    assert any(text.startswith("connected to") for _, text in notes)
    return joined[1].split("'")[1], taken - joined[0]


def test_a_silent_practitioner_reaches_the_ready_employee_at_once(floor_world, emu):
    svc, _ = floor_world
    _ready(emu, svc)
    # Arrives 10 s into the leg's 30 s wait: before blending the caller held ~20 s, until the leg renewed.
    leg = emu.dial_in(PRACTITIONER, ACS_LINE, Caller("practitioner"), at=emu.engine.now() + 10)
    emu.run(until=emu.engine.now() + 50)  # greeting, no digits → the queue → the employee
    queue, seconds = _enqueued_to_taken(emu, leg.sid)
    assert queue == FLOOR_QUEUE and seconds <= 2.0
    ann = svc.floor.get("ann")
    assert ann.state is State.ON_CALL and ann.kind == "inbound"
    assert ann.call["call_sid"] == leg.sid and "case_id" not in ann.call  # silent: no case known
    context = svc.callers.get(leg.sid)
    assert context.agent_call_sid == ann.line and context.caller == PRACTITIONER
    assert svc.redis.zcard(svc.keys.floor_waiting()) == 0 and svc.callers.waiting("acs") == []
    day = svc.floor.day_stats(emu.engine.clock.datetime().timestamp())[0]
    assert day.get("connected") is None and day.get("abandoned") is None  # not a live answer
    emu.run(until=emu.engine.now() + 30)  # the employee's phone hangs up after 20 s: the queue result
    assert svc.floor.get("ann").state is not State.ON_CALL
    assert svc.redis.hget(svc.keys.queue_stats("acs"), "result:bridged") == "1"
    assert svc.redis.zcard(svc.keys.floor_waiting()) == 0


def test_with_nobody_ready_the_caller_holds_in_the_inbound_queue_as_before(floor_world, emu):
    svc, _ = floor_world
    leg = emu.dial_in(PRACTITIONER, ACS_LINE, Caller("practitioner"))
    emu.run(until=emu.engine.now() + 40)
    assert any(text == "enqueued in 'acs' at position 1" for _, text in _queue_notes(emu, leg.sid))
    assert [c.call_sid for c in svc.callers.waiting("acs")] == [leg.sid]
    assert svc.redis.zcard(svc.keys.floor_waiting()) == 0
    emu.assign(AGENT_PHONE, Employee(name="ann", talk_seconds=20))
    go_ready(emu.sdk_client(), svc.config, svc.floor, "ann", AGENT_PHONE)
    emu.run(until=emu.engine.now() + 5)  # the leg starts waiting: inbound callers first, from `acs`
    ann = svc.floor.get("ann")
    assert ann.state is State.ON_CALL and ann.kind == "inbound" and ann.call["call_sid"] == leg.sid
    assert svc.callers.waiting("acs") == []


class TakenForMachine(Human):
    """A person AMD takes for a machine, who presses 1 during the voicemail message."""

    def detect(self, mode: str) -> tuple[str, float]:
        return "machine_end_silence", 3.0


def test_an_outbound_press_1_caller_reaches_the_ready_employee_at_once(floor_world, emu):
    svc, paced = floor_world
    _ready(emu, svc)
    emu.default_party = lambda: TakenForMachine(press_after=[(6.0, "1")])  # whoever the pacer dials
    assert paced.tick().calls == 1
    emu.run(until=emu.engine.now() + 40)
    callee = next(sid for sid, leg in emu.legs.items() if leg.record.to not in (AGENT_PHONE, ACS_LINE))
    queue, seconds = _enqueued_to_taken(emu, callee)
    assert queue == FLOOR_QUEUE and seconds <= 2.0
    ann = svc.floor.get("ann")
    assert ann.state is State.ON_CALL and ann.kind == "inbound" and ann.call["call_sid"] == callee
    case_id = ann.call["case_id"]
    lines = [e for e in svc.history.entries(case_id) if e.summary == "Caller connected to a collection employee"]
    assert len(lines) == 1


def test_a_leg_away_left_behind_that_takes_an_inbound_caller_leaves_its_employee_away(floor_world, emu):
    """Away could not hang ann's leg up; an inbound caller sent to the floor's queue (cat is ready) is taken by it.
    Ann stays away rather than on a call no webhook of hers would end."""
    svc, _ = floor_world
    _ready(emu, svc)
    old_leg = svc.floor.get("ann").line
    leg = emu.dial_in(PRACTITIONER, ACS_LINE, Caller("practitioner"), at=emu.engine.now() + 5)  # queued ~30 s on
    renewed = emu.engine.now() + 29  # ann's leg renews its 30-s wait ~33 s after Ready rang it: away after that
    emu.run(until=renewed)
    assert any("/voice/floor/agent-next" in w["url"] for w in emu.webhooks)
    emu.faults.fail_next("calls.update", status=500)  # Twilio refuses the hang-up (logged): the leg stays
    assert go_away(emu.sdk_client(), svc.floor, "ann") == "away"
    svc.floor.apply("cat", Event.READY, emu.engine.clock.datetime().timestamp())
    emu.run(until=emu.engine.now() + 20)
    assert svc.callers.get(leg.sid).agent_call_sid == old_leg  # the old leg took the caller
    ann = svc.floor.get("ann")
    assert ann.state is State.AWAY and ann.call == {} and svc.floor.everyone()["ann"] == "away"
    assert svc.redis.zscore(svc.keys.floor_talking(), "ann") is None


def test_a_person_taken_for_a_machine_who_presses_9_is_an_amd_false_positive_too(floor_world, emu):
    """Any key pressed during the "voicemail" is a person AMD took for a machine (issue 11: counted apart), the
    stop-calls key included: before, only the other keys were counted."""
    svc, paced = floor_world
    _ready(emu, svc)
    emu.default_party = lambda: TakenForMachine(press_after=[(6.0, "9")])
    assert paced.tick().calls == 1
    emu.run(until=emu.engine.now() + 40)
    callee = next(leg for leg in emu.legs.values() if leg.record.to not in (AGENT_PHONE, ACS_LINE))
    assert any("will not be called again" in e.text for e in emu.transcript.for_leg(callee.label))
    day = svc.floor.day_stats(emu.engine.clock.datetime().timestamp())[0]
    assert day.get("amd_false_positive") == "1" and day.get("human") is None


def test_a_leg_sent_to_an_inbound_queue_someone_else_emptied_is_back_on_the_outbound_queue_within_seconds(
    floor_world, emu
):
    """Two legs that start waiting together both read one inbound caller and both dial `acs`; the one that finds it
    empty must not sit there for ACS_AGENT_RENEW_SECONDS while counted ready (live answers meant for it would hear
    the message). Here the caller is taken between the read and the dial: their entry goes as the leg dials."""
    svc, _ = floor_world
    emu.create_queue(svc.config.queue_name)
    svc.redis.zadd(svc.keys.queue_waiting(svc.config.queue_name), {"CAtaken": 1.0})  # read as waiting
    _ready(emu, svc)
    notes = [text for _, text in _queue_notes(emu, svc.floor.get("ann").line)]
    assert notes[-1] == "dial: waiting for a caller in 'acs'"
    svc.redis.zrem(svc.keys.queue_waiting(svc.config.queue_name), "CAtaken")  # another leg took them
    emu.run(until=emu.engine.now() + 10)  # INBOUND_DIAL_SECONDS, not the leg's 30-s renewal
    notes = [text for _, text in _queue_notes(emu, svc.floor.get("ann").line)]
    assert notes[-1] == f"dial: waiting for a caller in '{FLOOR_QUEUE}'"
    assert svc.floor.get("ann").state is State.READY


def test_a_caller_whose_leave_callback_was_lost_no_longer_sends_legs_to_an_empty_inbound_queue(floor_world, emu):
    """A caller still listed as waiting long after they left (their Enqueue action and bridge callbacks lost) sent
    every ready leg to the empty inbound queue at each renewal, never to the outbound queue, so every live answer
    heard the message. A leg that finds nobody there for its whole Dial proves the old entries gone."""
    svc, _ = floor_world
    emu.create_queue(svc.config.queue_name)
    waiting = svc.keys.queue_waiting(svc.config.queue_name)
    svc.redis.zadd(waiting, {"CAgone": time.time() - 3600, "CAjust": time.time()})  # "CAjust" may still be hearing
    _ready(emu, svc)  #                                                                the hold message: kept
    emu.run(until=emu.engine.now() + 10)  # the leg's INBOUND_DIAL_SECONDS on the empty inbound queue
    assert svc.redis.zrange(waiting, 0, -1) == ["CAjust"]
    svc.redis.zrem(waiting, "CAjust")  # (say it was bridged elsewhere)
    emu.run(until=emu.engine.now() + 10)
    notes = [text for _, text in _queue_notes(emu, svc.floor.get("ann").line)]
    assert notes[-1] == f"dial: waiting for a caller in '{FLOOR_QUEUE}'"
