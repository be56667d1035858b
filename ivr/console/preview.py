"""Preview mode: the employee sees the case and asks for the call (the case page's Call now button).

The call goes the way `acs dial --case` sends it (`DialerQueues.dial_case` → `workers.jobs.dial_case` →
`Dialer.dial_cases`), so the worker applies every calling rule and the per-case lock again when it dials. The job
carries the clicker's username (ivr.dialer.preview_calls): the live answer goes to the queue their own phone leg
waits on in preview mode (moved there now, ivr.dialer.floor_phone.wait_for_own_call), so it reaches the employee
who chose and prepared for this person, never another, or hears the short message within 2 s and is counted. With
no leg of theirs that could take it (not Ready, phone still ringing, on a call), nothing is queued.
"""

from __future__ import annotations

from twilio.rest import Client

from ivr.cases.models import Case
from ivr.console.audit import AuditLog
from ivr.console.calling import Calling
from ivr.console.employees import Employee
from ivr.console.floor_mode import DEFAULT_MODE, current_mode
from ivr.dialer.floor_phone import FloorPhoneError, wait_for_own_call
from ivr.dialer.pacing import PREVIEW
from ivr.preflight import dialing_problem
from ivr.services import Services


class PreviewRefused(Exception):
    """Nothing was queued; the message is one line for the employee (never an SSN/EIN)."""


def campaign_mode(svc: Services) -> str:
    return current_mode(svc.floor) if svc.floor is not None else DEFAULT_MODE


def is_preview(svc: Services) -> bool:
    return campaign_mode(svc) == PREVIEW


def request_call(
    svc: Services,
    calling: Calling,
    audit: AuditLog,
    queues,
    employee: Employee,
    case: Case,
    now: float,
    client: Client | None = None,
) -> str:
    """Queue one call on the case if the mode is preview, the engine allows a call now and the employee's phone
    leg can take the answer (`client`: the Twilio REST client that moves it to their own queue); the job's id."""
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
    if client is None or svc.floor is None:
        raise PreviewRefused("Call now needs Twilio configured: the answer goes to your phone on the floor.")
    try:
        wait_for_own_call(client, svc.config, svc.floor, employee.username)
    except FloorPhoneError as error:
        raise PreviewRefused(f"Not called: {error}.") from None
    job = queues.dial_case(case.case_id, employee.username)
    audit.record(employee.username, "preview_call", case.case_id, job=job.id)
    svc.history.append(
        case.case_id, "preview_call", f"Preview call requested by {employee.username}", actor=employee.username
    )
    return job.id
