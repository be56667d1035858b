"""<Dial><Number>: child legs (Direction outbound-dial) that ring parties; the first to answer is bridged.

Semantics from https://www.twilio.com/docs/voice/twiml/dial and https://www.twilio.com/docs/voice/twiml/number:

- every `<Number>` of a Dial (up to ten) rings at once for the Dial `timeout` (default 30 s); the first to
  answer wins and the others are cancelled;
- the Number `url` runs on the answering party before the two are connected;
- `callerId` defaults to the caller ID of the calling leg: the inbound caller's own number (or the `From` of an
  outbound-api call);
- `timeLimit` (default 14400 s, four hours) ends the bridge that many seconds after it started;
- `answerOnBridge="true"` keeps an inbound call ringing (unanswered) until the dialed party answers;
- `ringTone` is the ringback the caller hears while the Numbers ring (noted in the transcript);
- `hangupOnStar="true"` lets the caller hang up on the dialed party by pressing *;
- `record` (record-from-answer, record-from-ringing, and their -dual forms) records the dialed call: the action
  and `recordingStatusCallback` get RecordingUrl, RecordingSid and RecordingDuration, and the Recording is
  listed by the REST Recordings resource (source DialVerb).

When the dialed party hangs up (or nobody answers) the Dial `action` is requested with DialCallStatus,
DialCallSid and DialCallDuration, and the parent continues with its TwiML (or the next verb).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator import outbound, recording, twiml
from emulator.legs import Callbacks
from emulator.resources import CallRecord, new_sid

if TYPE_CHECKING:
    from emulator.legs import Frame, Leg

#: Twilio's default and maximum bridge length (https://www.twilio.com/docs/voice/twiml/dial#timelimit).
DEFAULT_TIME_LIMIT = 14400.0
#: "You can specify up to ten <Number>s within a <Dial> verb to simultaneously call several people."
MAX_NUMBERS = 10
RECORD_MODES = frozenset(
    {"record-from-answer", "record-from-ringing", "record-from-answer-dual", "record-from-ringing-dual", "true"}
)


@dataclass
class DialLink:
    parent: Leg
    children: list[Leg]
    verb: twiml.Verb
    nouns: dict[str, twiml.Verb | None]  # child call SID -> its <Number> (None for a bare number)
    doc_url: str | None
    started_at: float
    winner: Leg | None = None
    connected_at: float | None = None
    finished: bool = False
    last_status: str = "failed"
    last_child: Leg | None = None
    recording: dict = field(default_factory=dict)

    @property
    def child(self) -> Leg | None:
        """The connected (or answering) party, once there is one."""
        return self.winner


def dial_number(parent: Leg, verb: twiml.Verb, frame: Frame) -> None:
    emu = parent.emu
    nouns = [child for child in verb.children if child.name == "Number"]
    targets: list[tuple[str, twiml.Verb | None]] = [(n.text.strip(), n) for n in nouns] or [(verb.text.strip(), None)]
    if len(targets) > MAX_NUMBERS:
        parent.warn(13215, f"Dial: at most {MAX_NUMBERS} <Number>s ring at once; {len(targets) - MAX_NUMBERS} ignored")
        targets = targets[:MAX_NUMBERS]
    caller_id = verb.get("callerId") or parent.record.from_
    parent.suspended, parent.frames = parent.frames, []
    link = DialLink(parent, [], verb, {}, frame.url, parent.now())
    parent.dial_link = link
    timeout = verb.number("timeout", 30.0)
    for number, noun in targets:
        record = CallRecord(
            new_sid("CA"),
            parent.record.account_sid,
            number,
            caller_id,
            "outbound-dial",
            emu.engine.clock.datetime(),
            parent_call_sid=parent.sid,
        )
        callbacks = Callbacks(timeout=timeout)
        if noun is not None and noun.get("statusCallback"):
            callbacks.status_url = parent.resolve(noun.get("statusCallback"), frame.url)
            callbacks.status_method = noun.get("statusCallbackMethod", "POST") or "POST"
            events = set((noun.get("statusCallbackEvent") or "completed").split()) & {
                "initiated",
                "ringing",
                "answered",
                "completed",
            }
            callbacks.status_events = frozenset(events or {"completed"})
        callbacks.extra["on_answer"] = _child_answered
        child = emu.new_leg(record, emu.party_for(number), f"callee {number}", callbacks)
        child.dial_link = link
        link.children.append(child)
        link.nouns[child.sid] = noun
        parent.note("dial", f"dialing {number} (caller ID {caller_id})")
        outbound.initiate(child, None, "POST", None)
    if len(link.children) > 1:
        parent.note("dial", f"ringing {len(link.children)} numbers at once; the first to answer is connected")
    parent.note("dial", f"ringback tone {verb.get('ringTone') or 'of the caller country'}")


def _child_answered(child: Leg) -> None:
    link = child.dial_link
    if link is None or link.finished:
        child.hangup("completed")
        return
    if link.winner is not None:  # somebody else was faster: this call is dropped as soon as it connects
        child.note("dial", "answered too late: another number already took the call")
        child.dial_link = None
        child.hangup("completed")
        return
    link.winner = child
    for other in link.children:
        if other is not child and not other.ended:
            other.dial_link = None
            other.note("dial", f"cancelled: {child.label} answered first")
            other.hangup("canceled")
    noun = link.nouns.get(child.sid)
    url = child.resolve(noun.get("url"), link.doc_url) if noun is not None else None
    if noun is not None and noun.get("sendDigits"):
        child.note("play", f"sends DTMF {noun.get('sendDigits')}")
    if url:
        child.run_document("whisper", url, noun.get("method", "POST"), "number-url")
    else:
        whisper_done(child)


def whisper_done(child: Leg) -> None:
    """The Number url finished on the dialed party (or there was none): connect the two legs."""
    link = child.dial_link
    if link is None or link.finished:
        return
    parent = link.parent
    if parent.answered_at is None:  # answerOnBridge: the inbound call is answered only now
        parent.answer()
    link.connected_at = child.now()
    child.frames = []
    parent.note("bridge", f"connected to {child.label}")
    child.note("bridge", f"connected to {parent.label}")
    limit = link.verb.number("timeLimit", DEFAULT_TIME_LIMIT) or DEFAULT_TIME_LIMIT
    child.engine.schedule(min(limit, DEFAULT_TIME_LIMIT), _time_limit, link, child)
    child.perform(child.party.on_bridged(child, parent))
    parent.perform(parent.party.on_bridged(parent, child))


def _time_limit(link: DialLink, child: Leg) -> None:
    if link.finished or link.winner is not child or child.ended:
        return
    child.note("dial", f"timeLimit reached after {child.now() - link.connected_at:g}s: the bridge ends")
    child.hangup("completed")


def on_dtmf(leg: Leg, digits: str) -> bool:
    """hangupOnStar: the caller's * ends the bridge (True when the keys were consumed by the Dial)."""
    link = leg.dial_link
    if link is None or leg is not link.parent or link.connected_at is None or "*" not in digits:
        return False
    if link.verb.get("hangupOnStar") != "true":
        return False
    leg.note("dial", "* pressed: hanging up the dialed party (hangupOnStar)")
    link.winner.hangup("completed")
    return True


