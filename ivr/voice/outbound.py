"""Webhooks for the dialer's calls: the answer (message with the CRN), press 1 (queue for an employee), status."""

from __future__ import annotations

import re

from flask import current_app, request

from ivr import clock
from ivr.cases.phones import mask_phone
from ivr.dialer.attempts import attempt_from_hash
from ivr.dialer.dnc import DncRecord, DoNotCall
from ivr.dialer.floor import Floor, ring_time
from ivr.dialer.outcomes import UNREAD, record_call_end
from ivr.dialer.placing import PRESS_PATH
from ivr.dialer.policy import FINAL_CALL_STATUSES, MACHINE_ANSWERS, Policy
from ivr.dialer.window import CallingWindow
from ivr.services import services
from ivr.voice import floor, twiml
from ivr.voice.blueprint import call_sid, limited_content, twiml_response, voice
from ivr.voice.security import validate_twilio_request

_ATTEMPT_ID = re.compile(r"^AT[0-9a-f]{20}$")


def _rules() -> tuple[Policy, CallingWindow]:
    """The dialer's policy and calling window, read from the configuration once per app."""
    found = current_app.extensions.get("acs.dialer_rules")
    if found is None:
        extra = services().config.extra
        found = (Policy.from_env(extra), CallingWindow.parse(extra.get("ACS_CALL_WINDOW")))
        current_app.extensions["acs.dialer_rules"] = found
    return found


def _attempt_id() -> str | None:
    value = request.args.get("attempt", "")
    return value if _ATTEMPT_ID.match(value) else None


@voice.post("/outbound/answer")
@validate_twilio_request
def outbound_answer():
    attempt_id = _attempt_id()
    if attempt_id is None:
        return twiml_response(twiml.hang_up())
    answered_by = request.form.get("AnsweredBy", "unknown")[:32]
    if answered_by == "fax":
        services().attempts.answered(attempt_id, answered_by, message_played=False)
        return twiml_response(twiml.hang_up())
    machine = answered_by in MACHINE_ANSWERS
    sid = call_sid()
    if sid is None:
        attempt = services().attempts.answered(attempt_id, answered_by, message_played=True)
        paced = False
    else:
        # A call the floor paced (it is in flight for a campaign with employees signed in): connect at answer.
        # One round trip: the answer noted, then the in-flight call resolved (a no-op for an unknown attempt,
        # which is never in flight) and, for a person whose attempt the answered event noted here, the live answer
        # made (with the case read: whose conversation it is) if it was in flight.
        svc = services()
        pipe = svc.redis.pipeline(transaction=False)
        svc.attempts.answered(attempt_id, answered_by, message_played=True, pipe=pipe)
        early = None if machine else svc.attempts.noted_before(attempt_id)
        if early is not None:
            now = clock.now()
            floor.queue_live_answer(pipe, sid, early, answered_by == "human", now)
            noted, case_hash, reply = pipe.execute()
            attempt = svc.attempts.noted(attempt_id, noted)
            ring, made = Floor.resolved_live_reply(reply, now, floor.LIVE_WAIT_SECONDS, early.employee)
            if attempt is not None and made is not None:  # else not in flight, or not made as noted: as below
                svc.attempts.noted_case(attempt_id, case_hash)
                return twiml_response(floor.live_answer_twiml(sid, attempt, *made, now))
        else:
            kind = "machine" if machine else "human"
            floor.floor().resolved(attempt_id, clock.now(), kind, pipe=pipe, verdict_sample=answered_by == "human")
            noted, ring = pipe.execute()
            attempt, ring = svc.attempts.noted(attempt_id, noted), ring_time(ring)
        paced = ring is not None
    if attempt is None:
        return twiml_response(twiml.hang_up())
    config = services().config
    if paced and not machine:
        return twiml_response(floor.live_answer(sid, attempt))
    if attempt.for_practitioner:
        message = twiml.contact_message(attempt.crn, config.callback_numbers, for_practitioner=True)
    else:
        message = twiml.taxpayer_message(limited_content(), config.callback_numbers)
    if machine:
        if paced:
            press_url = config.public_url(PRESS_PATH) + f"?attempt={attempt_id}"
            return twiml_response(twiml.outbound_to_machine_listening(message, press_url))
        return twiml_response(twiml.outbound_to_machine(message))
    press_url = config.public_url(PRESS_PATH) + f"?attempt={attempt_id}"
    return twiml_response(twiml.outbound_to_person(message, press_url, attempt.for_practitioner))


