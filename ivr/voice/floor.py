"""Webhooks of the floor: the employee's phone leg (wait, wrap-up, renew), and a live answer's short life in the
outbound queue (bridged at once, or the abandonment message within 2 s).

A ready employee's leg waits in `<Dial><Queue>` on the outbound queue (renewed every ACS_AGENT_RENEW_SECONDS), so
a person who answers the dialer's call is bridged the moment the answer webhook `<Enqueue>`s them. Inbound
callers come first: whenever the leg starts waiting again and callers hold on the inbound queue, it takes them.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from flask import request

from ivr import clock
from ivr.dialer.floor import EmployeeState, Event, Floor, FloorSettings, State
from ivr.dialer.floor_phone import AGENT_PATH, preview_queue
from ivr.dialer.pacing import PREVIEW
from ivr.services import services
from ivr.voice import twiml
from ivr.voice.blueprint import call_sid, form_int, is_call_sid, limited_content, twiml_response, voice
from ivr.voice.inbound import inbound_bridged
from ivr.voice.security import validate_twilio_request

#: A live answer is bridged if an employee is ready or will be within this many seconds (a wrap-up ending).
LIVE_WAIT_SECONDS = 1.0


def floor() -> Floor:
    return services().floor


def floor_settings() -> FloorSettings:
    return FloorSettings.from_env(services().config.extra)


def floor_urls() -> twiml.FloorUrls:
    return _floor_urls(services().config.public_base_url or "")


@lru_cache(maxsize=4)
def _floor_urls(base: str) -> twiml.FloorUrls:
    return twiml.FloorUrls(
        agent=base + AGENT_PATH,
        agent_next=base + "/voice/floor/agent-next",
        connect=base + "/voice/floor/connect",
        wait=base + "/voice/floor/wait",
        left=base + "/voice/floor/left",
        inbound_connect=base + "/voice/acs/connect",
    )


#: How long a leg waits on the inbound queue it was sent to because callers held there when it was read. Twilio's
#: <Dial><Queue> bridges a waiting caller at once, so this only bounds the race in which another leg (or the caller
#: hanging up) took them first: the leg then renews in seconds and waits on the outbound queue again, instead of
#: sitting ACS_AGENT_RENEW_SECONDS on an empty queue while counted ready (a live answer meant for it would hear the
#: message). Long enough for a caller still hearing "please hold" to reach the queue.
INBOUND_DIAL_SECONDS = 10
#: Preview mode: a ready leg waits on its employee's own queue, where no inbound caller is ever put, so it renews
#: this often to take the inbound callers first (a caller holds at most this long beside an idle employee, not
#: ACS_AGENT_RENEW_SECONDS). Twilio's own Dial timeout: no REST redirect that could land on a leg just bridged.
PREVIEW_RENEW_SECONDS = 10
#: A caller is listed as waiting when /voice/acs/queue answers and joins Twilio's queue after the hold message said
#: there: a few seconds, never this long.
HOLD_MESSAGE_SECONDS = 30


def _wait_for_next(employee: EmployeeState, state: State, inbound: int, mode: str | None, ready: bool = False) -> str:
    """Mark the employee ready (from wrap-up or a renewal; `ready`: the read already did) and put the leg back in
    line: inbound callers first (`inbound` of them wait, as read with the employee; in preview mode not for a while
    after Call now), then the outbound queue, or in preview mode (`mode`, read with them) the employee's own. One
    round trip, none for a renewal (already ready) or when the read marked them ready."""
    svc = services()
    if state is not State.READY and not ready:
        floor().apply_to(employee, Event.READY, clock.now())
    own = preview_queue(employee.username) if mode == PREVIEW else None
    if own and employee.own_until is not None and employee.own_until > clock.now():
        inbound = 0  # they clicked Call now: the person they chose comes first (ivr.dialer.floor_phone)
    queue = svc.config.queue_name if inbound else None
    # The inbound queue (INBOUND_DIAL_SECONDS) or the employee's own (PREVIEW_RENEW_SECONDS) renews sooner.
    cap = INBOUND_DIAL_SECONDS if inbound else PREVIEW_RENEW_SECONDS if own else None
    renew = _renew_seconds() if cap is None else min(_renew_seconds(), cap)
    return twiml.rendered(twiml.employee_waits, floor_urls(), queue, renew, own)


@lru_cache(maxsize=1)
def _renew_cache(extra_items: tuple) -> int:
    return FloorSettings.from_env(dict(extra_items)).renew_seconds


def _renew_seconds() -> int:
    return _renew_cache(tuple(sorted(services().config.extra.items())))


def _owner(expected: State, event: Event, now: float) -> tuple[EmployeeState | None, State, int, str | None, bool]:
    """The employee whose phone leg this is, their state (a ringing phone after Ready counts as ready), how many
    inbound callers wait and the pacing mode (read in the same round trip: _wait_for_next needs them); and whether
    `event` was applied in that round trip too, as it is when the read finds them on this leg in `expected`."""
    sid = call_sid()
    username = floor().line_owner(sid) if sid else None
    if username is None:
        return None, State.AWAY, 0, None, False
    svc = services()
    queue = svc.keys.queue_waiting(svc.config.queue_name)
    employee, inbound, mode, changed = floor().owned_change(username, sid, queue, expected, event, now)
    if employee.line != sid:
        return None, State.AWAY, 0, None, False  # an old leg: the employee has rung a newer one
    if employee.state is State.AWAY and employee.joining:
        return employee, State.WRAP_UP, inbound, mode, changed  # not ready yet: _wait_for_next marks them ready
    return employee, employee.state, inbound, mode, changed


@voice.post("/floor/agent")
@validate_twilio_request
def floor_agent():
    """The employee's leg answered, or its wrap-up ended: wait for the next caller, unless they went away. After a
    wrap-up (the usual case) the read marks them ready in the same round trip."""
    employee, state, inbound, mode, ready = _owner(State.WRAP_UP, Event.READY, clock.now())
    if employee is None or state is State.AWAY:
        return twiml_response(twiml.rendered(twiml.hang_up, "You are signed out of the floor. Goodbye."))
    return twiml_response(_wait_for_next(employee, state, inbound, mode, ready))


@voice.post("/floor/agent-next")
@validate_twilio_request
def floor_agent_next():
    """The leg's Dial ended: after a call, wrap-up (the read ends the call in the same round trip when they were on
    it and stay); after a renewal timeout, wait again."""
    now = clock.now()
    employee, state, inbound, mode, ended = _owner(State.ON_CALL, Event.CALL_ENDED, now)
    if employee is None or state is State.AWAY:
        return twiml_response(twiml.rendered(twiml.hang_up, "You are signed out of the floor. Goodbye."))
    status = request.form.get("DialCallStatus")
    if status == "completed" or state is State.ON_CALL:
        if employee.away_after:
            pipe = floor().redis.pipeline(transaction=False)
            after = floor().apply_to(employee, Event.CALL_ENDED, now, pipe=pipe)
            floor().apply_to(_ended(employee, after), Event.AWAY, now, pipe=pipe)
            pipe.execute()
            return twiml_response(twiml.hang_up("You are away. Goodbye."))
        if not ended:
            floor().apply_to(employee, Event.CALL_ENDED, now)
        return twiml_response(twiml.rendered(twiml.employee_wraps_up, floor_urls(), int(round(floor().wrap_seconds))))
    if request.args.get("after") == "inbound":  # it found nobody on the inbound queue
        inbound = max(0, inbound - _forget_callers_gone())
    if status == "failed":  # no such queue yet: wait a little rather than spin
        return twiml_response(twiml.rendered(twiml.employee_wraps_up, floor_urls(), 5))
    return twiml_response(_wait_for_next(employee, state, inbound, mode))


def _forget_callers_gone() -> int:
    """The leg's Dial on the inbound queue ended with nobody bridged, and Twilio's <Dial><Queue> bridges the first
    caller waiting: so a caller listed since well before that Dial began (its INBOUND_DIAL_SECONDS, plus the hold
    message said before a caller joins the queue) is not in it; their leave callback was lost. Left listed, they
    would send every ready leg to an empty queue at each renewal instead of the outbound one. Returns how many went."""
    svc = services()
    return svc.callers.forget_waiting_older_than(svc.config.queue_name, INBOUND_DIAL_SECONDS + HOLD_MESSAGE_SECONDS)


def _ended(before: EmployeeState, after: EmployeeState) -> EmployeeState:
    """The employee as `after` left them (for a second event queued on the same pipeline)."""
    return replace(before, state=after.state, since=after.since, kind="", call={}, wrap_until=after.wrap_until)


@voice.post("/floor/agent-status")
@validate_twilio_request
def floor_agent_status():
    """The employee's phone leg ended: they are away until they click Ready again."""
    sid = call_sid()
    if sid and request.form.get("CallStatus") in ("completed", "busy", "no-answer", "failed", "canceled"):
        username = floor().line_owner(sid)
        if username is not None and floor().get(username).line == sid:
            floor().apply(username, Event.AWAY, clock.now())
    return twiml_response(twiml.empty())


