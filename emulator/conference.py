"""Conference rooms: <Dial><Conference>, REST-created participants, hold, mute, announcements and events.

Semantics from https://www.twilio.com/docs/voice/twiml/conference: a room is created by its first participant
and named per account; it starts when a participant with startConferenceOnEnter (default true) is in it, until
then the others hear the waitUrl (default hold music; re-requested when its TwiML ends); a participant with
endConferenceOnExit ends it for everyone when leaving, and it ends when the last participant leaves. `beep`
(true, false, onEnter, onExit) is heard by the others. The room's statusCallback (set by the first participant
that gives one) receives conference-start/-end, participant-join/-leave/-mute/-unmute/-hold/-unhold and
announcement-end for the subscribed statusCallbackEvent (start end join leave mute hold announcement).
A TwiML participant leaving continues after its <Dial> (action URL with DialCallStatus=completed, or the next
verb); a participant created through the REST API hangs up (https://www.twilio.com/docs/voice/api/conference-participant-resource).
"""

from __future__ import annotations

import types
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from emulator import twiml
from emulator.errors import TwilioError
from emulator.resources import API_VERSION, new_sid, rfc2822

if TYPE_CHECKING:
    from emulator.emulator import Emulator
    from emulator.legs import Frame, Leg

HOLD_MUSIC = "http://com.twilio.sounds.music.s3.amazonaws.com/ClockworkWaltz.mp3"
HOLD_MUSIC_SECONDS = 30.0
MIN_WAIT_ITERATION = 1.0
EVENT_GROUPS = {
    "conference-start": "start",
    "conference-end": "end",
    "participant-join": "join",
    "participant-leave": "leave",
    "participant-mute": "mute",
    "participant-unmute": "mute",
    "participant-hold": "hold",
    "participant-unhold": "hold",
    "announcement-end": "announcement",
}


def _flag(value: str | bool | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return value.strip().lower() == "true"


@dataclass
class Participant:
    leg: Leg
    conference: Conference
    date_created: datetime
    label: str | None = None
    muted: bool = False
    hold: bool = False
    start_on_enter: bool = True
    end_on_exit: bool = False
    beep: str = "true"
    wait_url: str | None = None
    wait_method: str = "POST"
    hold_url: str | None = None
    hold_method: str = "GET"
    dial: tuple[twiml.Verb, str | None] | None = None  # (the <Dial>, its document URL) for TwiML participants
    status: str = "connected"
    last_fetch: float = -10.0

    def to_json(self) -> dict:
        conf = self.conference
        return {
            "account_sid": conf.account_sid,
            "call_sid": self.leg.sid,
            "label": self.label,
            "call_sid_to_coach": None,
            "coaching": False,
            "conference_sid": conf.sid,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_created),
            "end_conference_on_exit": self.end_on_exit,
            "muted": self.muted,
            "hold": self.hold,
            "start_conference_on_enter": self.start_on_enter,
            "status": self.status,
            "queue_time": None,
            "uri": f"{conf.path()}/Participants/{self.leg.sid}.json",
        }


@dataclass
class Conference:
    sid: str
    account_sid: str
    friendly_name: str
    date_created: datetime
    status: str = "init"
    participants: OrderedDict[str, Participant] = field(default_factory=OrderedDict)
    pending: OrderedDict[str, Participant] = field(default_factory=OrderedDict)  # REST dial-outs still ringing
    status_callback: str | None = None
    status_method: str = "POST"
    status_events: frozenset[str] = frozenset()
    sequence: int = 0
    reason_ended: str | None = None
    call_sid_ending: str | None = None
    date_updated: datetime | None = None

    def path(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Conferences/{self.sid}"

    def to_json(self) -> dict:
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "call_sid_ending_conference": self.call_sid_ending,
            "date_created": rfc2822(self.date_created),
            "date_updated": rfc2822(self.date_updated or self.date_created),
            "friendly_name": self.friendly_name,
            "reason_conference_ended": self.reason_ended,
            "region": "us1",
            "sid": self.sid,
            "status": self.status,
            "uri": self.path() + ".json",
            "subresource_uris": {
                "participants": self.path() + "/Participants.json",
                "recordings": self.path() + "/Recordings.json",
            },
        }

    def everyone(self) -> list[Participant]:
        return list(self.participants.values()) + list(self.pending.values())


