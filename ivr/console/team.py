"""The manager's employee list, and "sign this employee out everywhere" (a lost laptop, a shared PC, a leaver)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from ivr.console.auth import manager_only, signed_in
from ivr.console.blueprint import console, console_services


@console.get("/employees")
@signed_in
@manager_only
def employees():
    return render_template("console/employees.html", people=console_services().employees.all())


@console.post("/employees/<username>/sign-out-everywhere")
@signed_in
@manager_only
def sign_out_everywhere(username: str):
    cs = console_services()
    if not cs.employees.sign_out_everywhere(username[:64]):
        abort(404)
    cs.audit.record(g.employee.username, "sign_out_everywhere", target=username)
    flash(f"{username} is signed out on every device.")
    if username == g.employee.username:
        return redirect(url_for("console.sign_in"))
    return redirect(url_for("console.employees"))
