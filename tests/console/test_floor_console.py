"""The floor in the console: Ready rings the phone into the floor, the state and time in it show, Away ends it;
the manager's floor view reports the floor as JSON."""

from __future__ import annotations

from console_support import Console

from emulator import Emulator
from emulator.parties import Employee as EmployeePhone


def test_ready_then_away_from_the_console(signed_in: Console, emulator: Emulator, redis, keys):
    emulator.assign("+12025550170", EmployeePhone("alice's phone"))
    html = signed_in.get("/console/queue").get_data(as_text=True)
    assert "On the floor" in html and "data-floor-me" in html
    assert "Ready:" in signed_in.post("/console/floor/ready", follow_redirects=True).get_data(as_text=True)
    emulator.run(until=emulator.engine.now() + 10)  # the phone answers and waits in the outbound queue
    me = signed_in.get("/console/floor/me.json").get_json()
    assert me["state"] == "ready" and me["seconds"] >= 0
    assert redis.zscore(keys.floor_ready(), "alice") is not None
    signed_in.post("/console/floor/away", follow_redirects=True)
    emulator.run(until=emulator.engine.now() + 5)
    assert signed_in.get("/console/floor/me.json").get_json()["state"] == "away"


def test_while_the_phone_rings_after_ready_the_employee_sees_ringing_not_away(
    signed_in: Console, emulator: Emulator, redis, keys
):
    emulator.assign("+12025550170", EmployeePhone("alice's phone"))
    signed_in.post("/console/floor/ready")
    me = signed_in.get("/console/floor/me.json").get_json()
    assert me["shown"] == "ringing your phone" and me["state"] == "away"  # pacing still counts them away
    assert redis.zscore(keys.floor_ready(), "alice") is None
    emulator.run(until=emulator.engine.now() + 10)
    assert signed_in.get("/console/floor/me.json").get_json()["shown"] == "ready"


def test_the_floor_view_is_not_for_employees(signed_in: Console):
    assert signed_in.get("/console/floor.json").status_code == 403


def test_the_floor_view_reports_the_floor(manager: Console):
    body = manager.get("/console/floor.json").get_json()
    for key in ("employees", "by_state", "live_answers_waiting", "calls_in_flight", "dial_level"):
        assert key in body
    assert "abandon_percent_30d" in body and "occupancy_now" in body
    assert "data-floor-view" in manager.get("/console/floor").get_data(as_text=True)
