"""The employee's pages: the queue, the current caller, finding a case, the case page and its actions."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from ivr import clock
from ivr.cases.actions import OUTCOMES, ActionKind
from ivr.cases.crn import clean_crn
from ivr.cases.models import Case, is_case_id
from ivr.cases.phones import mask_phone
from ivr.cases.tin import redact
from ivr.cases.view import find_case
from ivr.console import telephony
from ivr.console.auth import signed_in
from ivr.console.blueprint import console, console_services
from ivr.console.calling import Calling
from ivr.console.casework import ActionBusy, ActionRefused, clean_text
from ivr.console.preview import PreviewRefused, is_preview, request_call
from ivr.console.sessions import polled
from ivr.services import services


@console.get("/")
def index():
    return redirect(url_for("console.queue"))


@console.get("/queue")
@signed_in
def queue():
    return _render_queue()


def _render_queue(status: int = 200):
    svc = services()
    return (
        render_template(
            "console/queue.html",
            waiting=svc.callers.waiting(svc.config.queue_name),
            now=time.time(),
            mask_phone=mask_phone,
            twilio_queue=telephony.queue_figures(svc),
            current=_current_caller(),
        ),
        status,
    )


@console.get("/current-caller")
@signed_in
@polled
def current_caller():
    """Fragment polled by the queue page while the employee's phone rings and connects."""
    return render_template("console/_current_caller.html", current=_current_caller(), now=time.time())


def _current_caller():
    svc = services()
    agent_sid = telephony.current_agent_call(svc, g.employee)
    if agent_sid is None:
        return None
    return {"agent_call_sid": agent_sid, "caller": svc.callers.for_agent_call(agent_sid), "mask_phone": mask_phone}


@console.post("/take-next")
@signed_in
def take_next():
    svc = services()
    try:
        sid = telephony.ring_employee(svc, g.employee)
    except telephony.CannotRing as error:
        flash(f"Could not ring your phone: {error}", "error")
        return redirect(url_for("console.queue"))
    console_services().audit.record(g.employee.username, "take_call", agent_call_sid=sid)
    flash(f"Ringing {g.employee.phone}: answer to be connected to the next caller.")
    return redirect(url_for("console.queue"))


@console.post("/release-caller")
@signed_in
def release_caller():
    telephony.hang_up_agent_call(services(), g.employee)
    return redirect(url_for("console.queue"))


@console.post("/find")
@signed_in
def find():
    """Open a case by CRN (rate-limited per employee) or by case id."""
    svc, cs = services(), console_services()
    text = request.form.get("crn_or_case_id", "").strip()[:64]
    if not text:
        flash("Enter the CRN the caller gives you, or a case id.", "error")
        return redirect(url_for("console.queue"))
    by_crn = clean_crn(text).isdigit()
    if by_crn and not _crn_lookup_allowed(g.employee.username):
        cs.audit.record(g.employee.username, "crn_rate_limited")
        flash(
            f"Too many CRN lookups: at most {svc.config.crn_lookups_per_minute} a minute. Wait a moment and retry.",
            "error",
        )
        return _render_queue(429)
    if not by_crn and not is_case_id(text):
        flash("That is neither a CRN (10 digits) nor a case id.", "error")
        return redirect(url_for("console.queue"))
    case, crn = find_case(svc.store, text)
    if case is None:
        cs.audit.record(g.employee.username, "crn_lookup_failed" if by_crn else "case_lookup_failed")
        if by_crn:
            flash(
                "No case has that CRN. Read the ten digits back to the caller: the last one is a check digit, so a "
                "single wrong or swapped digit is caught.",
                "error",
            )
        else:
            flash(f"No case with id {redact(text)}.", "error")  # the flash rides in the (readable) session cookie
        return redirect(url_for("console.queue"))
    if crn:
        session["opened_by_crn"] = {"case_id": case.case_id, "crn": crn}
        _link_current_caller(case, crn)
    return redirect(url_for("console.case_page", case_id=case.case_id))


