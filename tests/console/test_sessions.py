"""Sign-out ends the session on the server, idle sessions end, a manager can sign someone out everywhere (§3)."""

from __future__ import annotations

import time

from console_support import Console


def _copy_of_cookie(client) -> str:
    return client.get_cookie("acs_session").value


def _with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("acs_session", value)
    return other


def test_a_cookie_saved_before_sign_out_stops_working(app, signed_in: Console):
    saved = _copy_of_cookie(signed_in.client)
    assert _with_cookie(app, saved).get("/console/queue").status_code == 200
    signed_in.post("/console/sign-out")
    replayed = _with_cookie(app, saved)
    response = replayed.get("/console/queue")
    assert response.status_code == 302 and "/console/sign-in" in response.headers["Location"]


def test_an_idle_session_ends(app, signed_in: Console, redis, keys):
    (key,) = [k for k in redis.scan_iter(keys.console_session("*"))]
    assert 0 < redis.ttl(key) <= 30 * 60  # the default idle timeout; each request pushes it on
    redis.pexpire(key, 1)
    time.sleep(0.01)
    assert signed_in.client.get("/console/queue").status_code == 302


def test_the_idle_timeout_is_configurable(config_overrides, redis, keys):
    from ivr import create_app
    from ivr.console.employees import Employees, Role

    app = create_app({**config_overrides, "ACS_SESSION_IDLE_MINUTES": "5"})
    Employees(redis, keys).add("bob", "Bob", "a long enough password", Role.EMPLOYEE, "+12025550170")
    console = Console(app.test_client())
    console.sign_in("bob", "a long enough password")
    (key,) = list(redis.scan_iter(keys.console_session("*")))
    assert 0 < redis.ttl(key) <= 300
    app.extensions["acs"].redis.close()


def test_a_manager_signs_an_employee_out_everywhere(app, alice, maria, redis, keys):
    agent = Console(app.test_client())
    agent.sign_in("alice")
    laptop = _with_cookie(app, _copy_of_cookie(agent.client))
    boss = Console(app.test_client())
    boss.sign_in("maria")
    assert "alice" in boss.get("/console/employees").get_data(as_text=True)
    response = boss.post("/console/employees/alice/sign-out-everywhere")
    assert response.status_code == 302
    assert agent.client.get("/console/queue").status_code == 302
    assert laptop.get("/console/queue").status_code == 302
    assert boss.get("/console/queue").status_code == 200  # only alice's sessions ended
    entries = [f for _id, f in redis.xrange(keys.audit_log()) if f["action"] == "sign_out_everywhere"]
    assert [(e["employee"], e["detail"]) for e in entries] == [("maria", '{"target": "alice"}')]
    assert boss.post("/console/employees/nobody/sign-out-everywhere").status_code == 404


def test_an_employee_cannot_sign_others_out(signed_in: Console, maria):
    assert signed_in.get("/console/employees").status_code == 403
    assert signed_in.post("/console/employees/maria/sign-out-everywhere").status_code == 403


def test_a_poll_never_sends_back_the_session_it_read(signed_in: Console):
    """The queue page polls while the employee clicks. A poll answered after a click's POST used to re-send the
    session as it was before the click, and the browser kept that: the click's flash message was lost."""
    for path in ("/console/floor/me.json", "/console/current-caller"):
        response = signed_in.client.get(path)
        assert response.status_code == 200
        assert "acs_session" not in response.headers.get("Set-Cookie", ""), path
    page = signed_in.client.get("/console/queue")
    assert "acs_session" in page.headers.get("Set-Cookie", "")  # a page still refreshes it (the 8-hour lifetime)
