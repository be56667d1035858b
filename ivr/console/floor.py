"""The floor in the console: Ready / Away for each employee with their state and the case at the bridge, and the
manager's live floor view. Both pages poll small JSON endpoints, so nothing needs a reload."""

from __future__ import annotations

from flask import flash, g, jsonify, redirect, render_template, request, url_for

from ivr import clock
from ivr.console.auth import manager_only, signed_in
from ivr.console.blueprint import console, console_services
from ivr.console.floor_mode import MODE_HELP, UnknownMode, change_mode, current_mode, in_effect
from ivr.console.sessions import polled
from ivr.console.telephony import twilio_rest
from ivr.dialer.floor import ROLLING_DAYS, State
from ivr.dialer.floor_phone import FloorPhoneError, go_away, go_ready, rewait_ready_legs
from ivr.services import services


@console.post("/floor/ready")
@signed_in
def floor_ready():
    svc = services()
    client = twilio_rest()
    if client is None or not svc.config.from_number or not svc.config.public_base_url:
        flash("Could not ring your phone: Twilio, ACS_FROM_NUMBER or PUBLIC_BASE_URL is not configured", "error")
        return redirect(url_for("console.queue"))
    try:
        what = go_ready(client, svc.config, svc.floor, g.employee.username, g.employee.phone)
    except FloorPhoneError as error:
        flash(f"Could not ring your phone: {error}", "error")
        return redirect(url_for("console.queue"))
    console_services().audit.record(g.employee.username, "floor_ready", detail=what)
    flash(f"Ready: {what}.")
    return redirect(url_for("console.queue"))


@console.post("/floor/away")
@signed_in
def floor_away():
    svc = services()
    what = go_away(twilio_rest(), svc.floor, g.employee.username)
    console_services().audit.record(g.employee.username, "floor_away", detail=what)
    flash(f"Away: {what}.")
    return redirect(url_for("console.queue"))


@console.get("/floor/me.json")
@signed_in
@polled
def floor_me():
    """The employee's own state, time in it, and the case of the call they are on (polled by the queue page)."""
    me = services().floor.get(g.employee.username)
    body = me.to_json(clock.now())
    if me.call.get("case_id"):
        body["case_url"] = url_for("console.case_page", case_id=me.call["case_id"])
    return jsonify(body)


@console.get("/floor")
@signed_in
@manager_only
def floor_view():
    return render_template("console/floor.html", mode=current_mode(services().floor), modes=MODE_HELP)


@console.post("/floor/mode")
@signed_in
@manager_only
def floor_mode():
    """The campaign's pacing mode: the paced dialer reads it on its next tick."""
    floor = services().floor
    try:
        previous, chosen = change_mode(
            floor, console_services().audit, g.employee.username, request.form.get("mode", "")
        )
    except UnknownMode as error:
        return render_template("console/error.html", title="Pacing mode not changed", message=str(error)), 400
    client = twilio_rest()
    if previous == "preview" and chosen != "preview" and client is not None:
        rewait_ready_legs(client, services().config, floor)  # off their own queues, onto the shared one
    flash(f"Pacing mode: {chosen} (was {previous}), from the dialer's next tick.")
    return redirect(url_for("console.floor_view"))


@console.get("/floor.json")
@signed_in
@manager_only
@polled
def floor_json():
    """Employees by state, live answers waiting, calls in flight and dial level, abandonment today and over 30 days."""
    svc = services()
    floor, keys, now = svc.floor, svc.keys, clock.now()
    states = floor.everyone()
    people = sorted(states)[:500]
    pipe = svc.redis.pipeline(transaction=False)
    pipe.zcard(keys.floor_waiting())
    pipe.zcard(keys.floor_in_flight(floor.campaign))
    pipe.zcard(keys.queue_waiting(svc.config.queue_name))
    waiting_live, in_flight, waiting_inbound = pipe.execute()
    days = floor.day_stats(now, ROLLING_DAYS)
    today = days[0]
    humans_30 = sum(int(d.get("human", 0)) for d in days)
    abandoned_30 = sum(int(d.get("abandoned", 0)) for d in days)
    signed_in = sum(1 for s in states.values() if s != State.AWAY.value)
    on_call = sum(1 for s in states.values() if s == State.ON_CALL.value)
    mode = current_mode(floor)
    counts = {state.value: sum(1 for s in states.values() if s == state.value) for state in State}
    return jsonify(
        {
            "campaign": floor.campaign,
            "mode": mode,
            "mode_in_effect": in_effect(mode, signed_in),
            "employees": [e.to_json(now) for e in floor.many(people)],
            "by_state": counts,
            "live_answers_waiting": int(waiting_live),
            "inbound_waiting": int(waiting_inbound),
            "calls_in_flight": int(in_flight),
            "dial_level": round(in_flight / max(1, counts[State.READY.value]), 2),
            "today": {
                k: today.get(k, "0") for k in ("placed", "human", "connected", "abandoned", "amd_false_positive")
            },
            "abandon_percent_today": _percent(int(today.get("abandoned", 0)), int(today.get("human", 0))),
            "abandon_percent_30d": _percent(abandoned_30, humans_30),
            "occupancy_now": round(on_call / signed_in, 3) if signed_in else 0.0,
            "talk_hours_today": round(float(today.get("talk_seconds", 0)) / 3600, 2),
        }
    )


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0
