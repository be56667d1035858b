"""<Dial><Number>: a child leg (Direction outbound-dial) that rings a party and is bridged to its parent.

Semantics from https://www.twilio.com/docs/voice/twiml/dial and https://www.twilio.com/docs/voice/twiml/number:
the child rings for the Dial `timeout` (default 30 s); the Number `url` runs on the child once it answers, before
the parties are connected; when the dialed party hangs up (or never answers) the Dial `action` is requested with
DialCallStatus, DialCallSid and DialCallDuration, and the parent continues with its TwiML (or the next verb).
Only the first Number of a Dial is rung (no simultaneous dialing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator import outbound, twiml
from emulator.legs import Callbacks
from emulator.resources import CallRecord, new_sid

if TYPE_CHECKING:
    from emulator.legs import Frame, Leg


@dataclass
class DialLink:
    parent: Leg
    child: Leg
    verb: twiml.Verb
    noun: twiml.Verb | None
    doc_url: str | None
    connected_at: float | None = None
    finished: bool = False


def dial_number(parent: Leg, verb: twiml.Verb, noun: twiml.Verb | None, frame: Frame) -> None:
    emu = parent.emu
    number = (noun.text if noun is not None else verb.text).strip()
    inbound = parent.record.direction == "inbound"
    caller_id = verb.get("callerId") or (parent.record.to if inbound else parent.record.from_)
    parent.suspended, parent.frames = parent.frames, []
    record = CallRecord(
        new_sid("CA"),
        parent.record.account_sid,
        number,
        caller_id,
        "outbound-dial",
        emu.engine.clock.datetime(),
        parent_call_sid=parent.sid,
    )
    callbacks = Callbacks(timeout=verb.number("timeout", 30.0))
    callbacks.extra["on_answer"] = _child_answered
    child = emu.new_leg(record, emu.party_for(number), f"callee {number}", callbacks)
    parent.dial_link = child.dial_link = DialLink(parent, child, verb, noun, frame.url)
    parent.note("dial", f"dialing {number} (caller ID {caller_id})")
    outbound.initiate(child, None, "POST", None)


def _child_answered(child: Leg) -> None:
    link = child.dial_link
    url = child.resolve(link.noun.get("url"), link.doc_url) if link.noun is not None else None
    if url:
        child.run_document("whisper", url, link.noun.get("method", "POST"), "number-url")
    else:
        whisper_done(child)


def whisper_done(child: Leg) -> None:
    """The Number url finished on the dialed party (or there was none): connect the two legs."""
    link = child.dial_link
    if link is None or link.finished:
        return
    link.connected_at = child.now()
    child.frames = []
    link.parent.note("bridge", f"connected to {child.label}")
    child.note("bridge", f"connected to {link.parent.label}")
    child.perform(child.party.on_bridged(child, link.parent))
    link.parent.perform(link.parent.party.on_bridged(link.parent, child))


def detach(leg: Leg, quiet: bool = False) -> None:
    """`leg` (parent or child) hangs up or is redirected: end the other side of the dial as Twilio does."""
    link = leg.dial_link
    if link is None or link.finished:
        return
    link.finished = True
    parent, child = link.parent, link.child
    parent.dial_link = child.dial_link = None
    if leg is parent and not child.ended:
        child.hangup("completed" if child.answered_at is not None else "canceled")
    if link.connected_at is not None:
        status = "completed"
    elif leg is child:
        status = child.final_status or "failed"
    else:
        status = "canceled"
    duration = int(leg.now() - link.connected_at + 1e-6) if link.connected_at is not None else 0
    parent.dial_statuses.append(status)
    parent.note("dial", f"dial finished: DialCallStatus={status}")
    params = {"DialCallStatus": status, "DialCallSid": child.sid, "DialCallDuration": duration}
    action = parent.resolve(link.verb.get("action"), link.doc_url)
    method = link.verb.get("method", "POST")
    if parent.ended or quiet:
        if action:
            parent.request(action, method, parent.params(**params), "dial-action")
        return
    if action:
        parent.suspended = []
        parent.run_document("main", action, method, "dial-action", **params)
    else:
        parent.continue_main()
