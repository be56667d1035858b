"""Preview mode (issue 11): the person an employee chose and clicked to call reaches that employee, not whoever is
ready first; through the emulator, the real webhooks, Redis and the code path Call now and its job run."""

from __future__ import annotations

import pytest

from emulator import Caller, Employee, Human
from ivr.dialer.floor import State
from ivr.dialer.floor_phone import (
    FloorPhoneError,
    go_ready,
    preview_queue,
    rewait_ready_legs,
    wait_for_own_call,
)
from ivr.dialer.preview_calls import dial_for
from ivr.voice.floor import PREVIEW_RENEW_SECONDS
from ivr.voice.twiml import FLOOR_QUEUE

ANN_PHONE = "+14155550199"
BEN_PHONE = "+14155550198"
ACS_LINE = "+18008293903"
PRACTITIONER = "+13125550102"


@pytest.fixture
def floor_world(app, emu, dialer):
    svc = app.extensions["acs"]
    svc.floor.set_mode("progressive")
    emu.default_party = Human  # whoever the dialer calls answers in person
    return svc, dialer


def _ready(emu, svc, username: str, phone: str, talk_seconds: float = 20) -> None:
    emu.assign(phone, Employee(name=username, talk_seconds=talk_seconds))
    go_ready(emu.sdk_client(), svc.config, svc.floor, username, phone)
    emu.run(until=emu.engine.now() + 5)
    assert svc.floor.get(username).state is State.READY


def _now(emu) -> float:
    return emu.engine.clock.datetime().timestamp()


def _first_due(svc) -> str:
    return svc.redis.zrange(svc.keys.cases_due(), 0, 0)[0]


def _callee(emu) -> str:
    placed = (s for s, leg in emu.legs.items() if leg.record.direction == "outbound-api")
    return next(s for s in placed if emu.legs[s].record.to not in (ANN_PHONE, BEN_PHONE))


def _click(emu, svc, dialer, username: str) -> None:
    """What Call now does (ivr.console.preview), then what its job does (workers.jobs.dial_case)."""
    wait_for_own_call(emu.sdk_client(), svc.config, svc.floor, username)
    report = dial_for(dialer, svc.floor, _first_due(svc), username)
    assert len(report.placed) == 1


def _inbound_caller_waiting(emu, svc):
    """A practitioner calls the ACS line and, keying nothing, holds on the inbound queue; returns their leg."""
    emu.add_number(ACS_LINE, voice_url=svc.config.public_base_url + "/voice/acs")
    leg = emu.dial_in(PRACTITIONER, ACS_LINE, Caller("practitioner"))
    waiting = svc.keys.queue_waiting(svc.config.queue_name)
    for _ in range(120):  # greeting, no digits: the inbound queue (in preview mode, never the shared one)
        emu.run(until=emu.engine.now() + 1)
        if svc.redis.zcard(waiting):
            return leg
    raise AssertionError("the caller never reached the inbound queue")


def _waiting_on(emu, username: str) -> str:
    """The queue the employee's leg last started waiting on."""
    notes = [e.text for e in emu.transcript.for_leg(username) if e.text.startswith("dial: waiting for a caller in")]
    return notes[-1].split("'")[1]


def test_the_answer_reaches_the_employee_who_clicked_not_the_one_ready_first(floor_world, emu):
    svc, dialer = floor_world
    _ready(emu, svc, "ben", BEN_PHONE)  # ready first: on the shared queue, Ben's leg would take the next answer
    _ready(emu, svc, "ann", ANN_PHONE)
    svc.floor.set_mode("preview")  # both legs still wait on the shared queue until they wait again
    _click(emu, svc, dialer, "ann")
    emu.run(until=emu.engine.now() + 1)
    assert _waiting_on(emu, "ann") == preview_queue("ann") and _waiting_on(emu, "ben") == FLOOR_QUEUE
    emu.run(until=emu.engine.now() + 15)
    ann, ben = svc.floor.get("ann"), svc.floor.get("ben")
    callee = _callee(emu)
    assert ann.state is State.ON_CALL and ann.kind == "outbound" and ann.call["call_sid"] == callee
    assert ann.call["case_id"] and ann.call["crn"] and ann.call["who"]
    assert ben.state is State.READY
    attempt = svc.attempts.get(svc.redis.get(svc.keys.call_attempt(callee)))
    assert attempt.employee == "ann"
    day = svc.floor.day_stats(_now(emu))[0]
    assert day["placed"] == "1" and day["human"] == "1" and day["connected"] == "1" and "abandoned" not in day
    assert float(day.get("wait_max", 0)) < 1.0


def test_ben_waits_on_his_own_queue_in_preview_mode_and_an_inbound_caller_still_comes_first(floor_world, emu):
    svc, _ = floor_world
    svc.floor.set_mode("preview")
    emu.add_number(ACS_LINE, voice_url=svc.config.public_base_url + "/voice/acs")
    _ready(emu, svc, "ben", BEN_PHONE, talk_seconds=300)
    assert _waiting_on(emu, "ben") == preview_queue("ben")
    leg = emu.dial_in(PRACTITIONER, ACS_LINE, Caller("practitioner"))
    # Greeting, no digits → the inbound queue (never the shared one, where no leg waits in preview mode) → Ben's leg
    # takes the caller when it next starts waiting (its renewal, within PREVIEW_RENEW_SECONDS).
    emu.run(until=emu.engine.now() + 60)
    queued = [e.text for e in emu.transcript.for_leg(leg.sid) if e.text.startswith("enqueued in")]
    assert queued == ["enqueued in 'acs' at position 1"]
    ben = svc.floor.get("ben")
    assert ben.state is State.ON_CALL and ben.kind == "inbound" and ben.call["call_sid"] == leg.sid


