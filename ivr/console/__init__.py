"""The collection employee's web console: sign in, take the next caller, open the case by CRN, act on it.

Server-rendered templates over the same Redis state as the voice webhooks. Every POST carries a CSRF token
(Flask-WTF), checked here only, so Twilio's webhooks are untouched. Session cookies are HttpOnly, SameSite=Lax and
Secure whenever PUBLIC_BASE_URL is https.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from ivr.audit import AuditLog
from ivr.console.casework import Casework
from ivr.employees import Employees
from ivr.services import Services, services

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


def init_app(app: Flask) -> None:
    """Wire the console into the app: cookie settings, CSRF, the blueprint."""
    svc: Services = app.extensions["acs"]
    app.config.update(
        SESSION_COOKIE_NAME="acs_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(svc.config.public_base_url or "").startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        WTF_CSRF_CHECK_DEFAULT=False,  # checked in the console's before_request; webhooks are signed instead
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    csrf.init_app(app)
    audit = AuditLog(svc.redis, svc.keys)
    app.extensions["acs_console"] = ConsoleServices(
        employees=Employees(svc.redis, svc.keys), audit=audit, casework=Casework(svc, audit)
    )
    app.register_blueprint(console)
    app.add_template_filter(_when, "when")
    app.add_template_filter(_duration, "duration")


class ConsoleServices:
    def __init__(self, employees: Employees, audit: AuditLog, casework: Casework):
        self.employees = employees
        self.audit = audit
        self.casework = casework


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


from ivr.console import auth, manager, views  # noqa: E402,F401  (register the routes on the blueprint)
