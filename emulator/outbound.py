"""Setting up a leg: ringing, answer, answering-machine detection (sync and async), and inbound arrival.

Timing follows https://www.twilio.com/docs/voice/api/call-resource (Timeout: ring time before no-answer) and
https://www.twilio.com/docs/voice/answering-machine-detection (sync AMD delays the answer webhook until AnsweredBy
is known; DetectMessageEnd waits for the beep; AsyncAmd runs the webhook at once and posts AnsweredBy to
AsyncAmdStatusCallback later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator import twiml
from emulator.parties import Answer, Busy, Fail, NoAnswer

if TYPE_CHECKING:
    from emulator.legs import Leg

#: Seconds between the API accepting a call and the far end starting to ring.
SETUP_SECONDS = 1.0


def initiate(leg: Leg, url: str | None, method: str, body: str | None) -> None:
    """Engine event: the queued outbound call starts dialing."""
    if leg.ended:
        return
    leg.state = "initiated"
    leg.note("call", f"dialing {leg.record.to} from {leg.record.from_}")
    leg.set_status_event_only("initiated")
    leg.after(SETUP_SECONDS, _ring, leg, url, method, body)


def _ring(leg: Leg, url: str | None, method: str, body: str | None) -> None:
    leg.state = "ringing"
    leg.set_status("ringing", "ringing")
    outcome = leg.party.ring()
    timeout = leg.callbacks.timeout
    if isinstance(outcome, Answer) and outcome.after < timeout:
        leg.after(outcome.after, _answered, leg, url, method, body)
    elif isinstance(outcome, Busy):
        leg.after(min(outcome.after, timeout), leg.hangup, "busy")
    elif isinstance(outcome, Fail):
        leg.after(outcome.after, leg.hangup, "failed")
    else:
        assert isinstance(outcome, Answer | NoAnswer)
        leg.after(timeout, leg.hangup, "no-answer")


def _answered(leg: Leg, url: str | None, method: str, body: str | None) -> None:
    leg.answer()
    digits = leg.callbacks.extra.get("send_digits")
    if digits:  # https://www.twilio.com/docs/voice/api/call-resource: keys sent to the far end on connect
        leg.note("dtmf", f"sends {digits} to the called party (SendDigits)")
        leg.party.digits_received.append(digits)
    on_answer = leg.callbacks.extra.get("on_answer")
    if on_answer is not None:  # a <Dial> child leg: its parent decides what happens next
        on_answer(leg)
        return
    url, method, body = leg.callbacks.extra.pop("redirect", (url, method, body))  # updated while ringing
    mode = leg.callbacks.machine_detection
    if not mode:
        run_main(leg, url, method, body)
        return
    answered_by, seconds = leg.party.detect(mode)
    amd_timeout = float(leg.callbacks.extra.get("amd_timeout", 30.0))
    if seconds > amd_timeout:
        answered_by, seconds = "unknown", amd_timeout
    if leg.callbacks.async_amd:
        run_main(leg, url, method, body)
        leg.engine.schedule(seconds, _async_result, leg, answered_by, seconds)
    else:
        leg.after(seconds, _sync_result, leg, answered_by, url, method, body)


def _set_answered_by(leg: Leg, answered_by: str, seconds: float) -> None:
    with leg.emu.store.lock:
        leg.record.answered_by = answered_by
    leg.note("amd", f"AnsweredBy={answered_by} after {seconds:g}s")


def _sync_result(leg: Leg, answered_by: str, url: str | None, method: str, body: str | None) -> None:
    _set_answered_by(leg, answered_by, leg.now() - (leg.answered_at or 0.0))
    run_main(leg, url, method, body)


def _async_result(leg: Leg, answered_by: str, seconds: float) -> None:
    if leg.ended:
        return
    _set_answered_by(leg, answered_by, seconds)
    target = leg.callbacks.async_amd_url
    if target:
        params = leg.params(AnsweredBy=answered_by, MachineDetectionDuration=int(seconds * 1000))
        leg.request(target, leg.callbacks.async_amd_method, params, "amd")


def run_main(leg: Leg, url: str | None, method: str, body: str | None) -> None:
    if body is not None:
        try:
            verbs = twiml.parse(body)
        except twiml.TwimlError as exc:
            leg.app_error(exc.code, f"Document parse failure in Twiml parameter: {exc}")
            return
        leg.start_frames("main", verbs, None)
    else:
        leg.run_document("main", url, method, "answer")


def arrive(leg: Leg, voice_url: str | None, method: str) -> None:
    """Engine event: an inbound call reaches a number; Twilio asks the number's voice URL what to do."""
    leg.state = "ringing"
    leg.set_status("ringing")
    if not voice_url:
        leg.note("call", f"{leg.record.to} is not in service")
        leg.hangup("failed")
        return
    leg.run_document("main", voice_url, method, "voice")
