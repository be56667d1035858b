"""Take next caller end to end: a silent caller queues, the employee's phone is rung through the emulator, the
agent leg dials the queue, and the console shows the bridged caller's context."""

from __future__ import annotations

from console_support import Console

from emulator import Emulator
from emulator.parties import Employee as EmployeePhone

ACS_LINE = "+18008293903"
CALLER = "+13125550102"


def test_take_next_rings_the_employee_and_shows_the_bridged_caller(
    signed_in: Console, emulator: Emulator, config, sample_data, redis, keys
):
    emulator.add_number(ACS_LINE, voice_url=config.public_base_url + "/voice/acs")
    emulator.assign("+12025550170", EmployeePhone("alice's phone", talk_seconds=120))
    emulator.dial_in(CALLER, ACS_LINE)
    emulator.run(until=emulator.engine.now() + 40)  # greeting, no digits → the queue

    html = signed_in.get("/console/queue").get_data(as_text=True)
    assert "•••0102" in html and "silent" in html
    assert "Twilio reports 1 in queue" in html

    response = signed_in.post("/console/take-next", follow_redirects=True)
    assert "Ringing +12025550170" in response.get_data(as_text=True)
    agent_sid = redis.get(keys.employee_agent_call("alice"))
    assert agent_sid and agent_sid.startswith("CA")
    emulator.run(until=emulator.engine.now() + 30)  # the phone answers, /voice/agent dials the queue

    html = signed_in.get("/console/current-caller").get_data(as_text=True)
    assert "On the line" in html and "•••0102" in html and "silent" in html
    assert redis.zcard(keys.queue_waiting("acs")) == 0
    call = emulator.sdk_client().calls(agent_sid).fetch()
    assert call.to == "+12025550170" and call._from == config.from_number