# -- rooms -----------------------------------------------------------------------------------------------
def room(emu: Emulator, name_or_sid: str, create: bool = False) -> Conference | None:
    """The live room with this SID or friendly name (a completed room's name can be reused by a new room)."""
    with emu.store.lock:
        found = emu.store.conferences.get(name_or_sid)
        if found is not None:
            return found
        for conf in reversed(emu.store.conferences.values()):
            if conf.friendly_name == name_or_sid and conf.status != "completed":
                return conf
        if not create:
            return None
        conf = Conference(new_sid("CF"), emu.account_sid, name_or_sid, emu.engine.clock.datetime())
        emu.store.conferences[conf.sid] = conf
        return conf


def _subscribe(conf: Conference, url: str | None, method: str | None, events: str | list | None) -> None:
    if url and not conf.status_callback:
        conf.status_callback = url
        conf.status_method = method or "POST"
        names = events.replace(",", " ").split() if isinstance(events, str) else list(events or [])
        conf.status_events = frozenset(names or ["start", "end"])


def _note(conf: Conference, emu: Emulator, text: str) -> None:
    emu.transcript.add(emu.engine.now(), f"conference {conf.friendly_name}", conf.sid, "conference", text)


def _event(conf: Conference, emu: Emulator, event: str, part: Participant | None = None, **extra) -> None:
    """Post a conference status callback (asynchronously, as Twilio does) if the event is subscribed."""
    if not conf.status_callback or EVENT_GROUPS.get(event, event) not in conf.status_events:
        return
    conf.sequence += 1
    params = {
        "AccountSid": conf.account_sid,
        "ConferenceSid": conf.sid,
        "FriendlyName": conf.friendly_name,
        "StatusCallbackEvent": event,
        "SequenceNumber": str(conf.sequence),
        "Timestamp": emu.engine.clock.datetime().strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }
    if part is not None:
        params.update(
            CallSid=part.leg.sid,
            Muted=str(part.muted).lower(),
            Hold=str(part.hold).lower(),
            Coaching="false",
            EndConferenceOnExit=str(part.end_on_exit).lower(),
            StartConferenceOnEnter=str(part.start_on_enter).lower(),
        )
        if part.label:
            params["ParticipantLabel"] = part.label
    params.update({k: str(v) for k, v in extra.items() if v is not None})
    source = (
        part.leg if part is not None else types.SimpleNamespace(label=f"conference {conf.friendly_name}", sid=conf.sid)
    )
    emu.engine.schedule(0, _post, emu, source, conf.status_callback, conf.status_method, params)


def _post(emu: Emulator, source, url: str, method: str, params: dict) -> None:
    result = emu.transport.fetch(method, url, params)
    emu.record_webhook(source, "conference-status", result)
    status = result.status if not result.error else result.error
    emu.transcript.add(emu.engine.now(), source.label, source.sid, "webhook", f"{result.method} {url} -> {status}")


