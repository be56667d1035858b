"""The employee's phone on the floor: the queues its leg waits on exist before it dials them."""

from __future__ import annotations

import pytest

from emulator import Employee
from ivr.dialer.floor import Event, State
from ivr.dialer.floor_phone import FLOOR_QUEUE, ensure_queue, go_ready

PHONE = "+14155550199"


def test_a_queue_is_found_past_the_first_page_and_created_only_when_missing(emu):
    """A Dial to a queue that does not exist fails (Twilio creates one only on Enqueue), so Ready makes sure of the
    shared queue and the employee's own; with a queue per employee an account may hold more than a page of them."""
    for n in range(1001):  # a page holds at most 1,000
        emu.create_queue(f"acs-preview-agent{n:04d}")
    sdk = emu.sdk_client()
    ensure_queue(sdk, "acs-preview-agent1000")  # on the second page: found, not created again
    ensure_queue(sdk)  # missing: created
    ensure_queue(sdk)  # and found the next time
    names = [queue.friendly_name for queue in sdk.queues.stream(page_size=1000)]
    assert len(names) == 1002 and names.count("acs-preview-agent1000") == 1 and names.count(FLOOR_QUEUE) == 1


@pytest.mark.parametrize("state", [State.READY, State.WRAP_UP])
def test_ready_rings_the_phone_again_when_the_floor_missed_the_end_of_the_leg(app, emu, virtual_clock, state):
    """The employee's phone leg ended but its final status never reached us (lost, or its webhook failed): the
    floor still has them ready or wrapping up on a leg that is gone. Ready is how they get back on the floor: it
    rings their phone again rather than answer "already ready" (ready: forever, with no phone) or fail to redirect
    a finished call (wrap-up: refused on every click, the wrap-up never ending)."""
    svc = app.extensions["acs"]
    sdk = emu.sdk_client()
    emu.assign(PHONE, Employee(name="ann", talk_seconds=20))
    assert go_ready(sdk, svc.config, svc.floor, "ann", PHONE) == "ringing your phone"
    emu.run(until=emu.engine.now() + 5)
    leg = svc.floor.get("ann").line
    if state is State.WRAP_UP:  # as after a call (on paper: the leg still waits on the queue)
        now = emu.engine.clock.datetime().timestamp()
        svc.floor.apply("ann", Event.BRIDGED, now, kind="outbound")
        svc.floor.apply("ann", Event.CALL_ENDED, now)
    emu.legs[leg].callbacks.status_url = None  # its final status is lost
    sdk.calls(leg).update(status="completed")
    emu.run(until=emu.engine.now() + 2)
    assert emu.leg(leg).record.status == "completed" and svc.floor.get("ann").state is state  # never heard
    assert go_ready(sdk, svc.config, svc.floor, "ann", PHONE) == "ringing your phone"
    emu.run(until=emu.engine.now() + 5)
    ann = svc.floor.get("ann")
    assert ann.state is State.READY and ann.line not in ("", leg)
    assert go_ready(sdk, svc.config, svc.floor, "ann", PHONE) == "already ready"  # a live leg: nothing rung
