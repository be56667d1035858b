"""The console blueprint and what its views share: CSRF, response headers, template filters, services."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from ivr.console.audit import AuditLog
from ivr.console.casework import Casework
from ivr.console.employees import Employees
from ivr.console.sessions import ServerSessions
from ivr.services import services

console = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()
SESSION_HOURS = 8


class ConsoleServices:
    def __init__(self, employees: Employees, audit: AuditLog, casework: Casework, sessions: ServerSessions):
        self.employees = employees
        self.audit = audit
        self.casework = casework
        self.sessions = sessions


def console_services() -> ConsoleServices:
    from flask import current_app

    return current_app.extensions["acs_console"]


@console.before_request
def _protect_forms() -> None:
    if request.method == "POST":
        csrf.protect()


@console.after_request
def _no_store(response):
    """Case data must not linger in shared caches or be framed by another site."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@console.errorhandler(CSRFError)
def _csrf_failed(error: CSRFError):
    return render_template("console/error.html", title="Form expired", message=error.description), 400


@console.app_context_processor
def _inject() -> dict:
    return {"employee": g.get("employee"), "queue_name": services().config.queue_name}


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(int(seconds), 0)
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"