def test_an_idle_leg_takes_an_inbound_caller_within_the_preview_renewal_not_the_usual_one(floor_world, emu):
    """Legs wait on their own queues in preview mode, where no inbound caller is put: they renew every
    PREVIEW_RENEW_SECONDS (Twilio's own Dial timeout, no REST redirect), taking inbound callers first."""
    svc, _ = floor_world
    svc.floor.set_mode("preview")
    svc.config.extra["ACS_AGENT_RENEW_SECONDS"] = "600"  # the usual renewal would keep the caller waiting 10 min
    _ready(emu, svc, "ben", BEN_PHONE, talk_seconds=300)
    leg = _inbound_caller_waiting(emu, svc)
    emu.run(until=emu.engine.now() + PREVIEW_RENEW_SECONDS + 5)  # the hold message, then Ben's next renewal
    ben = svc.floor.get("ben")
    assert ben.state is State.ON_CALL and ben.kind == "inbound" and ben.call["call_sid"] == leg.sid
    assert svc.redis.zcard(svc.keys.queue_waiting(svc.config.queue_name)) == 0


def test_the_clicker_busy_at_answer_hears_nobody_else_but_the_message_within_two_seconds(floor_world, emu):
    svc, dialer = floor_world
    svc.floor.set_mode("preview")
    _ready(emu, svc, "ann", ANN_PHONE)
    _ready(emu, svc, "ben", BEN_PHONE)
    _click(emu, svc, dialer, "ann")
    svc.floor.redis.zrem(svc.keys.floor_ready(), "ann")  # Ann is taken (say, by a caller) as the person answers
    emu.run(until=emu.engine.now() + 30)
    callee = _callee(emu)
    answer = next(w["t"] for w in emu.webhooks if w["call_sid"] == callee and "/outbound/answer" in w["url"])
    said = [e.t for e in emu.transcript.for_leg(emu.legs[callee].label) if "call us back" in e.text.lower()]
    assert said and said[0] - answer <= 2.0
    assert svc.floor.get("ben").state is State.READY  # Ben, ready all along, was not given Ann's person
    day = svc.floor.day_stats(_now(emu))[0]
    assert day["abandoned"] == "1" and day["human"] == "1" and "connected" not in day


@pytest.mark.parametrize("how", ["away", "ringing"])
def test_the_click_is_refused_without_a_ready_leg(floor_world, emu, how):
    svc, _ = floor_world
    svc.floor.set_mode("preview")
    if how == "ringing":
        emu.assign(ANN_PHONE, Employee(name="ann"))
        go_ready(emu.sdk_client(), svc.config, svc.floor, "ann", ANN_PHONE)  # not answered yet
    with pytest.raises(FloorPhoneError, match="click Ready first" if how == "away" else "still ringing"):
        wait_for_own_call(emu.sdk_client(), svc.config, svc.floor, "ann")


def test_leaving_preview_mode_moves_ready_legs_back_to_the_shared_queue_at_once(floor_world, emu):
    svc, _ = floor_world
    svc.floor.set_mode("preview")
    _ready(emu, svc, "ann", ANN_PHONE)
    assert _waiting_on(emu, "ann") == preview_queue("ann")
    svc.floor.set_mode("progressive")  # what the manager's floor view does, then (ivr.console.floor):
    assert rewait_ready_legs(emu.sdk_client(), svc.config, svc.floor) == 1
    emu.run(until=emu.engine.now() + 1)
    assert _waiting_on(emu, "ann") == FLOOR_QUEUE and svc.floor.get("ann").state is State.READY


def test_a_click_with_inbound_callers_waiting_keeps_the_clickers_leg_for_the_person_they_chose(floor_world, emu):
    """Preview mode sends inbound callers to the inbound queue (no blending), so some often wait there. The click's
    redirect must not hand the clicker one of them: their person would then find them busy and hear the message."""
    svc, dialer = floor_world
    svc.floor.set_mode("preview")
    svc.config.extra["ACS_AGENT_RENEW_SECONDS"] = "600"  # no renewal meanwhile: Ann's leg stays on her own queue
    _ready(emu, svc, "ann", ANN_PHONE)
    leg = _inbound_caller_waiting(emu, svc)
    _click(emu, svc, dialer, "ann")  # before her next renewal (PREVIEW_RENEW_SECONDS) would take the caller
    emu.run(until=emu.engine.now() + 15)
    ann = svc.floor.get("ann")
    assert ann.state is State.ON_CALL and ann.kind == "outbound" and ann.call["call_sid"] == _callee(emu)
    day = svc.floor.day_stats(_now(emu))[0]
    assert day["connected"] == "1" and "abandoned" not in day
    assert leg.sid in svc.redis.zrange(svc.keys.queue_waiting(svc.config.queue_name), 0, -1)  # still waits its turn


def test_out_of_preview_by_the_answer_the_person_goes_to_the_shared_queue_not_a_queue_nobody_waits_on(floor_world, emu):
    """The manager leaves preview while Ann's call rings: her leg is back on the shared queue, so her person is a
    live answer like any other there (and Ann, ready, takes it) instead of abandoned on Ann's own queue."""
    svc, dialer = floor_world
    svc.floor.set_mode("preview")
    _ready(emu, svc, "ann", ANN_PHONE)
    _click(emu, svc, dialer, "ann")
    svc.floor.set_mode("progressive")  # what the manager's floor view does, then (ivr.console.floor):
    rewait_ready_legs(emu.sdk_client(), svc.config, svc.floor)
    emu.run(until=emu.engine.now() + 15)
    ann = svc.floor.get("ann")
    assert ann.state is State.ON_CALL and ann.call["call_sid"] == _callee(emu)
    day = svc.floor.day_stats(_now(emu))[0]
    assert day["connected"] == "1" and "abandoned" not in day
