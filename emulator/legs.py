"""One call leg: its lifecycle (status, callbacks, hangup), its webhooks, and the TwiML program it runs.

A leg runs a stack of frames: the main document, a Gather's nested prompts, the Enqueue waitUrl document or the
Dial > Queue announcement. Verbs execute until one takes time; the continuation is scheduled on the engine,
tagged with the leg's generation so barge-in, redirects, bridging and hangups cancel stale continuations by
bumping it. Verb semantics live in `interpreter`, queues and bridges in `queueing`,
ringing and AMD in `outbound`, Dial > Number in `dialing`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from http.cookiejar import CookieJar
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from emulator import geo, twiml
from emulator.parties import HangUp, Party, Press, Speak
from emulator.resources import API_VERSION, CallRecord, timestamp

if TYPE_CHECKING:
    from emulator.emulator import Emulator


@lru_cache(maxsize=1024)
def _join(base: str, url: str) -> str:
    """urljoin, once per (document URL, relative URL): a leg's verbs name the same few of each."""
    return urljoin(base, url)


APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."


def _frame_end(leg: Leg, kind: str) -> Callable[[], None]:
    """What a fresh frame of `kind` does when its verbs run out (KeyError for an unknown kind); only the one
    needed is made, not all five."""
    from emulator import conference, dialing, queueing

    if kind == "main":
        return lambda: leg.hangup("completed")
    if kind == "wait":
        return lambda: queueing.wait_loop(leg)
    if kind == "announce":
        return lambda: queueing.announce_done(leg)
    if kind == "conference":
        return lambda: conference.wait_done(leg)
    if kind == "whisper":
        return lambda: dialing.whisper_done(leg)
    raise KeyError(kind)


@dataclass
class Frame:
    kind: str  # main | wait | announce | gather
    verbs: list[twiml.Verb]
    url: str | None
    on_end: Callable[[], None]
    pc: int = 0


@dataclass(slots=True)
class Callbacks:
    """Where and what to report about a leg (from calls.create or the number's configuration); slotted, as a
    finished leg keeps it."""

    status_url: str | None = None
    status_method: str = "POST"
    status_events: frozenset[str] = frozenset({"completed"})
    machine_detection: str | None = None
    async_amd: bool = False
    async_amd_url: str | None = None
    async_amd_method: str = "POST"
    timeout: float = 60.0
    extra: dict = field(default_factory=dict)


#: What a finished leg keeps for `Emulator.leg()` readers (scenario checks, tests, demos): its record, its party,
#: its configuration and what happened on it. The lists are the leg's own, so anything a still-pending event of
#: the leg adds after the end (a late recording, an error) shows up there too.
ENDED_FIELDS = (
    "emu",
    "engine",
    "sid",
    "label",
    "record",
    "party",
    "callbacks",
    "state",
    "answered_at",
    "final_status",
    "heard",
    "pressed",
    "spoken",
    "recorded",
    "errors",
    "warnings",
    "speech",
    "conferences",
    "talked_with",
    "holds",
    "queue_results",
    "dial_statuses",
    "dial_recordings",
    "sequence",
)


class EndedLeg:
    """A finished call leg as `Emulator.legs` keeps it: what was observed, without the runtime state.

    A live `Leg` holds its TwiML frames and their closures, a CookieJar, queue/bridge/dial/conference links and
    continuations; kept for every call, that grew a long-running emulator by ~5 KB a call and gave the garbage
    collector ever more to scan. Once a leg has ended nothing runs it again (its pending events only find it
    ended), so the emulator swaps it for this and the Leg dies with its last pending event. Everything the REST
    API shows lives elsewhere (the CallRecord in the store, recordings, queues, conferences)."""

    __slots__ = ENDED_FIELDS
    ended = True
    # A live leg's runtime state, always empty once it ended.
    gather = queued = bridge = dialing = dial_link = recording = conference = speech_listener = None
    frames: tuple = ()
    suspended: tuple = ()

    def __init__(self, leg: Leg) -> None:
        for name in ENDED_FIELDS:
            setattr(self, name, getattr(leg, name))

    def call_status(self) -> str:
        return self.record.status

    def now(self) -> float:
        return self.engine.now()

    def __repr__(self) -> str:
        return f"<EndedLeg {self.label} {self.sid} {self.final_status}>"


