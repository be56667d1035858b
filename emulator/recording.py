"""<Record> and call recordings: what the party says becomes a Recording with media the REST API serves.

Semantics from https://www.twilio.com/docs/voice/twiml/record: a beep (playBeep, default true), then recording
until `timeout` seconds of silence (default 5; 0 = no silence limit), a key of `finishOnKey` (default any key;
"" = none), `maxLength` seconds (default 3600) or a hangup. `trim="trim-silence"` (default) drops leading and
trailing silence. The `action` (default: the current document) is requested with RecordingUrl, RecordingSid,
RecordingDuration and Digits (the key, or "hangup"); an empty recording requests nothing and the next verb runs;
after a hangup the action is requested but its TwiML ignored. recordingStatusCallback gets RecordingStatus
(in-progress / completed / absent, per recordingStatusCallbackEvent, default completed); transcribeCallback
(which implies transcribe) gets TranscriptionText and TranscriptionStatus (failed over 120 s).
calls.create `Record=true` records the whole call (source OutboundAPI, https://www.twilio.com/docs/voice/api/call-resource).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from emulator import audio, twiml
from emulator.resources import API_VERSION, new_sid, rfc2822

if TYPE_CHECKING:
    from emulator.emulator import Emulator
    from emulator.legs import Frame, Leg

BEEP_SECONDS = 0.5
DEFAULT_FINISH_KEYS = "1234567890*#"
#: Twilio transcribes recordings up to two minutes long.
MAX_TRANSCRIPTION_SECONDS = 120
#: Seconds after the recording ends before the status callback and the transcription arrive.
STATUS_DELAY = 1.0
TRANSCRIPTION_DELAY = 5.0


@dataclass
class Recording:
    sid: str
    account_sid: str
    call_sid: str
    date_created: datetime
    start_time: datetime
    duration: int
    segments: list[tuple[float, float, str]]  # (offset, seconds, text) within the recording
    source: str = "RecordVerb"
    status: str = "completed"
    conference_sid: str | None = None
    transcription: str | None = None
    _media: dict = field(default_factory=dict, repr=False)

    @property
    def text(self) -> str:
        return " ".join(text for _, _, text in self.segments)

    def path(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{self.sid}"

    def media(self, kind: str) -> bytes:
        """The audio as `wav` or `mp3`, built once."""
        if kind not in self._media:
            build = audio.mp3 if kind == "mp3" else audio.wav
            self._media[kind] = build(self.duration, self.segments)
        return self._media[kind]

    def to_json(self, api_base: str) -> dict:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid": self.call_sid,
            "conference_sid": self.conference_sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "start_time": rfc2822(self.start_time),
            "duration": str(self.duration),
            "sid": self.sid,
            "price": None,
            "price_unit": "USD",
            "status": self.status,
            "channels": 1,
            "source": self.source,
            "error_code": None,
            "encryption_details": None,
            "media_url": api_base + self.path(),
            "uri": self.path() + ".json",
            "subresource_uris": {
                "add_on_results": self.path() + "/AddOnResults.json",
                "transcriptions": self.path() + "/Transcriptions.json",
            },
        }


@dataclass
class RecordState:
    verb: twiml.Verb
    doc_url: str | None
    context: str
    started_at: float = 0.0
    speech_until: float = 0.0
    segments: list[tuple[float, float, str]] = field(default_factory=list)
    done: bool = False

    @property
    def timeout(self) -> float:
        return max(0.0, self.verb.number("timeout", 5.0))

    @property
    def max_length(self) -> float:
        value = self.verb.number("maxLength", 3600.0)
        return value if value > 0 else 3600.0

    @property
    def finish_keys(self) -> str:
        return self.verb.get("finishOnKey", DEFAULT_FINISH_KEYS) or ""


# -- the verb --------------------------------------------------------------------------------------------
def record(leg: Leg, verb: twiml.Verb, frame: Frame) -> bool:
    state = RecordState(verb, frame.url, frame.kind if frame.kind in ("main", "wait") else "main")
    leg.recording = state
    limits = f"timeout={state.timeout:g}s maxLength={state.max_length:g}s finishOnKey={state.finish_keys!r}"
    leg.note("record", f"recording ({limits})")
    if verb.get("playBeep", "true").lower() != "false":
        leg.hear("record", "beep", BEEP_SECONDS)
        leg.after(BEEP_SECONDS, _start, leg, state)
    else:
        _start(leg, state)
    return False


def _start(leg: Leg, state: RecordState) -> None:
    state.started_at = state.speech_until = leg.now()
    leg.speech_listener = lambda speech: _heard(leg, state, speech.text, speech.seconds)
    for start, seconds, text in leg.speech:  # the party was already talking when the beep ended
        if start <= state.started_at < start + seconds:
            _heard(leg, state, text, start + seconds - state.started_at)
    _status_callback(leg, state.verb, "in-progress", None)
    leg.after(state.max_length, _finish, leg, state, None)
    if state.timeout:
        leg.after(state.timeout, _silence, leg, state)


def _heard(leg: Leg, state: RecordState, text: str, seconds: float) -> None:
    if state.done:
        return
    offset = leg.now() - state.started_at
    state.segments.append((offset, seconds, text))
    state.speech_until = max(state.speech_until, leg.now() + seconds)
    if state.timeout:
        leg.after(state.speech_until - leg.now() + state.timeout, _silence, leg, state)


def _silence(leg: Leg, state: RecordState) -> None:
    if not state.done and leg.now() + 1e-6 >= state.speech_until + state.timeout:
        leg.note("record", f"{state.timeout:g}s of silence")
        _finish(leg, state, None)


def dtmf(leg: Leg, digits: str) -> None:
    """Keys during a recording: a finishOnKey key ends it; others are ignored (not recorded as speech)."""
    state = leg.recording
    leg.pressed.append(digits)
    for key in digits:
        if key in state.finish_keys:
            leg.note("dtmf", f"{key} ends the recording")
            _finish(leg, state, key)
            return
    leg.note("dtmf", f"{digits} (ignored while recording)")


def _finish(leg: Leg, state: RecordState, digits: str | None, run_action: bool = True) -> None:
    if state.done:
        return
    state.done = True
    leg.recording = None
    leg.speech_listener = None
    if not leg.ended:
        leg.cancel()
    elapsed = min(leg.now() - state.started_at, state.max_length)
    segments = _clip(state.segments, elapsed)
    if state.verb.get("trim", "trim-silence") != "do-not-trim":
        segments, elapsed = _trim(segments)
    duration = math.ceil(elapsed - 1e-6) if elapsed > 0 else 0
    if duration == 0:
        # An empty recording: no action request; the call goes on with the next verb.
        leg.note("record", "nothing was recorded")
        _status_callback(leg, state.verb, "absent", None)
        if run_action and not leg.ended:
            leg.step()
        return
    rec = save(leg, duration, segments, "RecordVerb", start_offset=state.started_at)
    leg.note("record", f"recorded {duration}s as {rec.sid}: {rec.text!r}")
    _status_callback(leg, state.verb, "completed", rec)
    transcribe_url = leg.resolve(state.verb.get("transcribeCallback"), state.doc_url)
    if state.verb.get("transcribe", "false").lower() == "true" or transcribe_url:
        leg.engine.schedule(TRANSCRIPTION_DELAY, _transcribed, leg, rec, transcribe_url)
    params = {"RecordingUrl": leg.emu.api_base + rec.path(), "RecordingSid": rec.sid, "RecordingDuration": duration}
    if digits:
        params["Digits"] = digits
    action = leg.resolve(state.verb.get("action"), state.doc_url) or state.doc_url
    method = state.verb.get("method", "POST")
    if leg.ended:
        if action and run_action:
            # The hangup hook runs before the leg's REST status changes; the request already says completed.
            leg.request(action, method, leg.params(CallStatus=leg.final_status, **params), "record-action")
        return
    if not run_action:
        return
    if not action:
        leg.step()
        return
    leg.run_document(state.context, action, method, "record-action", **params)


def _clip(segments: list, length: float) -> list:
    return [(o, min(s, length - o), t) for o, s, t in segments if o < length]


def _trim(segments: list) -> tuple[list, float]:
    if not segments:
        return [], 0.0
    first = min(o for o, _, _ in segments)
    last = max(o + s for o, s, _ in segments)
    return [(o - first, s, t) for o, s, t in segments], last - first


def save(
    leg: Leg, duration: int, segments: list, source: str, start_offset: float, sid: str | None = None
) -> Recording:
    """Store a recording of `leg` (REST-visible, media served); `sid` when the caller already announced one
    (e.g. a <Dial record> whose RecordingSid went out first)."""
    emu = leg.emu
    with emu.store.lock:
        rec = Recording(
            sid or new_sid("RE"),
            leg.record.account_sid,
            leg.sid,
            emu.engine.clock.datetime(),
            emu.engine.clock.datetime(start_offset),
            duration,
            segments,
            source,
        )
        emu.store.recordings[rec.sid] = rec
    return rec


def _status_callback(leg: Leg, verb: twiml.Verb, status: str, rec: Recording | None) -> None:
    url = leg.resolve(verb.get("recordingStatusCallback"))
    events = (verb.get("recordingStatusCallbackEvent") or "completed").replace(",", " ").split()
    if url and status in events:
        method = verb.get("recordingStatusCallbackMethod", "POST")
        leg.engine.schedule(STATUS_DELAY if rec else 0, _send_status, leg, url, method, status, rec, "RecordVerb")


def _send_status(leg: Leg, url: str, method: str, status: str, rec: Recording | None, source: str) -> None:
    params = {
        "AccountSid": leg.record.account_sid,
        "CallSid": leg.sid,
        "RecordingStatus": status,
        "RecordingSource": source,
        "RecordingChannels": "1",
    }
    if rec is not None:
        params.update(
            RecordingSid=rec.sid,
            RecordingUrl=leg.emu.api_base + rec.path(),
            RecordingDuration=rec.duration,
            RecordingStartTime=rfc2822(rec.start_time),
        )
    leg.request(url, method, {k: str(v) for k, v in params.items()}, "recording-status")


def _transcribed(leg: Leg, rec: Recording, url: str | None) -> None:
    ok = rec.duration <= MAX_TRANSCRIPTION_SECONDS and bool(rec.text)
    rec.transcription = rec.text if ok else None
    leg.note("record", f"transcription of {rec.sid} {'completed' if ok else 'failed'}")
    if not url:
        return
    sid = new_sid("TR")
    params = leg.params(
        TranscriptionSid=sid,
        TranscriptionText=rec.text if ok else None,
        TranscriptionStatus="completed" if ok else "failed",
        TranscriptionUrl=f"{leg.emu.api_base}/{API_VERSION}/Accounts/{rec.account_sid}/Transcriptions/{sid}",
        RecordingSid=rec.sid,
        RecordingUrl=leg.emu.api_base + rec.path(),
    )
    leg.request(url, "POST", params, "transcription")


# -- hooks -----------------------------------------------------------------------------------------------
def detach(leg: Leg, result: str) -> None:
    """The leg hangs up or is redirected: end an active <Record> and save a whole-call recording."""
    state = leg.recording
    if state is not None and not state.done:
        hung_up = result == "hangup"
        _finish(leg, state, "hangup" if hung_up else None, run_action=hung_up)
    whole = leg.callbacks.extra.get("record")
    if whole and result == "hangup" and leg.answered_at is not None:
        _save_call_recording(leg, whole)


def _save_call_recording(leg: Leg, conf: dict) -> None:
    start = leg.answered_at or 0.0
    duration = math.ceil(leg.now() - start - 1e-6)
    segments = _clip([(t - start, s, text) for t, s, text in leg.speech if t >= start], duration)
    if duration <= 0:
        return
    rec = save(leg, duration, segments, "OutboundAPI", start_offset=start)
    leg.note("record", f"call recorded ({duration}s) as {rec.sid}")
    url, events = conf.get("status_callback"), conf.get("events") or ["completed"]
    if url and "completed" in events:
        method = conf.get("method") or "POST"
        leg.engine.schedule(STATUS_DELAY, _send_status, leg, url, method, "completed", rec, "OutboundAPI")


def for_call(emu: Emulator, call_sid: str) -> list[Recording]:
    with emu.store.lock:
        return [r for r in emu.store.recordings.values() if r.call_sid == call_sid]
