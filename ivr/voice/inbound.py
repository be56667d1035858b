"""The inbound line: PPS menu → ACS greeting and SSN/EIN prompt → queue `acs` → an employee takes the call."""

from __future__ import annotations

from functools import lru_cache

from flask import abort, request

from ivr.config import Config
from ivr.services import services
from ivr.voice.blueprint import call_sid, form_int, is_call_sid, limited_content, twiml, twiml_response, voice
from ivr.voice.security import validate_twilio_request

MAX_TIN_ATTEMPTS = 2


def acs_urls(config: Config) -> twiml.AcsUrls:
    return _acs_urls(config.public_base_url or "")


@lru_cache(maxsize=4)
def _acs_urls(base: str) -> twiml.AcsUrls:
    return twiml.AcsUrls(
        acs=base + "/voice/acs",
        tin=base + "/voice/acs/tin",
        queue=base + "/voice/acs/queue",
        wait=base + "/voice/acs/wait",
        queue_result=base + "/voice/acs/queue-result",
        connect=base + "/voice/acs/connect",
    )


@lru_cache(maxsize=4)
def _greeting_xml(urls: twiml.AcsUrls, timeout: int) -> str:
    """The greeting never varies per caller, so it is rendered once per configuration."""
    return str(twiml.acs_greeting(urls, timeout))


def fallback_enqueue() -> twiml.VoiceResponse:
    """Used when the app cannot do better (e.g. Redis is down): the caller still reaches an employee."""
    svc = services()
    return twiml.enqueue(svc.config.queue_name, acs_urls(svc.config))


def fallback_for(path: str) -> twiml.VoiceResponse:
    """The way forward when a webhook fails: queue the caller, except where an Enqueue would be wrong — on hold
    (waitUrl), at the bridge (the Queue noun's url) and after leaving the queue (a finished call must not requeue)."""
    if path == "/voice/acs/queue-result":
        return twiml.queue_left(request.form.get("QueueResult", "")[:32], _private_office())
    if path == "/voice/acs/connect":
        return twiml.connect_caller(private=True)  # the caller is unknown here: say nothing that could disclose
    if path == "/voice/acs/wait":
        return twiml.hold_message(0, 0, services().config.hold_music_url, _private_office())
    return fallback_enqueue()


def _private_office() -> str | None:
    """The limited-content office name when the hold/queue-result URL marks a private caller, else None."""
    return limited_content().office if request.args.get("audience") == "taxpayer" else None


def caller_and_line() -> tuple[str, str]:
    return request.form.get("From", "")[:32], request.form.get("To", "")[:32]


@voice.post("/pps")
@validate_twilio_request
def pps():
    config = services().config
    menu_url, acs_url = config.public_url("/voice/pps"), config.public_url("/voice/acs")
    digits = request.form.get("Digits", "")
    if digits == twiml.PPS_ACS_OPTION:
        return twiml_response(twiml.redirect_to(acs_url))
    if digits:
        return twiml_response(twiml.pps_option_unavailable(menu_url))
    replay = request.args.get("replay", "0")
    return twiml_response(twiml.pps_menu(menu_url, acs_url, replay=1 if replay != "0" else 0))


@voice.post("/acs")
@validate_twilio_request
def acs():
    config = services().config
    if call_sid() is None:
        abort(400)
    return twiml_response(_greeting_xml(acs_urls(config), config.gather_timeout))


@voice.post("/acs/tin")
@validate_twilio_request
def acs_tin():
    svc = services()
    sid = call_sid()
    if sid is None:
        abort(400)
    urls = acs_urls(svc.config)
    digits = request.form.get("Digits", "").strip().rstrip("#")
    case = svc.store.open_case_for_keyed_tin(digits) if len(digits) == 9 and digits.isdigit() else None
    if case is not None:
        svc.callers.matched(sid, case.case_id, *caller_and_line())
        svc.history.append(
            case.case_id,
            "call_in",
            f"Inbound call: caller keyed the taxpayer's {case.tin.kind} ({case.tin.masked})",
            call_sid=sid,
        )
        return twiml_response(twiml.tin_accepted(urls))
    attempts = svc.callers.tin_attempt_failed(sid, *caller_and_line())
    if attempts < MAX_TIN_ATTEMPTS:
        return twiml_response(twiml.tin_reprompt(urls, svc.config.gather_timeout))
    return twiml_response(twiml.tin_given_up(urls))