# -- joining and leaving ---------------------------------------------------------------------------------
def dial_conference(leg: Leg, verb: twiml.Verb, noun: twiml.Verb, frame: Frame) -> None:
    """<Dial><Conference>name</Conference></Dial>: the caller enters the room."""
    emu = leg.emu
    conf = room(emu, noun.text or "default", create=True)
    if len(conf.participants) >= int(noun.number("maxParticipants", 250)):
        leg.note("conference", f"{conf.friendly_name!r} is full")
        leg.dial_statuses.append("failed")
        _continue_after_dial(leg, (verb, frame.url), "failed")
        return
    leg.suspended, leg.frames = leg.frames, []
    _subscribe(
        conf,
        leg.resolve(noun.get("statusCallback"), frame.url),
        noun.get("statusCallbackMethod"),
        noun.get("statusCallbackEvent"),
    )
    part = Participant(
        leg,
        conf,
        emu.engine.clock.datetime(),
        label=noun.get("participantLabel"),
        muted=_flag(noun.get("muted"), False),
        start_on_enter=_flag(noun.get("startConferenceOnEnter"), True),
        end_on_exit=_flag(noun.get("endConferenceOnExit"), False),
        beep=noun.get("beep", "true"),
        wait_url=leg.resolve(noun.get("waitUrl"), frame.url) if noun.get("waitUrl") else noun.get("waitUrl"),
        wait_method=noun.get("waitMethod", "POST"),
        dial=(verb, frame.url),
    )
    join(part)


def join(part: Participant) -> None:
    leg, conf, emu = part.leg, part.conference, part.leg.emu
    with emu.store.lock:
        conf.pending.pop(leg.sid, None)
        conf.participants[leg.sid] = part
        part.status = "connected"
    leg.conference = part
    leg.conferences.append(conf.friendly_name)
    leg.note("conference", f"joined {conf.friendly_name!r}")
    _note(conf, emu, f"{leg.label} joined")
    _event(conf, emu, "participant-join", part)
    if part.beep in ("true", "onEnter"):
        _beep(conf, part)
    if conf.status != "in-progress" and part.start_on_enter:
        _start(conf, emu)
    elif conf.status == "in-progress":
        _talk(part)
    else:
        _wait(part)


def _beep(conf: Conference, newcomer: Participant) -> None:
    for other in conf.participants.values():
        if other is not newcomer and not other.hold:
            other.leg.note("conference", "beep")


def _start(conf: Conference, emu: Emulator) -> None:
    conf.status = "in-progress"
    conf.date_updated = emu.engine.clock.datetime()
    _note(conf, emu, "conference started")
    _event(conf, emu, "conference-start")
    for part in list(conf.participants.values()):
        if not part.hold:
            _talk(part)


def _talk(part: Participant) -> None:
    """The participant is in a started room and not on hold: silence the music, meet the others."""
    leg = part.leg
    leg.cancel()
    leg.frames = []
    others = [p.leg for p in part.conference.participants.values() if p is not part and not p.hold]
    for other in others:
        leg.talked_with.add(other.label)
        other.talked_with.add(leg.label)
    leg.perform(leg.party.on_bridged(leg, others[0] if others else leg))


def _wait(part: Participant) -> None:
    """Waiting for the room to start (or on hold): the wait/hold URL, re-requested when its TwiML ends."""
    leg = part.leg
    if leg.ended or leg.conference is not part:
        return
    url, method = (part.hold_url, part.hold_method) if part.hold else (part.wait_url, part.wait_method)
    if url == "":
        leg.frames = []
        return  # an empty waitUrl: silence
    if url is None:
        leg.hear("play", HOLD_MUSIC, HOLD_MUSIC_SECONDS)
        leg.after(HOLD_MUSIC_SECONDS, _wait, part)
        return
    url = leg.resolve(url)
    now = leg.now()
    if now - part.last_fetch < MIN_WAIT_ITERATION:
        leg.after(MIN_WAIT_ITERATION, _wait, part)
        return
    part.last_fetch = now
    conf = part.conference
    leg.run_document(
        "conference", url, method, "conference-wait", ConferenceSid=conf.sid, FriendlyName=conf.friendly_name
    )


def wait_done(leg: Leg) -> None:
    """The wait/hold TwiML ended: play it again while the participant still waits."""
    part = leg.conference
    if part is not None and (part.hold or part.conference.status != "in-progress"):
        _wait(part)