@voice.post("/floor/connect")
@validate_twilio_request
def floor_connect():
    """The Queue noun's url, run on the live answer just before the bridge: count it, show the case (the live
    answer's record carries it, written at answer): one script call. An inbound caller sent to the floor's queue
    (blended, see acs_queue) has no live answer record: it is bridged exactly as from the inbound queue."""
    sid = call_sid()
    agent_sid = request.form.get("DequeingCallSid", "")
    now = clock.now()
    username = floor().line_owner(agent_sid) if sid is not None and is_call_sid(agent_sid) else None
    if username is None:
        if sid is not None and is_call_sid(agent_sid):
            floor().connected(sid, now)
        return twiml_response(twiml.empty())
    # No live answer record: an inbound caller (nothing was written).
    if not floor().bridged(sid, username, now, agent_sid):
        return twiml_response(inbound_bridged(sid, agent_sid))
    return twiml_response(twiml.empty())


@voice.post("/floor/wait")
@validate_twilio_request
def floor_wait():
    """The live answer's waitUrl: at most one silent second, then leave the queue for the message."""
    return twiml_response(twiml.rendered(twiml.live_answer_wait, min(form_int("QueueTime"), 1)))


@voice.post("/floor/left")
@validate_twilio_request
def floor_left():
    """The live answer left the outbound queue: after a bridge, nothing; otherwise it was abandoned."""
    sid = call_sid()
    result = request.form.get("QueueResult", "")[:32]
    if sid is None or result == "bridged":
        return twiml_response(twiml.rendered(twiml.hang_up))
    return twiml_response(abandon(sid))