def detach(leg: Leg, quiet: bool = False) -> None:
    """`leg` (parent or child) hangs up or is redirected: end the other side of the dial as Twilio does."""
    link = leg.dial_link
    if link is None or link.finished:
        return
    parent = link.parent
    if leg is not parent and leg is not link.winner:
        # One of several ringing numbers gave up (busy, no answer, failed): the others keep ringing.
        leg.dial_link = None
        link.last_status, link.last_child = leg.final_status or "failed", leg
        if link.winner is not None or any(not c.ended and c.dial_link is link for c in link.children):
            return
    link.finished = True
    parent.dial_link = None
    for child in link.children:
        child.dial_link = None
        if child is not leg and not child.ended:
            child.hangup("completed" if child.answered_at is not None else "canceled")
    child = link.winner or link.last_child or link.children[-1]
    if link.connected_at is not None:
        status = "completed"
    elif leg is parent:
        status = "canceled"
    else:
        status = link.last_status
    duration = int(leg.now() - link.connected_at + 1e-6) if link.connected_at is not None else 0
    parent.dial_statuses.append(status)
    parent.note("dial", f"dial finished: DialCallStatus={status}")
    params = {"DialCallStatus": status, "DialCallSid": child.sid, "DialCallDuration": duration}
    params.update(_recording(link, child))
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


def _recording(link: DialLink, child: Leg) -> dict:
    """The recording of a `record`ed Dial: stored as a Recording of the parent call (REST-visible, media served,
    source DialVerb, both parties' speech), and its parameters for the action and the recordingStatusCallback."""
    mode = link.verb.get("record") or "do-not-record"
    if mode not in RECORD_MODES or (link.connected_at is None and "ringing" not in mode):
        return {}
    parent = link.parent
    start = link.started_at if "ringing" in mode else link.connected_at
    duration = max(0, int(parent.now() - start + 1e-6)) if start is not None else 0
    if duration == 0:
        return {}
    said = sorted(parent.speech + child.speech)
    segments = [
        (t - start, min(s, duration - (t - start)), text) for t, s, text in said if start <= t < start + duration
    ]
    rec = recording.save(parent, duration, segments, "DialVerb", start_offset=start)
    channels = 2 if mode.endswith("-dual") else 1
    url = parent.emu.api_base + rec.path()
    summary = {"RecordingSid": rec.sid, "RecordingUrl": url, "RecordingDuration": duration}
    parent.dial_recordings.append({**summary, "RecordingChannels": channels, "DialCallSid": child.sid})
    parent.note("record", f"Dial recorded {duration}s ({mode}) as {rec.sid}")
    callback = parent.resolve(link.verb.get("recordingStatusCallback"), link.doc_url)
    if callback:
        params = parent.params(
            RecordingStatus="completed",
            RecordingStartTime=parent.engine.clock.datetime(start).strftime("%a, %d %b %Y %H:%M:%S +0000"),
            RecordingChannels=channels,
            RecordingSource="DialVerb",
            **summary,
        )
        parent.request(callback, link.verb.get("recordingStatusCallbackMethod", "POST"), params, "recording-status")
    return summary
