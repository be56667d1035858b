"""The employee's phone leg through the twilio SDK: Ready rings it (or ends wrap-up early), Away hangs it up."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ivr import clock
from ivr.config import Config
from ivr.dialer.floor import Event, Floor, State

log = logging.getLogger(__name__)

#: The outbound queue a ready employee's leg waits on (ivr.voice.twiml.FLOOR_QUEUE spells the same name).
FLOOR_QUEUE = "acs-outbound"
AGENT_PATH = "/voice/floor/agent"
AGENT_STATUS_PATH = "/voice/floor/agent-status"


class FloorPhoneError(RuntimeError):
    """Why the employee's phone could not be rung or released (safe to show)."""


def go_ready(client: Client, config: Config, floor: Floor, username: str, phone: str) -> str:
    """Make the employee ready: ring their phone into the floor, or cut a wrap-up short; returns what happened."""
    employee = floor.get(username)
    if employee.state is State.READY or (employee.state is State.AWAY and employee.joining):
        return "already ready" if employee.state is State.READY else "ringing your phone"
    if employee.state is State.ON_CALL:
        floor.redis.hdel(floor.keys.floor_employee(username), "away_after")
        return "on a call"
    try:
        if employee.state is State.WRAP_UP and employee.line:
            client.calls(employee.line).update(url=config.public_url(AGENT_PATH), method="POST")
            floor.apply(username, Event.READY, clock.now())
            return "wrap-up ended"
        ensure_queue(client)
        call = client.calls.create(
            to=phone,
            from_=config.from_number,
            url=config.public_url(AGENT_PATH),
            method="POST",
            status_callback=config.public_url(AGENT_STATUS_PATH),
            status_callback_method="POST",
            status_callback_event=["completed"],
        )
    except (TwilioException, OSError) as error:
        log.warning("floor: ringing %s failed: %s", username, type(error).__name__)
        raise FloorPhoneError(f"Twilio refused the call to your phone ({type(error).__name__})") from None
    floor.bind_line(username, call.sid)
    return "ringing your phone"


def ensure_queue(client: Client) -> None:
    """Twilio creates a queue on the first Enqueue, but a Dial to a queue that does not exist yet fails."""
    if not any(q.friendly_name == FLOOR_QUEUE for q in client.queues.list(limit=100)):
        client.queues.create(friendly_name=FLOOR_QUEUE)


def go_away(client: Client | None, floor: Floor, username: str) -> str:
    """Take the employee off the floor; during a call, as soon as it ends."""
    employee = floor.get(username)
    if employee.state is State.ON_CALL:
        floor.redis.hset(floor.keys.floor_employee(username), "away_after", "1")
        return "away after this call"
    floor.apply(username, Event.AWAY, clock.now())
    if employee.line and client is not None:
        try:
            client.calls(employee.line).update(status="completed")
        except (TwilioException, OSError) as error:
            log.warning("floor: hanging up %s's phone failed: %s", username, type(error).__name__)
    return "away"
