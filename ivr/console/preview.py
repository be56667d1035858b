"""Preview mode: the employee sees the case and asks for the call (the case page's Call now button).

The call goes the way `acs dial --case` sends it (`DialerQueues.dial_case` → `workers.jobs.dial_case` →
`Dialer.dial_cases`), so the worker applies every calling rule and the per-case lock again when it dials. The answer
joins the floor's outbound queue like any other: the first ready employee takes it (often, not always, the clicker).
"""

from __future__ import annotations

from ivr.cases.models import Case
from ivr.console.audit import AuditLog
from ivr.console.calling import Calling
from ivr.console.employees import Employee
from ivr.console.floor_mode import DEFAULT_MODE, current_mode
from ivr.preflight import dialing_problem
from ivr.services import Services

PREVIEW = "preview"


class PreviewRefused(Exception):
    """Nothing was queued; the message is one line for the employee (never an SSN/EIN)."""


def campaign_mode(svc: Services) -> str:
    return current_mode(svc.floor) if svc.floor is not None else DEFAULT_MODE


def is_preview(svc: Services) -> bool:
    return campaign_mode(svc) == PREVIEW


def request_call(
    svc: Services, calling: Calling, audit: AuditLog, queues, employee: Employee, case: Case, now: float
) -> str:
    """Queue one call on the case if the mode is preview and the engine allows a call now; the RQ job's id."""
    mode = campaign_mode(svc)
    if mode != PREVIEW:
        raise PreviewRefused(f"Call now is for preview mode; this campaign paces by {mode}, so the dialer calls.")
    problem = dialing_problem(svc.config, "Call now")
    if problem:
        raise PreviewRefused(problem)
    decision = calling.decision(case, now)
    if decision is None or not decision.allowed:
        why = decision.reasons if decision is not None else "the case could not be read"
        raise PreviewRefused(f"Not to be called now: {why}")
    job = queues.dial_case(case.case_id)
    audit.record(employee.username, "preview_call", case.case_id, job=job.id)
    svc.history.append(
        case.case_id, "preview_call", f"Preview call requested by {employee.username}", actor=employee.username
    )
    return job.id
