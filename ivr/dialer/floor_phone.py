"""The employee's phone leg through the twilio SDK: Ready rings it (or ends wrap-up early), Away hangs it up."""

from __future__ import annotations

import logging

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from ivr import clock
from ivr.config import Config
from ivr.dialer.floor import Event, Floor, State

log = logging.getLogger(__name__)

#: The outbound queue a ready employee's leg waits on (ivr.voice.twiml.FLOOR_QUEUE spells the same name).
FLOOR_QUEUE = "acs-outbound"
#: Preview mode: each employee's leg waits on a queue of their own, named after their username (no taxpayer data;
#: usernames are at most 32 characters, within Twilio's 64), so the person they chose to call reaches them only.
PREVIEW_QUEUE_PREFIX = "acs-preview-"
#: How long after Call now the clicker's leg keeps to their own queue (inbound callers wait for another leg): the
#: job's start, the ring (ACS_RING_TIMEOUT) and the answering-machine verdict (at most 30 s), with room to spare.
OWN_CALL_SECONDS = 90
AGENT_PATH = "/voice/floor/agent"
AGENT_STATUS_PATH = "/voice/floor/agent-status"


class FloorPhoneError(RuntimeError):
    """Why the employee's phone could not be rung or released (safe to show)."""


def go_ready(client: Client, config: Config, floor: Floor, username: str, phone: str) -> str:
    """Make the employee ready: ring their phone into the floor, or cut a wrap-up short; returns what happened."""
    employee = floor.get(username)
    if employee.state is State.AWAY and employee.joining:
        return "ringing your phone"
    if employee.state is State.ON_CALL:
        floor.redis.hdel(floor.keys.floor_employee(username), "away_after")
        return "on a call"
    try:
        if employee.state is State.READY and (not employee.line or _leg_alive(client, employee.line)):
            return "already ready"
        if employee.state is State.WRAP_UP and employee.line and _redirected(client, config, employee.line):
            floor.apply(username, Event.READY, clock.now())
            return "wrap-up ended"
        if employee.state is not State.AWAY:
            # Ready or wrapping up on a leg that has ended, its final status lost: away, and the phone rung again.
            floor.apply(username, Event.AWAY, clock.now())
        ensure_queue(client)
        ensure_queue(client, preview_queue(username))  # the leg waits there whenever the campaign is in preview
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


#: Twilio's answer to a redirect of a call that has ended ("Call is not in-progress. Cannot redirect.").
NOT_IN_PROGRESS = 21220
_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def _leg_alive(client: Client, line: str) -> bool:
    """Whether a ready employee's phone leg is still up (asked of Twilio only when they click Ready again: the
    floor would otherwise keep them ready for good on a leg whose final status was lost)."""
    try:
        return client.calls(line).fetch().status not in _ENDED
    except TwilioRestException as error:
        if error.status == 404:
            return False
        raise


def _redirected(client: Client, config: Config, line: str) -> bool:
    """wait_again, False when the leg has ended (Twilio refuses to redirect a finished call)."""
    try:
        wait_again(client, config, line)
    except TwilioRestException as error:
        if error.code == NOT_IN_PROGRESS or error.status == 404:
            return False
        raise
    return True


def wait_again(client: Client, config: Config, line: str) -> None:
    """Send an employee's phone leg to wait again (/voice/floor/agent decides where: inbound callers, the shared
    queue or, in preview mode, their own)."""
    client.calls(line).update(url=config.public_url(AGENT_PATH), method="POST")


def preview_queue(username: str) -> str:
    """The queue an employee's leg waits on in preview mode (see PREVIEW_QUEUE_PREFIX)."""
    return PREVIEW_QUEUE_PREFIX + username


def ensure_queue(client: Client, name: str = FLOOR_QUEUE) -> None:
    """Twilio creates a queue on the first Enqueue, but a Dial to a queue that does not exist yet fails. Looked up by
    name over every page (with a queue per employee for preview mode, an account may hold more than one page), and
    created when missing; a 400 on create is another process having just created it (a duplicate name)."""
    if any(queue.friendly_name == name for queue in client.queues.stream(page_size=1000)):
        return
    try:
        client.queues.create(friendly_name=name)
    except TwilioRestException as error:
        if error.status != 400:
            raise


def wait_for_own_call(client: Client, config: Config, floor: Floor, username: str) -> None:
    """Preview mode, on Call now: the clicker's leg waits on their own queue before the person can answer.

    A ready leg (maybe still waiting on the floor's shared queue) is redirected to wait again, which puts it on
    its own queue at once; a wrap-up ends, as Ready would end it. Raises FloorPhoneError (one line) when the
    employee has no leg that could take the answer, so no call is queued for nobody."""
    employee = floor.get(username)
    if employee.state is State.AWAY and employee.joining:
        raise FloorPhoneError("your phone is still ringing: answer it, then click Call now")
    if employee.state is State.ON_CALL:
        raise FloorPhoneError("you are on a call: click Call now when it ends")
    if employee.state not in (State.READY, State.WRAP_UP) or not employee.line:
        raise FloorPhoneError("your phone is not on the floor: click Ready first, so the answer can reach you")
    floor.expect_own_call(username, clock.now() + OWN_CALL_SECONDS)  # read when the leg waits again, just below
    try:
        ensure_queue(client, preview_queue(username))
        wait_again(client, config, employee.line)
    except (TwilioException, OSError) as error:
        log.warning("floor: moving %s's phone to their own queue failed: %s", username, type(error).__name__)
        raise FloorPhoneError(f"Twilio refused to move your phone to your call ({type(error).__name__})") from None
    if employee.state is State.WRAP_UP:
        floor.apply(username, Event.READY, clock.now())


def go_away(client: Client | None, floor: Floor, username: str) -> str:
    """Take the employee off the floor; during a call, as soon as it ends."""
    if floor.away_after_call(username):
        return "away after this call"
    employee = floor.get(username)
    floor.apply_to(employee, Event.AWAY, clock.now())
    if employee.line and client is not None:
        try:
            client.calls(employee.line).update(status="completed")
        except (TwilioException, OSError) as error:
            log.warning("floor: hanging up %s's phone failed: %s", username, type(error).__name__)
    return "away"


def rewait_ready_legs(client: Client, config: Config, floor: Floor) -> int:
    """Leaving preview mode: legs waiting on their employees' own queues would hear no paced live answer until
    their renewal (ACS_AGENT_RENEW_SECONDS), so ready legs are redirected to wait again on the shared queue at
    once. Reads the ready set whole (bounded by the staff list, as the floor view does); returns the legs moved."""
    ready = floor.redis.zrange(floor.keys.floor_ready(), 0, -1)
    moved = 0
    for employee in floor.many(ready):
        if employee.state is not State.READY or not employee.line:
            continue
        try:
            wait_again(client, config, employee.line)
            moved += 1
        except (TwilioException, OSError) as error:  # that leg renews by itself within ACS_AGENT_RENEW_SECONDS
            log.warning("floor: moving %s's phone off preview failed: %s", employee.username, type(error).__name__)
    return moved