def _crn_lookup_allowed(username: str) -> bool:
    svc = services()
    key = svc.keys.crn_lookups(username)
    pipe = svc.redis.pipeline()
    pipe.set(key, 0, ex=60, nx=True)  # a fixed one-minute window from the first lookup (INCR keeps the TTL)
    pipe.incr(key)
    count = pipe.execute()[1]
    return count <= svc.config.crn_lookups_per_minute


def _link_current_caller(case: Case, crn: str) -> None:
    """The caller on the employee's line gave this CRN: remember it on the call and in the case history."""
    svc = services()
    agent_sid = telephony.current_agent_call(svc, g.employee)
    caller = svc.callers.for_agent_call(agent_sid) if agent_sid else None
    if caller is not None and caller.queue_result is None:  # a call that has ended is not "on the line"
        svc.callers.attach_case(caller.call_sid, case.case_id, crn)
        svc.history.append(
            case.case_id,
            "call_in",
            f"Caller gave CRN {crn} to {g.employee.name}",
            actor=g.employee.username,
            call_sid=caller.call_sid,
        )


def _load_case(case_id: str) -> Case:
    if not is_case_id(case_id):
        abort(404)
    case = services().store.get_case(case_id)
    if case is None:
        abort(404)
    return case


@console.get("/cases/<case_id>")
@signed_in
def case_page(case_id: str):
    return _render_case(_load_case(case_id), revealed=None)


def _calling() -> Calling:
    found = current_app.extensions.get("acs.calling")
    if found is None:
        found = current_app.extensions["acs.calling"] = Calling(services(), console_services().audit)
    return found


def _render_case(case: Case, revealed: str | None, status: int = 200):
    cs = console_services()
    page = cs.casework.page(case)
    calling = _calling()
    opened = session.get("opened_by_crn") or {}
    crn = opened.get("crn") if opened.get("case_id") == case.case_id else None
    cs.audit.record(g.employee.username, "view_case", case.case_id, crn=crn)
    return (
        render_template(
            "console/case.html",
            case=case,
            page=page,
            crn=crn,
            revealed=revealed,
            outcomes=OUTCOMES,
            decision=calling.decision(case),
            stated=calling.stated_times(case),
            preview=is_preview(services()),
            now=time.time(),
            default_follow_up=datetime.fromtimestamp(time.time() + 2 * 86400, UTC).strftime("%Y-%m-%dT%H:%M"),
        ),
        status,
    )


def _dialer_queues():
    """The queues `acs dial` uses (workers.queues), built once per app on RQ's own byte-mode client."""
    found = current_app.extensions.get("acs.dialer_queues")
    if found is None:
        from workers.queues import DialerQueues, rq_connection

        svc = services()
        found = current_app.extensions["acs.dialer_queues"] = DialerQueues(rq_connection(svc.config), svc.keys)
    return found


@console.post("/cases/<case_id>/call")
@signed_in
def call_now(case_id: str):
    """Preview mode: queue a call on this case, as `acs dial --case` does (ivr.console.preview)."""
    case = _load_case(case_id)
    svc = services()
    try:
        audit, queues, phone = console_services().audit, _dialer_queues(), telephony.twilio_rest()
        request_call(svc, _calling(), audit, queues, g.employee, case, clock.now(), phone)
    except PreviewRefused as refused:
        flash(str(refused), "error")
        return _render_case(case, revealed=None, status=409)
    flash("Call requested: the dialer places it within seconds, and the answer comes to your phone.")
    return redirect(url_for("console.case_page", case_id=case.case_id, _anchor="calling"))


@console.post("/cases/<case_id>/reveal")
@signed_in
def reveal(case_id: str):
    """Show the full SSN/EIN once, in this response only (never in a URL), and log that it was shown."""
    case = _load_case(case_id)
    reason = clean_text(request.form.get("reason", "")[:200])
    if not reason:
        flash("Say why you need the full number.", "error")
        return redirect(url_for("console.case_page", case_id=case.case_id))
    console_services().audit.record(g.employee.username, "reveal_tin", case.case_id, reason=reason)
    return _render_case(case, revealed=case.tin.formatted)