class Leg:
    """A call leg as the phone network sees it."""

    def __init__(self, emu: Emulator, record: CallRecord, party: Party, label: str, callbacks: Callbacks):
        self.emu = emu
        self.engine = emu.engine
        self.record = record
        self.sid = record.sid
        self.party = party
        self.label = label
        self.callbacks = callbacks
        self.frames: list[Frame] = []
        self.suspended: list[Frame] = []
        self.gen = 0
        self.state = "queued"
        self.answered_at: float | None = None
        self.heard: list[str] = []
        self.pressed: list[str] = []
        self.spoken: list[str] = []  # what the party said (Speak actions)
        #: Who hears the party speak besides a speech <Gather>, e.g. a <Record>: called with a `Speak`.
        self.speech_listener: Callable | None = None
        self.recorded: list[str] = []
        self.errors: list[dict] = []
        self.cookies = CookieJar()  # Twilio keeps cookies per call: never shared with another call's webhooks
        self.warnings: list[dict] = []  # TwiML schema warnings (12200, 13xxx): noted, the call carries on
        self.gather = None  # interpreter.GatherState while a Gather listens
        self.queued = None  # queueing.Enqueued while waiting in a queue
        self.bridge = None  # queueing.Bridge while connected to another leg
        self.dialing = None  # queueing.DialWait while Dial > Queue waits for a caller
        self.dial_link = None  # dialing.DialLink while a Dial > Number rings or is connected
        self.recording = None  # recording.RecordState while a <Record> records
        self.conference = None  # conference.Participant while in a conference room
        self.speech: list[tuple[float, float, str]] = []  # (start, seconds, text) of everything the party said
        self.conferences: list[str] = []  # names of the rooms joined
        self.talked_with: set[str] = set()  # labels of legs met in a started conference
        self.holds = 0  # times put on hold in a conference
        self.final_status: str | None = None
        self.queue_results: list[str] = []
        self.dial_statuses: list[str] = []
        self.dial_recordings: list[dict] = []  # recordings made by <Dial record=…> (RecordingSid, Url, Duration)
        self.sequence = 0

    # -- bookkeeping -------------------------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.state == "ended"

    def now(self) -> float:
        return self.engine.now()

    def note(self, kind: str, text: str, **data) -> None:
        self.emu.transcript.add(self.now(), self.label, self.sid, kind, text, **data)

    def warn(self, code: int, message: str) -> None:
        """A Twilio warning (the call carries on): transcript, `leg.warnings` and `emu.warnings`."""
        self.warnings.append({"code": code, "message": message})
        self.emu.warnings.append({"call_sid": self.sid, "leg": self.label, "code": code, "message": message})
        self.note("warning", f"{code}: {message}", code=code)

    def call_status(self) -> str:
        return self.record.status

    def params(self, **extra) -> dict[str, str]:
        """The standard Twilio voice request parameters, plus `extra` (None values dropped)."""
        rec = self.record
        params = {
            "AccountSid": rec.account_sid,
            "ApiVersion": API_VERSION,
            "CallSid": rec.sid,
            "CallStatus": rec.status,
            "Called": rec.to,
            "Caller": rec.from_,
            "Direction": rec.direction,
            "From": rec.from_,
            "To": rec.to,
            **geo.params(rec.from_, rec.to),
        }
        if rec.parent_call_sid:
            params["ParentCallSid"] = rec.parent_call_sid
        if rec.answered_by and "AnsweredBy" not in extra:
            params["AnsweredBy"] = rec.answered_by
        params.update({k: str(v) for k, v in extra.items() if v is not None})
        return params

    def resolve(self, url: str | None, base: str | None = None) -> str | None:
        if not url:
            return None
        base = base or (self.frames[-1].url if self.frames else None) or self.callbacks.extra.get("url")
        try:
            return _join(base, url) if base else url
        except ValueError:  # e.g. "http://[bad": requesting it is error 11100 (Invalid URL format)
            return url

    # -- scheduling --------------------------------------------------------------------------------------
    def after(self, seconds: float, fn: Callable, *args) -> None:
        """Schedule a program continuation; cancelled by `cancel()` or hangup."""
        self.engine.schedule(seconds, self._guarded, self.gen, fn, args)

    def _guarded(self, gen: int, fn: Callable, args: tuple) -> None:
        if gen == self.gen and not self.ended:
            fn(*args)

    def cancel(self) -> None:
        """Invalidate every pending program continuation (barge-in, redirect, bridge, hangup)."""
        self.gen += 1

    def perform(self, actions: list) -> None:
        """Schedule a party's reactions; they survive program changes but not the end of the call."""
        for action in actions:
            if isinstance(action, Press):
                self.engine.schedule(action.after, self._party_press, action.digits)
            elif isinstance(action, HangUp):
                self.engine.schedule(action.after, self._party_hangup)
            elif isinstance(action, Speak):
                self.engine.schedule(action.after, self._party_speak, action)

    def _party_press(self, digits: str) -> None:
        if not self.ended:
            from emulator import interpreter

            interpreter.dtmf(self, digits)

    def _party_speak(self, speech: Speak) -> None:
        if not self.ended:
            from emulator import speech as speech_input

            self.speech.append((self.now(), speech.seconds, speech.text))
            speech_input.spoken(self, speech)

    def _party_hangup(self) -> None:
        if not self.ended:
            self.note("call", f"{self.party.describe()} hangs up")
            self.hangup("completed")

    # -- status ------------------------------------------------------------------------------------------
    def set_status(self, status: str, event: str | None = None, **extra) -> None:
        """Change the REST-visible status and send the status callback if `event` is subscribed."""
        with self.emu.store.lock:
            self.record.status = status
            self.record.date_updated = self.engine.clock.datetime()
        self.note("status", status)
        if event:
            self.status_callback(event, status, **extra)

    def set_status_event_only(self, event: str) -> None:
        """Report `event` (e.g. initiated) without a REST status of that name."""
        self.status_callback(event, event)

    def status_callback(self, event: str, status: str, **extra) -> None:
        if not self.callbacks.status_url or event not in self.callbacks.status_events:
            return
        self.sequence += 1
        params = self.params(
            CallStatus=status,
            CallbackSource="call-progress-events",
            SequenceNumber=self.sequence - 1,
            Timestamp=timestamp(self.engine.clock.datetime()),
            **extra,
        )
        self.request(self.callbacks.status_url, self.callbacks.status_method, params, "status")

    def answer(self) -> None:
        self.answered_at = self.now()
        with self.emu.store.lock:
            self.record.start_time = self.engine.clock.datetime()
        self.state = "in-progress"
        self.set_status("in-progress", "answered")
        self.perform(self.party.on_connected(self))

    def hangup(self, status: str = "completed") -> None:
        """End the leg with a final status; queues, bridges and dials it was part of are unwound."""
        if self.ended:
            return
        from emulator import queueing

        self.cancel()
        self.state = "ended"
        self.gather = None
        final = self.final_status = "completed" if self.answered_at is not None else status
        queueing.on_leg_ended(self)
        duration = 0 if self.answered_at is None else math.ceil(self.now() - self.answered_at)
        with self.emu.store.lock:
            self.record.end_time = self.engine.clock.datetime()
            self.record.duration = duration
        self.set_status(final, "completed", CallDuration=duration, Duration=max(1, math.ceil(duration / 60)))
        self.emu.leg_ended(self)
        self.emu.leg_finished(self)

    # -- webhooks and documents --------------------------------------------------------------------------
    def request(self, url: str, method: str | None, params: dict, purpose: str):
        result = self.emu.transport.fetch(method or "POST", url, params, cookies=self.cookies)
        self.emu.record_webhook(self, purpose, result)
        status = result.status if not result.error else result.error
        hops = f" (redirected to {result.url})" if result.redirects else ""
        self.note("webhook", f"{result.method} {url}{hops} -> {status}", purpose=purpose, status=result.status)
        return result

    def fetch_document(self, url: str, method: str | None, params: dict, purpose: str):
        """Fetch TwiML; on any failure report the Twilio error, play the application error and hang up."""
        result = self.request(url, method, params, purpose)
        if result.code is not None:
            return self.app_error(result.code, f"{result.error} ({url})")
        if result.error and "timed out" in result.error:
            return self.app_error(11205, f"HTTP request to {url} {result.error}")
        if result.error:
            return self.app_error(11200, f"HTTP retrieval failure for {url}: {result.error}")
        if not result.ok:
            return self.app_error(11200, f"HTTP retrieval failure: {url} answered {result.status}")
        try:
            return twiml.parse(result.body)
        except twiml.TwimlError as exc:
            return self.app_error(exc.code, f"Document parse failure at {url}: {exc}")

    def app_error(self, code: int, message: str) -> None:
        """What Twilio does when the app fails a call: an apology, then hang up."""
        self.errors.append({"code": code, "message": message})
        self.emu.errors.append({"call_sid": self.sid, "leg": self.label, "code": code, "message": message})
        self.note("error", f"{code}: {message}", code=code)
        if self.ended:
            return None
        from emulator import queueing

        queueing.on_app_error(self)
        if self.answered_at is None:
            self.answer()  # Twilio answers an inbound call to play the apology
        self.cancel()
        self.gather = None
        self.frames = [Frame("main", [], None, lambda: self.hangup("completed"))]
        self.hear("say", APPLICATION_ERROR, twiml.say_seconds(APPLICATION_ERROR))
        self.after(twiml.say_seconds(APPLICATION_ERROR), self.hangup, "completed")
        return None

    def run_document(self, kind: str, url: str | None, method: str | None, purpose: str, **extra) -> None:
        """Fetch `url` and run it as a fresh frame of `kind`, replacing that kind's current frames."""
        verbs = self.fetch_document(url, method, self.params(**extra), purpose)
        if verbs is None or self.ended:
            return
        self.start_frames(kind, verbs, url)

    def start_frames(self, kind: str, verbs: list[twiml.Verb], url: str | None) -> None:
        self.cancel()
        self.gather = None
        self.frames = [Frame(kind, verbs, url, _frame_end(self, kind))]
        self.step()

    def push_frame(self, frame: Frame) -> None:
        self.frames.append(frame)

    def step(self) -> None:
        """Execute verbs until one needs time (it schedules the next step) or the program ends."""
        from emulator import interpreter

        while not self.ended and self.frames:
            frame = self.frames[-1]
            if frame.pc >= len(frame.verbs):
                self.frames.pop()
                frame.on_end()
                return
            verb = frame.verbs[frame.pc]
            frame.pc += 1
            if not interpreter.execute(self, verb, frame):
                return

    def continue_main(self) -> None:
        """Resume the suspended main document after an Enqueue or Dial finished without an action URL."""
        self.cancel()
        self.frames, self.suspended = self.suspended, []
        if not self.frames:
            self.hangup("completed")
            return
        self.step()

    # -- what the party perceives ------------------------------------------------------------------------
    def hear(self, kind: str, text: str, seconds: float) -> None:
        self.heard.append(text)
        self.note(kind, text, seconds=round(seconds, 2))
        self.perform(self.party.on_heard(self, kind, text, seconds))
