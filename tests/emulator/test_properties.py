"""Property: whatever the arrival, patience and staffing, every queued caller leaves the queue exactly once."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import Caller, Employee, Emulator

NUMBER = "+18005550100"
DOCS = {
    "/voice": "<Response><Enqueue waitUrl='/wait' action='/result'>q</Enqueue></Response>",
    "/wait": "<Response><Say>hold on</Say><Pause length='60'/></Response>",
    "/result": "<Response><Hangup/></Response>",
    "/agent": "<Response><Dial timeout='60'><Queue url='/hello'>q</Queue></Dial></Response>",
    "/hello": "<Response><Say>connecting</Say></Response>",
}

callers = st.lists(st.tuples(st.integers(0, 600), st.one_of(st.none(), st.integers(1, 900))), min_size=1, max_size=8)
agents = st.lists(st.tuples(st.integers(0, 900), st.integers(1, 300)), max_size=5)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(callers=callers, agents=agents)
def test_every_caller_leaves_the_queue_exactly_once(make_twiml_app, callers, agents):
    emu = Emulator()
    webapp = make_twiml_app(emu.auth_token)
    webapp.docs.update(DOCS)
    emu.mount("https://app.test", webapp.flask)
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.create_queue("q")
    legs = [
        emu.dial_in(f"+1202555{i:04d}", NUMBER, Caller(f"c{i}", hangup_after_in_queue=patience or 1200), at=at)
        for i, (at, patience) in enumerate(callers)
    ]
    for i, (at, talk) in enumerate(agents):
        number = f"+1303555{i:04d}"
        emu.assign(number, Employee(f"a{i}", talk_seconds=talk))
        emu.create_call(number, NUMBER, url="https://app.test/agent", at=at)
    emu.run(until=24 * 3600)

    assert all(leg.ended and leg.record.status == "completed" for leg in emu.legs.values())
    for leg in legs:
        assert len(leg.queue_results) == 1 and leg.queue_results[0] in ("bridged", "hangup")
    assert len(webapp.to("/result")) == len(legs)
    assert emu.store.queue_by_name(emu.account_sid, "q").members == []
    bridged = sum(leg.queue_results == ["bridged"] for leg in legs)
    completed_dials = sum(emu.leg(f"a{i}").dial_statuses == ["completed"] for i in range(len(agents)))
    assert bridged == completed_dials <= len(agents)
    assert emu.errors == []
