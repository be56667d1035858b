"""Semantics of the TwiML verbs a leg executes (Enqueue, Dial and Leave are delegated to `queueing`).

Each handler returns True when the next verb may run at once, False when it scheduled the continuation itself
(speech takes time, a Gather listens, a Redirect fetched a new document, the call ended).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator import conference, dialing, queueing, recording, twiml, validation
from emulator.legs import Frame

if TYPE_CHECKING:
    from emulator.legs import Leg

PROMPT_VERBS = frozenset({"Say", "Play", "Pause"})
#: Verbs Twilio has that the emulator does not run: reported (12200) and skipped, never silently ignored.
NOT_EMULATED = frozenset(
    {"Connect", "Start", "Stop", "Refer", "Echo", "Pay", "Prompt", "Sms", "Message", "Siprec", "Stream"}
)


@dataclass
class GatherState:
    verb: twiml.Verb
    doc_url: str | None
    context: str  # the kind of frame the Gather ran in: its action replaces that context
    digits: str = ""
    done: bool = False
    speaking: bool = False  # the party is talking: the no-input timeout no longer applies
    speech: str | None = None  # SpeechResult once recognised
    confidence: float = 0.0
    partials: int = 0

    @property
    def timeout(self) -> float:
        return self.verb.number("timeout", 5.0)

    @property
    def num_digits(self) -> int | None:
        value = self.verb.get("numDigits")
        return int(value) if value and value.isdigit() else None

    @property
    def finish_on_key(self) -> str:
        return self.verb.get("finishOnKey", "#") or ""

    @property
    def accepts_dtmf(self) -> bool:
        return "dtmf" in (self.verb.get("input") or "dtmf")

    @property
    def accepts_speech(self) -> bool:
        return "speech" in (self.verb.get("input") or "dtmf")


def execute(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    answer_on_bridge = verb.name == "Dial" and verb.get("answerOnBridge") == "true"
    if leg.answered_at is None and verb.name != "Reject" and not answer_on_bridge:
        leg.answer()  # an inbound call is answered by the first verb that is not <Reject> (or answerOnBridge)
    handler = HANDLERS.get(verb.name)
    if handler is None:
        what = "is not emulated" if verb.name in NOT_EMULATED else "is not a TwiML verb"
        leg.errors.append({"code": 12200, "message": f"unsupported verb <{verb.name}>"})
        leg.note("error", f"12200: <{verb.name}> {what}; skipped", code=12200)
        return True
    for code, message in validation.check(verb, "Gather" if frame.kind == "gather" else None):
        leg.warn(code, message)
    return handler(leg, verb, frame)


def _say(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    seconds = twiml.verb_seconds(verb)
    leg.hear("say", verb.text, seconds)
    leg.after(seconds, leg.step)
    return False


def _play(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    seconds = twiml.verb_seconds(verb)
    if verb.get("digits"):
        leg.note("play", f"sends DTMF {verb.get('digits')}", seconds=seconds)
    else:
        leg.hear("play", leg.resolve(verb.text, frame.url) or "", seconds)
    leg.after(seconds, leg.step)
    return False


def _pause(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    seconds = twiml.verb_seconds(verb)
    leg.note("pause", f"{seconds:g}s")
    leg.after(seconds, leg.step)
    return False


def _gather(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    state = GatherState(verb, frame.url, frame.kind)
    leg.gather = state
    limits = f"numDigits={state.num_digits or 'any'} timeout={state.timeout:g}s finishOnKey={state.finish_on_key!r}"
    leg.note("gather", f"listening ({limits})")
    prompts = [child for child in verb.children if child.name in PROMPT_VERBS]
    leg.push_frame(Frame("gather", prompts, frame.url, lambda: _listen(leg, state)))
    return True


def _listen(leg: Leg, state: GatherState) -> None:
    """Prompts are over (or were interrupted): wait `timeout` seconds for the next key."""
    leg.after(state.timeout, _gather_timeout, leg, state)


def _gather_timeout(leg: Leg, state: GatherState) -> None:
    if state.done or state.speaking:
        return
    if state.digits or state.verb.get("actionOnEmptyResult") == "true":
        submit(leg, state, finished_on_key="")
        return
    # https://www.twilio.com/docs/voice/twiml/gather: without input Twilio moves on to the next verb.
    state.done = True
    leg.gather = None
    leg.note("gather", "timed out without input; continuing with the next verb")
    leg.step()


def submit(leg: Leg, state: GatherState, finished_on_key: str) -> None:
    """Input is complete: request the Gather action with Digits, or SpeechResult and Confidence."""
    state.done = True
    leg.gather = None
    leg.cancel()
    # Without an action Twilio requests the current document URL again.
    action = leg.resolve(state.verb.get("action"), state.doc_url) or state.doc_url
    if state.speech is not None:
        leg.note("gather", f"recognised {state.speech!r}")
        extra = {"SpeechResult": state.speech, "Confidence": f"{state.confidence:.8f}"}
    else:
        leg.note("gather", f"collected {state.digits!r}")
        extra = {"Digits": state.digits}
    if not action:
        leg.step()
        return
    if finished_on_key:
        extra["FinishedOnKey"] = finished_on_key
    context = state.context if state.context in ("main", "wait") else "main"
    leg.run_document(context, action, state.verb.get("method", "POST"), "gather", **extra)


def dtmf(leg: Leg, digits: str) -> None:
    """Keys pressed by the party: fed to the active Record or Gather, otherwise lost (as on a real line)."""
    if leg.recording is not None:
        recording.dtmf(leg, digits)
        return
    leg.pressed.append(digits)
    if leg.dial_link is not None and dialing.on_dtmf(leg, digits):
        return
    state = leg.gather
    if state is None or state.done or state.speaking or not state.accepts_dtmf:
        leg.note("dtmf", f"{digits} (nobody listening)")
        return
    leg.note("dtmf", digits)
    for key in digits:
        if state.finish_on_key and key == state.finish_on_key:
            submit(leg, state, finished_on_key=key)
            return
        state.digits += key
        if state.num_digits and len(state.digits) >= state.num_digits:
            submit(leg, state, finished_on_key="")
            return
    # Barge-in: the first key stops the prompts; each key restarts the inter-digit timeout.
    leg.cancel()
    if leg.frames and leg.frames[-1].kind == "gather":
        leg.frames.pop()
    _listen(leg, state)


def _redirect(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    url = leg.resolve(verb.text, frame.url)
    if not url:  # https://www.twilio.com/docs/api/errors/11100: bad URL in a Redirect verb body
        leg.app_error(11100, "Invalid URL format: <Redirect> has no URL")
        return False
    context = frame.kind if frame.kind in ("main", "wait", "announce", "conference") else "main"
    leg.run_document(context, url, verb.get("method", "POST"), "redirect")
    return False


def _hangup(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    leg.hangup("completed")
    return False


def _reject(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    reason = verb.get("reason", "rejected")
    leg.note("call", f"rejected ({reason})")
    leg.hangup("busy" if reason == "busy" else "no-answer")
    return False


def _enqueue(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    if verb.get("workflowSid") is not None or any(child.name == "Task" for child in verb.children):
        # TaskRouter is not emulated: no Workflow exists here, which Twilio reports as 14220
        # (https://www.twilio.com/docs/api/errors/14220); the Enqueue ends with QueueResult=error.
        message = f"Enqueue: Provided Workflow was not a valid sid ({verb.get('workflowSid') or 'none'}): " + (
            "TaskRouter is not emulated"
        )
        leg.errors.append({"code": 14220, "message": message})
        leg.emu.errors.append({"call_sid": leg.sid, "leg": leg.label, "code": 14220, "message": message})
        leg.note("error", f"14220: {message}", code=14220)
        action = leg.resolve(verb.get("action"), frame.url)
        if action is None:
            return True
        leg.run_document("main", action, verb.get("method", "POST"), "enqueue-action", QueueResult="error")
        return False
    queueing.enqueue(leg, verb, frame)
    return False


def _dial(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    queue = next((child for child in verb.children if child.name == "Queue"), None)
    if queue is not None:
        queueing.dial_queue(leg, verb, queue, frame)
        return False
    room = next((child for child in verb.children if child.name == "Conference"), None)
    if room is not None:
        conference.dial_conference(leg, verb, room, frame)
        return False
    if any(child.name == "Client" for child in verb.children):
        nouns = [_client_as_number(c) if c.name == "Client" else c for c in verb.children]
        verb = twiml.Verb(verb.name, verb.attrs, verb.text, nouns)  # Clients ring like Numbers, all at once
    number = next((child for child in verb.children if child.name == "Number"), None)
    if number is not None or (verb.text and not verb.children):
        dialing.dial_number(leg, verb, frame)
        return False
    message = "only <Dial> to a Queue, Number, Client or Conference is emulated"
    leg.errors.append({"code": 12200, "message": message})
    leg.note("error", f"12200: {message}; <Dial> skipped", code=12200)
    return True


def _client_as_number(client: twiml.Verb) -> twiml.Verb:
    """<Client>alice</Client> or <Client><Identity>alice</Identity>…</Client>: dial `client:alice`.

    https://www.twilio.com/docs/voice/twiml/client: the identity is the text or the <Identity> child;
    url/method/statusCallback attributes are those of <Number>.
    """
    identity = client.text or next((c.text for c in client.children if c.name == "Identity"), "")
    return twiml.Verb("Number", client.attrs, f"client:{identity.strip()}")


def _leave(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    if leg.queued is None:
        return True
    queueing.leave(leg, "leave")
    return False


HANDLERS = {
    "Say": _say,
    "Play": _play,
    "Pause": _pause,
    "Gather": _gather,
    "Redirect": _redirect,
    "Hangup": _hangup,
    "Reject": _reject,
    "Enqueue": _enqueue,
    "Dial": _dial,
    "Leave": _leave,
    "Record": recording.record,
}