@voice.post("/outbound/press")
@validate_twilio_request
def outbound_press():
    attempt_id = _attempt_id()
    sid = call_sid()
    digits = request.form.get("Digits", "")[:4]
    if attempt_id is not None and sid is not None and digits == twiml.STOP_OPTION:
        return _stop_calls(attempt_id)
    if attempt_id is None or sid is None or not digits:
        return twiml_response(twiml.hang_up("Thank you. Goodbye."))
    attempt = _pressed(attempt_id, digits)
    if attempt is None:
        return twiml_response(twiml.hang_up("Thank you. Goodbye."))
    if attempt.answered_by not in MACHINE_ANSWERS and digits != twiml.CONNECT_OPTION:
        return twiml_response(twiml.hang_up("Thank you. Goodbye."))  # a person taken for a machine is connected
    svc = services()
    # The callee is `To` on an outbound leg; the case travels with the call so the employee sees it.
    svc.callers.matched(
        sid,
        attempt.case_id,
        request.form.get("To", attempt.to),
        request.form.get("From", ""),
        crn=attempt.crn,
        private=not attempt.for_practitioner,
    )
    return twiml_response(twiml.outbound_connect(svc.config.public_url("/voice/acs/queue"), attempt.for_practitioner))


def _pressed(attempt_id: str, digits: str):
    """Note the key pressed on the attempt (None: no such attempt). One pressed during the "voicemail" is a person
    AMD took for a machine: counted apart as an AMD false positive, whatever the key."""
    attempt = services().attempts.pressed(attempt_id, digits)
    if attempt is not None and attempt.answered_by in MACHINE_ANSWERS:
        floor.floor().count(clock.now(), amd_false_positive=1)
    return attempt


def _stop_calls(attempt_id: str):
    """The callee pressed 9: this number goes on the do-not-call list from the next attempt on."""
    svc = services()
    attempt = _pressed(attempt_id, twiml.STOP_OPTION)
    if attempt is None:
        return twiml_response(twiml.hang_up("Thank you. Goodbye."))
    record = DncRecord(who="callee", how="keypad", at=clock.now(), reason="pressed 9 during the outbound message")
    if DoNotCall(svc.redis, svc.keys).add(attempt.to, record):
        svc.history.append(
            attempt.case_id,
            "dnc",
            f"Number {mask_phone(attempt.to)} put on the do-not-call list: the callee pressed 9",
            at=record.at,
            attempt_id=attempt_id,
        )
    return twiml_response(twiml.calls_stopped())


@voice.post("/outbound/status")
@validate_twilio_request
def outbound_status():
    attempt_id = _attempt_id()
    if attempt_id is not None:
        status = request.form.get("CallStatus", "")[:32]
        attempt = UNREAD
        if status == "in-progress":  # the `answered` event: picked up, the verdict comes with the answer webhook
            # One round trip: the pickup noted for the pacer, and the CallSid for reconciliation (the attempt read
            # with it, for the answer webhook that follows: see outbound_answer).
            svc = services()
            pipe = svc.redis.pipeline(transaction=False)
            floor.floor().picked_up(attempt_id, clock.now(), pipe=pipe)
            if sid := call_sid():
                svc.attempts.note_call_sid(attempt_id, sid, pipe=pipe, read=True)
                svc.attempts.noted(attempt_id, pipe.execute()[-1])
            else:
                pipe.execute()
            return twiml_response(twiml.empty())
        pipe = case = None
        if status in FINAL_CALL_STATUSES:
            # The in-flight call resolved in the same round trip as the outcome, when this process noted the attempt
            # at its answer (the outcome's script checks it is current); else with the attempt read for it.
            kind = "none" if status in ("completed", "no-answer") else "busy"
            svc = services()
            pipe = svc.redis.pipeline(transaction=False)
            floor.floor().resolved(attempt_id, clock.now(), kind, pipe=pipe)
            if sid := call_sid():
                floor.floor().call_ended(sid, clock.now(), pipe)
            attempt, case = svc.attempts.seen(attempt_id)
            if attempt is None:
                svc.attempts.read(attempt_id, pipe)
                attempt = attempt_from_hash(attempt_id, pipe.execute()[-1])
                pipe = None
        policy, window = _rules()
        record_call_end(
            services().attempts,
            policy,
            attempt_id,
            request.form.get("CallStatus", "")[:32],
            request.form.get("AnsweredBy", "")[:32],
            call_sid() or "",
            clock.now(),
            window,
            attempt=attempt,
            pipe=pipe,
            case=case if pipe is not None else None,
        )
    return twiml_response(twiml.empty())
