"""A manager chooses the campaign's pacing mode on the floor view; the paced dialer's next tick uses it."""

from __future__ import annotations

from console_support import Console

from ivr.console.audit import AuditFilter, AuditLog
from ivr.dialer.floor import Event, FloorSettings
from ivr.dialer.paced import PacedDialer


def _mode_entries(redis, keys) -> list:
    return AuditLog(redis, keys).search(AuditFilter(action="floor_mode"))


def test_a_manager_sets_each_mode_and_the_view_shows_it(manager: Console, redis, keys):
    previous = "predictive"  # the default
    for mode in ("preview", "progressive", "message", "predictive"):
        response = manager.post("/console/floor/mode", {"mode": mode}, follow_redirects=True)
        assert f"Pacing mode: {mode} (was {previous})" in response.get_data(as_text=True)
        assert manager.get("/console/floor.json").get_json()["mode"] == mode
        assert f'<option value="{mode}" selected>' in manager.get("/console/floor").get_data(as_text=True)
        entry = _mode_entries(redis, keys)[0]  # newest first
        assert entry.employee == "maria" and entry.detail == {"campaign": "default", "mode": mode, "previous": previous}
        previous = mode
    assert len(_mode_entries(redis, keys)) == 4


def test_with_nobody_signed_in_the_message_mode_is_in_effect(manager: Console):
    manager.post("/console/floor/mode", {"mode": "progressive"})
    body = manager.get("/console/floor.json").get_json()
    assert body["mode"] == "progressive" and body["mode_in_effect"] == "message"
    assert "nobody is" in manager.get("/console/floor").get_data(as_text=True)  # the page says so


def test_an_employee_may_not_change_the_mode(signed_in: Console, redis, keys, app):
    assert signed_in.post("/console/floor/mode", {"mode": "preview"}).status_code == 403
    assert app.extensions["acs"].floor.mode() is None and _mode_entries(redis, keys) == []


def test_an_unknown_mode_is_refused_and_nothing_changes(manager: Console, redis, keys, app):
    manager.post("/console/floor/mode", {"mode": "preview"})
    for typed in ("turbo", "", "123-45-6789"):
        response = manager.post("/console/floor/mode", {"mode": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and "unknown pacing mode" in html and "preview, progressive" in html
        assert "123-45-6789" not in html  # whatever was typed is echoed masked
    assert app.extensions["acs"].floor.mode() == "preview" and len(_mode_entries(redis, keys)) == 1


def test_the_form_needs_its_csrf_token(manager: Console, app):
    assert manager.client.post("/console/floor/mode", data={"mode": "preview"}).status_code == 400
    assert app.extensions["acs"].floor.mode() is None


def test_the_next_paced_tick_uses_the_mode_the_manager_chose(manager: Console, app, dialer, emu):
    svc = app.extensions["acs"]
    paced = PacedDialer(dialer, svc.floor, FloorSettings(), svc.config.queue_name)
    svc.floor.apply("cat", Event.READY, emu.engine.clock.datetime().timestamp())  # one employee ready
    manager.post("/console/floor/mode", {"mode": "preview"})
    ticked = paced.tick()
    assert ticked.mode == "preview" and ticked.calls == 0 and ticked.report is None and not emu.legs
    manager.post("/console/floor/mode", {"mode": "progressive"})
    ticked = paced.tick()
    assert ticked.mode == "progressive" and ticked.calls == 1 and len(ticked.report.placed) == 1