@console.post("/cases/<case_id>/outcome")
@signed_in
def record_outcome(case_id: str):
    case = _load_case(case_id)
    try:
        outcome = request.form.get("outcome", "")
        console_services().casework.record_outcome(g.employee, case, outcome, request.form.get("note", ""))
        if outcome == "wrong_number":
            _calling().wrong_number(g.employee, case)
        flash("Outcome recorded.")
    except ValueError as error:
        flash(str(error), "error")
    return redirect(url_for("console.case_page", case_id=case.case_id))


@console.post("/cases/<case_id>/note")
@signed_in
def add_note(case_id: str):
    case = _load_case(case_id)
    try:
        console_services().casework.add_note(g.employee, case, request.form.get("note", ""))
        flash("Note added.")
    except ValueError as error:
        flash(str(error), "error")
    return redirect(url_for("console.case_page", case_id=case.case_id))


@console.post("/cases/<case_id>/stop-calling")
@signed_in
def stop_calling(case_id: str):
    case = _load_case(case_id)
    try:
        if request.form.get("resume"):
            done = _calling().resume_calling(g.employee, case)
            flash("The taxpayer may be called again." if done else "There was no stop-calling request to withdraw.")
        else:
            what = _calling().stop_calling(
                g.employee, case, request.form.get("scope", ""), clean_text(request.form.get("reason", "")[:200])
            )
            flash(f"Recorded: {what}. The dialer obeys it from its next attempt.")
    except ValueError as error:
        flash(str(error), "error")
    return redirect(url_for("console.case_page", case_id=case.case_id, _anchor="calling"))


@console.post("/cases/<case_id>/inconvenient-times")
@signed_in
def inconvenient_times(case_id: str):
    case = _load_case(case_id)
    try:
        said = _calling().set_inconvenient_times(
            g.employee, case, request.form.get("contact", "taxpayer")[:20], request.form.get("times", "")[:300]
        )
        flash(f"Inconvenient times: {said}.")
    except ValueError as error:
        flash(str(error), "error")
    return redirect(url_for("console.case_page", case_id=case.case_id, _anchor="calling"))


@console.post("/cases/<case_id>/follow-up")
@signed_in
def follow_up(case_id: str):
    case = _load_case(case_id)
    casework = console_services().casework
    if request.form.get("cancel"):
        done = casework.cancel_follow_up(g.employee, case)
        flash("Follow-up call cancelled." if done else "There was no follow-up call to cancel.")
        return redirect(url_for("console.case_page", case_id=case.case_id))
    try:
        at = datetime.strptime(request.form.get("at", ""), "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    except ValueError:
        flash("Give the follow-up date and time (UTC).", "error")
        return redirect(url_for("console.case_page", case_id=case.case_id))
    try:
        casework.schedule_follow_up(g.employee, case, at)
        flash(f"Follow-up call scheduled for {at:%Y-%m-%d %H:%M} UTC.")
    except ValueError as error:
        flash(str(error), "error")
    return redirect(url_for("console.case_page", case_id=case.case_id))


@console.post("/cases/<case_id>/actions/<action>")
@signed_in
def take_action(case_id: str, action: str):
    case = _load_case(case_id)
    try:
        kind = ActionKind(action)
    except ValueError:
        abort(404)
    try:
        letter = console_services().casework.take_action(g.employee, case, kind)
    except ActionBusy as busy:
        flash(str(busy), "error")
        return _render_case(case, revealed=None, status=409)
    except ActionRefused as refused:
        flash(f"{refused.decision.spec.title} not allowed: " + " ".join(refused.decision.unmet), "error")
        return _render_case(case, revealed=None, status=409)
    flash(f"{letter.title}: done. The letter is ready to download below.")
    return redirect(url_for("console.case_page", case_id=case.case_id, _anchor="letters"))


@console.get("/cases/<case_id>/letters/<letter_id>.pdf")
@signed_in
def letter(case_id: str, letter_id: str):
    case = _load_case(case_id)
    found = console_services().casework.letter_pdf(case.case_id, letter_id)
    if found is None:
        abort(404)
    filename, pdf = found
    console_services().audit.record(g.employee.username, "letter_download", case.case_id, letter_id=letter_id)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