@voice.post("/acs/queue")
@validate_twilio_request
def acs_queue():
    svc = services()
    sid = call_sid()
    if sid is None:
        abort(400)
    # A ready employee to spare takes the caller at once: their leg waits on the floor's queue (README "The floor").
    campaign = svc.floor.campaign if svc.floor is not None else None
    private, to_floor = svc.callers.enqueued_blended(sid, svc.config.queue_name, *caller_and_line(), campaign)
    office = limited_content().office if private else None
    queue = twiml.FLOOR_QUEUE if to_floor else svc.config.queue_name
    return twiml_response(twiml.enqueue(queue, acs_urls(svc.config), office))


@voice.post("/acs/wait")
@validate_twilio_request
def acs_wait():
    config = services().config
    position = form_int("QueuePosition")
    minutes = twiml.estimated_wait_minutes(position, form_int("AvgQueueTime"), form_int("CurrentQueueSize"))
    return twiml_response(twiml.hold_message(position, minutes, config.hold_music_url, _private_office()))


@voice.post("/acs/queue-result")
@validate_twilio_request
def acs_queue_result():
    svc = services()
    sid = call_sid()
    result = request.form.get("QueueResult", "")[:32] or "unknown"
    if sid is not None:
        wait = form_int("QueueTime")
        first = svc.callers.left_queue(sid, svc.config.queue_name, result, wait)
        context = svc.callers.get(sid) if first else None  # a repeated callback writes no second history line
        if context and context.case_id:
            svc.history.append(
                context.case_id, "queue", f"Caller left the queue: {result} after {wait} s", call_sid=sid
            )
    return twiml_response(twiml.queue_left(result, _private_office()))


@voice.post("/acs/connect")
@validate_twilio_request
def acs_connect():
    """The Queue noun's url: runs on the caller just before the bridge, so we learn which employee leg took it."""
    sid = call_sid()
    agent_sid = request.form.get("DequeingCallSid", "")
    if sid is not None and is_call_sid(agent_sid):
        return twiml_response(inbound_bridged(sid, agent_sid))
    return twiml_response(twiml.connect_caller())


def inbound_bridged(sid: str, agent_sid: str) -> twiml.VoiceResponse:
    """An employee's leg took an inbound caller (from the inbound queue, or the floor's queue when blended): record
    it once, put a floor employee on the call with the case, and tell the caller they are being connected."""
    svc = services()
    first = svc.callers.bridged(sid, agent_sid, svc.config.queue_name)
    context = svc.callers.get(sid)
    if first:
        _floor_bridged(agent_sid, sid, context)
    if first and context and context.case_id:  # a repeated callback writes no second history line
        svc.history.append(context.case_id, "call_in", "Caller connected to a collection employee", call_sid=sid)
    return twiml.connect_caller(private=bool(context and context.private))


@voice.post("/agent")
@validate_twilio_request
def agent():
    config = services().config
    return twiml_response(twiml.agent_dial(config.queue_name, config.public_url("/voice/acs/connect")))


def _floor_bridged(agent_sid: str, sid: str, context) -> None:
    """An employee on the floor took an inbound caller: they are on a call, with the caller's case if known. Not on
    a leg that is no longer theirs (Away could not hang it up): no webhook of that leg would end the call."""
    from ivr import clock
    from ivr.dialer.floor import Event

    floor = services().floor
    username = floor.line_owner(agent_sid)
    if username is None:
        return
    current = floor.get(username)
    if current.line != agent_sid:
        return
    fields = {"call_sid": sid, "why": "called the inbound line"}
    if context is not None and context.case_id:
        fields["case_id"] = context.case_id
        if context.crn:
            fields["crn"] = context.crn
    floor.apply_to(current, Event.BRIDGED, clock.now(), kind="inbound", **fields)