def leave(part: Participant, reason: str, continue_call: bool = True) -> None:
    """Take `part` out of its room; may end the room; the leg continues after its Dial or hangs up."""
    leg, conf, emu = part.leg, part.conference, part.leg.emu
    with emu.store.lock:
        if conf.participants.pop(leg.sid, None) is None:
            return
        part.status = "complete"
    leg.conference = None
    leg.note("conference", f"left {conf.friendly_name!r} ({reason})")
    _note(conf, emu, f"{leg.label} left ({reason})")
    _event(conf, emu, "participant-leave", part)
    if part.beep in ("true", "onExit"):
        _beep(conf, part)
    if conf.status != "completed":
        if part.end_on_exit:
            end(conf, emu, "participant-with-end-conference-on-exit-left", leg.sid)
        elif not conf.participants:
            end(conf, emu, "last-participant-left", leg.sid)
    if continue_call and not leg.ended:
        if part.dial is None:
            leg.hangup("completed")  # a REST participant has no TwiML to go back to
        else:
            leg.dial_statuses.append("completed")
            _continue_after_dial(leg, part.dial, "completed")


def _continue_after_dial(leg: Leg, dial: tuple[twiml.Verb, str | None], status: str) -> None:
    verb, doc_url = dial
    action = leg.resolve(verb.get("action"), doc_url)
    leg.cancel()
    if action:
        leg.suspended = []
        leg.run_document("main", action, verb.get("method", "POST"), "dial-action", DialCallStatus=status)
    else:
        leg.continue_main()


def end(conf: Conference, emu: Emulator, reason: str, ending_call_sid: str | None = None) -> None:
    if conf.status == "completed":
        return
    conf.status = "completed"
    conf.reason_ended = reason
    conf.call_sid_ending = ending_call_sid
    conf.date_updated = emu.engine.clock.datetime()
    _note(conf, emu, f"conference ended ({reason})")
    _event(conf, emu, "conference-end", ReasonConferenceEnded=reason, CallSidEndingConference=ending_call_sid)
    for part in list(conf.participants.values()):
        leave(part, "conference ended")
    for part in list(conf.pending.values()):
        conf.pending.pop(part.leg.sid, None)
        part.leg.hangup("canceled")


def detach(leg: Leg, result: str) -> None:
    """Hook for hangups and REST redirects: the leg leaves its room (no continuation: it has other plans)."""
    part = leg.conference
    if part is not None:
        leave(part, result, continue_call=False)
    pending = leg.callbacks.extra.get("conference_participant")
    if pending is not None:
        pending.conference.pending.pop(leg.sid, None)


# -- REST operations -------------------------------------------------------------------------------------
def add_participant(emu: Emulator, conf_ref: str, form) -> Participant:
    """POST /Conferences/{sid or name}/Participants.json: dial `To` and put the answered call in the room."""
    conf = room(emu, conf_ref, create=not conf_ref.startswith("CF"))
    if conf is None or conf.status == "completed":
        from emulator.errors import not_found

        raise not_found(f"/2010-04-01/Accounts/{emu.account_sid}/Conferences/{conf_ref}/Participants.json")
    call = emu.create_call(
        to=form.get("To"),
        from_=form.get("From"),
        twiml="<Response/>",  # never run: answering joins the room
        status_callback=form.get("StatusCallback"),
        status_callback_event=form.getlist("StatusCallbackEvent"),
        status_callback_method=form.get("StatusCallbackMethod", "POST"),
        timeout=float(form.get("Timeout") or 60),
    )
    leg = emu.legs[call.sid]
    _subscribe(
        conf,
        form.get("ConferenceStatusCallback"),
        form.get("ConferenceStatusCallbackMethod"),
        form.getlist("ConferenceStatusCallbackEvent") or None,
    )
    part = Participant(
        leg,
        conf,
        emu.engine.clock.datetime(),
        label=form.get("Label"),
        muted=_flag(form.get("Muted"), False),
        start_on_enter=_flag(form.get("StartConferenceOnEnter"), True),
        end_on_exit=_flag(form.get("EndConferenceOnExit"), False),
        beep=form.get("Beep", "true"),
        wait_url=form.get("WaitUrl"),
        wait_method=form.get("WaitMethod", "POST"),
        status="queued",
    )
    with emu.store.lock:
        conf.pending[leg.sid] = part
    leg.callbacks.extra["conference_participant"] = part
    leg.callbacks.extra["on_answer"] = lambda answered: join(part)
    return part


