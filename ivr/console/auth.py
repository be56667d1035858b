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
        username, session_id = session.get("employee"), session.get("sid")
        employee = console_services().sessions.check(username, session_id) if username and session_id else None
        if employee is None or session.get("version") != employee.session_version:
            # Signed out, idle too long, signed out everywhere by a manager, or the employee was re-added.
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


def client_address() -> str:
    """The address the request came from, as the WSGI server saw it.

    Behind a reverse proxy every request comes from the proxy: wrap the app in werkzeug's ProxyFix (with the
    number of proxies you run) so remote_addr is the client's. X-Forwarded-For is never read directly: anyone
    can send one.
    """
    return (request.remote_addr or "unknown")[:64]


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
        address = client_address()
        result = cs.employees.sign_in(username, request.form.get("password", ""), address)
        if result.employee is not None:
            session.clear()  # a fresh session (and CSRF token) on every sign-in
            session.permanent = True
            session["employee"] = result.employee.username
            session["version"] = result.employee.session_version
            session["sid"] = cs.sessions.start(result.employee.username)
            cs.audit.record(result.employee.username, "sign_in", address=address)
            return redirect(_safe_next(request.form.get("next")))
        # Whatever was typed is logged, and people type the wrong thing into a username field: mask a TIN.
        action = "sign_in_throttled" if result.throttled else "sign_in_locked" if result.locked else "sign_in_failed"
        cs.audit.record(redact(username) or "(blank)", action, address=address)
        minutes = LOCKOUT_SECONDS // 60
        if result.throttled:
            message = f"Too many failed sign-ins from your address: try again in {minutes} minutes."
        elif result.locked:
            message = f"Too many failed sign-ins for this account from your address: try again in {minutes} minutes."
        else:
            message = "Wrong username or password."
        status = 429 if result.throttled or result.locked else 401
        return render_template("console/sign_in.html", error=message, next=request.form.get("next", "")), status
    return render_template("console/sign_in.html", error=None, next=request.args.get("next", ""))


@console.post("/sign-out")
def sign_out():
    username, session_id = session.get("employee"), session.get("sid")
    if session_id:
        console_services().sessions.end(session_id)  # a copy of the cookie is worthless from now on
    if username:
        console_services().audit.record(username, "sign_out")
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("console.sign_in"))
