"""Preview mode: Call now on the case page queues the `acs dial --case` job for the employee who clicked (their phone
takes the answer), inside the calling rules, and only when their phone leg is on the floor."""

from __future__ import annotations

import pytest
from console_support import Console
from rq import Queue

from emulator import Emulator
from emulator.parties import Employee as EmployeePhone
from ivr import clock
from ivr.dialer.floor_phone import preview_queue
from workers.queues import CASE_JOB, DIALER_QUEUE, rq_connection

CASE = "ACS-000104"
ALLOWED_AT = 1_796_244_000.0  # Wednesday 2026-12-02 20:00 UTC: the sample case may be called (test_calling_rules)


@pytest.fixture
def queued(app, config):
    """The jobs waiting on the dialer's RQ queue, read from Redis (no worker runs)."""
    connection = rq_connection(config)
    queue = Queue(DIALER_QUEUE, connection=connection)
    yield lambda: [(job.func_name, job.args) for job in queue.get_jobs()]
    connection.close()
    made = app.extensions.get("acs.dialer_queues")
    if made is not None:
        made.connection.close()


def preview(app) -> None:
    app.extensions["acs"].floor.set_mode("preview")


def history(redis, keys) -> list[dict]:
    return [fields for _id, fields in redis.xrange(keys.case_history(CASE))]


def audited(redis, keys, action: str) -> list[dict]:
    return [fields for _id, fields in redis.xrange(keys.audit_log()) if fields["action"] == action]


def test_the_button_shows_only_in_preview_mode(app, signed_in: Console, sample_data):
    assert 'id="call-now"' not in signed_in.get(f"/console/cases/{CASE}").get_data(as_text=True)
    preview(app)
    html = signed_in.get(f"/console/cases/{CASE}").get_data(as_text=True)
    assert 'id="call-now"' in html and f"/console/cases/{CASE}/call" in html
    assert "the answer comes to your phone" in html and "first ready employee" not in html


def _on_the_floor(console: Console, emulator: Emulator) -> None:
    """Ready: alice's phone answers and waits on the floor (the shared queue, as the mode was predictive then)."""
    emulator.assign("+12025550170", EmployeePhone("alice's phone"))
    console.post("/console/floor/ready")
    emulator.run(until=emulator.engine.now() + 10)


def _waits_on(emulator: Emulator) -> str:
    notes = [e.text for e in emulator.transcript.for_leg("alice's phone") if e.text.startswith("dial: waiting")]
    return notes[-1].split("'")[1]


def test_call_now_queues_the_dial_case_job_audits_and_notes_it(
    app, signed_in, sample_data, redis, keys, queued, emulator: Emulator
):
    _on_the_floor(signed_in, emulator)
    preview(app)
    before = len(history(redis, keys))
    with clock.frozen(ALLOWED_AT):
        response = signed_in.post(f"/console/cases/{CASE}/call")
    assert response.status_code == 302 and response.location.endswith(f"/console/cases/{CASE}#calling")
    assert queued() == [(CASE_JOB, (CASE, "alice"))]  # the job carries the clicker: the answer goes to her
    emulator.run(until=emulator.engine.now() + 1)
    assert _waits_on(emulator) == preview_queue("alice")  # her leg moved to her own queue at the click
    entry = audited(redis, keys, "preview_call")
    assert len(entry) == 1 and entry[0]["employee"] == "alice" and entry[0]["case_id"] == CASE
    added = history(redis, keys)[before:]
    assert [(e["actor"], e["summary"]) for e in added] == [("alice", "Preview call requested by alice")]
    assert "Call requested" in signed_in.get(response.location).get_data(as_text=True)


def assert_click_refused(signed_in, redis, keys, queued, why: str) -> None:
    """Call now answers 409 with the one-line reason, and queues, audits and notes nothing."""
    before = len(history(redis, keys))
    with clock.frozen(ALLOWED_AT):
        response = signed_in.post(f"/console/cases/{CASE}/call")
    assert response.status_code == 409
    assert why in response.get_data(as_text=True)
    assert queued() == [] and not audited(redis, keys, "preview_call")
    assert len(history(redis, keys)) == before


def test_without_a_phone_on_the_floor_the_click_is_refused(app, signed_in, sample_data, redis, keys, queued):
    preview(app)
    why = "Not called: your phone is not on the floor: click Ready first"
    assert_click_refused(signed_in, redis, keys, queued, why)


def test_outside_preview_mode_nothing_is_queued(app, signed_in, sample_data, redis, keys, queued):
    with clock.frozen(ALLOWED_AT):
        response = signed_in.post(f"/console/cases/{CASE}/call")
    assert response.status_code == 409
    assert "paces by predictive" in response.get_data(as_text=True)
    assert queued() == [] and not audited(redis, keys, "preview_call")


def test_a_call_the_engine_refuses_is_not_queued(app, signed_in, sample_data, redis, keys, queued):
    preview(app)
    signed_in.post(f"/console/cases/{CASE}/stop-calling", {"scope": "person", "reason": "asked"})
    assert_click_refused(signed_in, redis, keys, queued, "Not to be called now: do_not_call:")


def test_call_now_needs_the_form_token(app, console: Console, alice, sample_data, queued):
    console.sign_in("alice")
    preview(app)
    response = console.client.post(f"/console/cases/{CASE}/call", data={})
    assert response.status_code == 400 and queued() == []