def find_participant(conf: Conference, ref: str) -> Participant | None:
    """By CallSid or by label, as the Participant resource allows."""
    for part in conf.everyone():
        if part.leg.sid == ref or (part.label and part.label == ref):
            return part
    return None


def update_participant(emu: Emulator, part: Participant, form) -> None:
    """Hold, Muted, HoldUrl/HoldMethod, AnnounceUrl/AnnounceMethod, EndConferenceOnExit (applied on the clock)."""
    if "Hold" in form and form["Hold"].lower() not in ("true", "false"):
        raise TwilioError(400, 20001, f"Invalid Hold value {form['Hold']}")
    emu.engine.schedule(0, _apply_update, emu, part, dict(form.items()))


def _apply_update(emu: Emulator, part: Participant, form: dict) -> None:
    conf, leg = part.conference, part.leg
    if leg.conference is not part:
        return
    if "HoldUrl" in form:
        part.hold_url = form["HoldUrl"]
        part.hold_method = form.get("HoldMethod", "GET")
    if "EndConferenceOnExit" in form:
        part.end_on_exit = _flag(form["EndConferenceOnExit"], part.end_on_exit)
    if "Muted" in form and _flag(form["Muted"], part.muted) != part.muted:
        part.muted = not part.muted
        leg.note("conference", "muted" if part.muted else "unmuted")
        _event(conf, emu, "participant-mute" if part.muted else "participant-unmute", part)
    if "Hold" in form and _flag(form["Hold"], part.hold) != part.hold:
        part.hold = not part.hold
        leg.note("conference", "on hold" if part.hold else "off hold")
        leg.holds += part.hold
        _event(conf, emu, "participant-hold" if part.hold else "participant-unhold", part)
        leg.cancel()
        if part.hold:
            part.last_fetch = -10.0
            _wait(part)
        elif conf.status == "in-progress":
            _talk(part)
        else:
            _wait(part)
    if form.get("AnnounceUrl"):
        announce(emu, conf, form["AnnounceUrl"], form.get("AnnounceMethod", "POST"), only=part)


def announce(emu: Emulator, conf: Conference, url: str, method: str = "POST", only: Participant | None = None) -> None:
    """Fetch the announcement TwiML once and play its Say/Play to the room (or to one participant)."""
    listeners = [only] if only is not None else list(conf.participants.values())
    if not listeners:
        return
    source = listeners[0].leg
    verbs = source.fetch_document(url, method, {"AccountSid": conf.account_sid, "ConferenceSid": conf.sid}, "announce")
    if verbs is None:
        return
    for part in listeners:
        for verb in verbs:
            if verb.name in ("Say", "Play"):
                text = verb.text if verb.name == "Say" else source.resolve(verb.text, url) or ""
                part.leg.hear(verb.name.lower(), text, twiml.verb_seconds(verb))
    _event(conf, emu, "announcement-end")


def update_conference(emu: Emulator, conf: Conference, form) -> None:
    status = form.get("Status")
    if status not in (None, "", "completed"):
        raise TwilioError(400, 20001, f"Invalid Status {status}")
    if status == "completed":
        emu.engine.schedule(0, end, conf, emu, "conference-ended-via-api")
    if form.get("AnnounceUrl"):
        emu.engine.schedule(0, announce, emu, conf, form["AnnounceUrl"], form.get("AnnounceMethod", "POST"))


def kick(emu: Emulator, part: Participant) -> None:
    """DELETE a participant: it leaves the room; a TwiML participant continues after its Dial."""
    emu.engine.schedule(0, _kick, part)


def _kick(part: Participant) -> None:
    if part.leg.conference is part:
        leave(part, "kicked")
    elif part.leg.sid in part.conference.pending:
        part.conference.pending.pop(part.leg.sid, None)
        part.leg.hangup("canceled")
