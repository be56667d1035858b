"""The console's Twilio side: queue figures from the Queue API, and ringing an employee to take the next caller.

The client comes from `ivr.twilio_client.rest_client` (real Twilio or, with TWILIO_API_BASE, the emulator) unless
the app was given one in `app.extensions["twilio_client"]` (tests pass the emulator's in-process client).
Twilio being unconfigured or unreachable degrades the queue view; it never breaks it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ivr.console.employees import Employee
from ivr.services import Services
from ivr.voice.callers import CONTEXT_TTL_SECONDS

log = logging.getLogger(__name__)

AGENT_CALL_TTL_SECONDS = CONTEXT_TTL_SECONDS  # the employee's leg lives as long as the caller context it bridges


class CannotRing(RuntimeError):
    """Why the employee's phone could not be rung (safe to show)."""


@dataclass(frozen=True)
class TwilioQueue:
    current_size: int
    average_wait_time: int


def twilio_rest() -> Client | None:
    app = current_app
    client = app.extensions.get("twilio_client")
    if client is None:
        from ivr.twilio_client import TwilioNotConfigured, rest_client

        try:
            client = rest_client(app.extensions["acs"].config)
        except TwilioNotConfigured:
            return None
        app.extensions["twilio_client"] = client
    return client


def queue_figures(svc: Services) -> TwilioQueue | None:
    """Size and average wait of the Twilio queue, or None when Twilio cannot tell us."""
    client = twilio_rest()
    if client is None:
        return None
    try:
        for queue in client.queues.list(limit=100):
            if queue.friendly_name == svc.config.queue_name:
                return TwilioQueue(int(queue.current_size or 0), int(queue.average_wait_time or 0))
    except (TwilioException, OSError) as error:
        log.warning("Twilio queue figures unavailable: %s", type(error).__name__)
    return None


def ring_employee(svc: Services, employee: Employee) -> str:
    """Call the employee's phone (or Client identity) with the TwiML that dials the queue; return the CallSid."""
    client = twilio_rest()
    if client is None:
        raise CannotRing("Twilio is not configured (TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)")
    if not svc.config.from_number:
        raise CannotRing("ACS_FROM_NUMBER is not set, so there is no caller ID to ring you from")
    if not svc.config.public_base_url:
        raise CannotRing("PUBLIC_BASE_URL is not set, so Twilio cannot fetch the queue TwiML")
    try:
        call = client.calls.create(
            to=employee.phone, from_=svc.config.from_number, url=svc.config.public_url("/voice/agent")
        )
    except (TwilioException, OSError) as error:
        log.warning("ringing employee %s failed: %s", employee.username, type(error).__name__)
        raise CannotRing(f"Twilio refused the call to your phone ({type(error).__name__})") from None
    svc.redis.set(svc.keys.employee_agent_call(employee.username), call.sid, ex=AGENT_CALL_TTL_SECONDS)
    return call.sid


def current_agent_call(svc: Services, employee: Employee) -> str | None:
    return svc.redis.get(svc.keys.employee_agent_call(employee.username))


def hang_up_agent_call(svc: Services, employee: Employee) -> None:
    """Forget the employee's current agent leg (the console stops showing that caller)."""
    svc.redis.delete(svc.keys.employee_agent_call(employee.username))
