"""Manager pages: the audit log (filterable) and the campaign view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import render_template, request

from ivr.console.audit import AuditFilter
from ivr.console.auth import manager_only, signed_in
from ivr.console.blueprint import console, console_services
from ivr.console.campaign import campaign_stats
from ivr.console.telephony import queue_figures
from ivr.services import services


def _day(name: str) -> datetime | None:
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None


@console.get("/audit")
@signed_in
@manager_only
def audit():
    cs = console_services()
    since, until = _day("since"), _day("until")
    filters = AuditFilter(
        employee=request.args.get("employee", "").strip()[:64],
        case_id=request.args.get("case_id", "").strip()[:64],
        action=request.args.get("action", "").strip()[:64],
        since=since.timestamp() if since else None,
        until=(until + timedelta(days=1)).timestamp() if until else None,
    )
    return render_template(
        "console/audit.html",
        entries=cs.audit.search(filters, limit=500),
        filters=filters,
        args=request.args,
        actions=cs.audit.actions(),
        employees=cs.employees.all(),
    )


@console.get("/campaign")
@signed_in
@manager_only
def campaign():
    svc = services()
    return render_template("console/campaign.html", stats=campaign_stats(svc), twilio_queue=queue_figures(svc))