def abandon(sid: str) -> twiml.VoiceResponse:
    """Count the live answer abandoned and give it the short message (office, callback number, CRN)."""
    svc = services()
    floor().abandoned(sid, clock.now())
    live = floor().live(sid)
    attempt = svc.attempts.get(live["attempt_id"]) if live.get("attempt_id") else None
    return _abandonment_message(attempt)


def _live_context(attempt) -> dict[str, str]:
    """The case the employee will see with a live answer (only what never changes on an attempt)."""
    why = "balance due" if attempt.contact_kind == "taxpayer" else "a client's account (POA on file)"
    return {"case_id": attempt.case_id, "crn": attempt.crn, "who": attempt.who, "why": why}


def queue_live_answer(pipe, sid: str, attempt, verdict_sample: bool, now: float) -> None:
    """A person answered a call whose attempt was noted before (the answered event): the case read, then the call
    resolved and, if it was in flight, the live answer made (Floor.resolved_live: its reply goes to
    Floor.resolved_live_reply with LIVE_WAIT_SECONDS), queued on `pipe` after the answer's note."""
    svc = services()
    pipe.hgetall(svc.keys.case(attempt.case_id))
    context = _live_context(attempt)
    wait = LIVE_WAIT_SECONDS
    floor().resolved_live(pipe, attempt.attempt_id, now, verdict_sample, sid, context, wait, attempt.employee)


def live_answer(sid: str, attempt) -> twiml.VoiceResponse | str:
    """A person answered a paced call: bridge them to a ready employee, or abandon with the message right away.
    A preview call (the attempt names the employee who clicked Call now) goes to that employee's own queue, and
    only when they are ready (or their wrap-up ends within the second): nobody else takes it."""
    now = clock.now()
    # The case is read in the same round trip: whose conversation it is, for the call's outcome (Attempts.seen).
    svc = services()
    pipe = svc.redis.pipeline(transaction=False)
    pipe.hgetall(svc.keys.case(attempt.case_id))
    context = _live_context(attempt)
    wait = LIVE_WAIT_SECONDS
    floor().queue_live_answer(pipe, sid, attempt.attempt_id, now, context, wait=wait, employee=attempt.employee)
    case_hash, reply = pipe.execute()
    free, own = Floor.live_answer_reply(reply, now, wait=wait, employee=attempt.employee)
    svc.attempts.noted_case(attempt.attempt_id, case_hash)
    return live_answer_twiml(sid, attempt, free, own, now)


def live_answer_twiml(sid: str, attempt, free: int, own: bool, now: float) -> twiml.VoiceResponse | str:
    """The live answer's TwiML once it is made: `free` employees (ready or nearly), `own`: the preview employee's
    queue; with none, the abandonment (counted now)."""
    if free > 0:
        if own:
            return twiml.rendered(twiml.live_answer_enqueue, floor_urls(), preview_queue(attempt.employee))
        return twiml.rendered(twiml.live_answer_enqueue, floor_urls())
    floor().abandoned(sid, now)
    return _abandonment_message(attempt)


def _abandonment_message(attempt) -> twiml.VoiceResponse:
    """The practitioner hears the office and the CRN; the taxpayer (or whoever answered) the limited-content name."""
    numbers = services().config.callback_numbers
    if attempt is not None and attempt.for_practitioner:
        return twiml.abandonment_message(numbers, attempt.crn)
    return twiml.abandonment_message(numbers, None, office=limited_content().office)
