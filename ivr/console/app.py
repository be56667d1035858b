"""Wire the console into the app: cookie settings, CSRF, its services and the blueprint with every route."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from ivr.console import auth, floor, manager, views  # noqa: F401  (register the routes on the blueprint)
from ivr.console.audit import AuditLog
from ivr.console.blueprint import SESSION_HOURS, ConsoleServices, _duration, _when, console, csrf
from ivr.console.casework import Casework
from ivr.console.employees import Employees
from ivr.services import Services


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
