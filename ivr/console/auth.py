"""Sign-in, sign-out and the decorators that keep every other console page behind them."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, flash, g, redirect, render_template, request, session, url_for

from ivr.cases.tin import redact
from ivr.console.blueprint import console, console_services
from ivr.console.employees import LOCKOUT_SECONDS


def signed_in(view: Callable) -> Callable:
    """Decorator: the employee must be signed in (and still exist); else back to the sign-in page."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        username = session.get("employee")
        employee = console_services().employees.get(username) if username else None
        if employee is None or session.get("version") != employee.session_version:
            session.clear()
            return redirect(url_for("console.sign_in", next=request.path))
        g.employee = employee
        return view(*args, **kwargs)

    return wrapper


def manager_only(view: Callable) -> Callable:
    """Decorator (inside `signed_in`): managers only."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not g.employee.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only ever redirect inside the console (no open redirect through ?next=, no header-breaking characters)."""
    if (
        target
        and target.startswith("/console/")
        and "\\" not in target
        and all("!" <= ch <= "~" for ch in target)  # a newline in Location is a 500, not a redirect
    ):
        return target
    return url_for("console.queue")


@console.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    cs = console_services()
    if request.method == "POST":
        username = request.form.get("username", "").strip().lower()[:64]
        result = cs.employees.sign_in(username, request.form.get("password", ""))
        if result.employee is not None:
            session.clear()  # a fresh session (and CSRF token) on every sign-in
            session.permanent = True
            session["employee"] = result.employee.username
            session["version"] = result.employee.session_version
            cs.audit.record(result.employee.username, "sign_in")
            return redirect(_safe_next(request.form.get("next")))
        # Whatever was typed is logged, and people type the wrong thing into a username field: mask a TIN.
        cs.audit.record(redact(username) or "(blank)", "sign_in_locked" if result.locked else "sign_in_failed")
        if result.locked:
            message = f"Too many failed sign-ins: this account is locked for {LOCKOUT_SECONDS // 60} minutes."
        else:
            message = "Wrong username or password."
        return render_template("console/sign_in.html", error=message, next=request.form.get("next", "")), 401
    return render_template("console/sign_in.html", error=None, next=request.args.get("next", ""))


@console.post("/sign-out")
def sign_out():
    username = session.get("employee")
    if username:
        console_services().audit.record(username, "sign_out")
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("console.sign_in"))
