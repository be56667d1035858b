"""TwiML documents as pure functions returning VoiceResponse: no Flask, no Redis, easy to test by parsing.

Every URL is passed in absolute (built from PUBLIC_BASE_URL by the caller), so the documents behave the same
behind ngrok, a TLS proxy or the local emulator. Nothing here ever speaks an SSN/EIN, an amount or a name.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.cases.crn import spoken as spoken_crn
from ivr.voice.limited_content import LimitedContent

OFFICE = "the Internal Revenue Service Automated Collection System"
VOICE = "Polly.Joanna"
HOLD_PAUSE_SECONDS = 20
PPS_ACS_OPTION = "3"


@dataclass(frozen=True)
class AcsUrls:
    """The absolute webhook URLs the inbound line points Twilio at."""

    acs: str
    tin: str
    queue: str
    wait: str
    queue_result: str
    connect: str


def _say(target: VoiceResponse | Gather, text: str) -> None:
    target.say(text, voice=VOICE, language="en-US")


def pps_menu(menu_url: str, acs_url: str, replay: int = 0) -> VoiceResponse:
    """The practitioner priority menu; option 3 goes to ACS. Silence replays it once, then goes to ACS anyway."""
    response = VoiceResponse()
    if replay == 0:
        _say(response, "Thank you for calling the Practitioner Priority Service.")
    gather = Gather(input="dtmf", num_digits=1, timeout=6, action=menu_url, method="POST")
    _say(
        gather,
        "For an individual taxpayer account, press 1. For a business account, press 2. "
        "If you are returning a call from the Automated Collection System, or for a collection matter, press 3.",
    )
    response.append(gather)
    if replay >= 1:
        response.redirect(acs_url, method="POST")
    else:
        response.redirect(f"{menu_url}?replay={replay + 1}", method="POST")
    return response


def pps_option_unavailable(menu_url: str) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, "That service is not available on this line.")
    response.redirect(f"{menu_url}?replay=1", method="POST")
    return response


def redirect_to(url: str) -> VoiceResponse:
    response = VoiceResponse()
    response.redirect(url, method="POST")
    return response


def acs_greeting(urls: AcsUrls, timeout: int) -> VoiceResponse:
    """Greeting and the SSN/EIN prompt. A silent caller's Gather times out and falls through to the queue."""
    response = VoiceResponse()
    _say(response, f"Thank you for calling {OFFICE}.")
    response.append(_tin_gather(urls, timeout, reprompt=False))
    response.redirect(urls.queue, method="POST")
    return response


def tin_reprompt(urls: AcsUrls, timeout: int) -> VoiceResponse:
    """One more chance after an entry we could not match; then the caller is queued whatever happens."""
    response = VoiceResponse()
    response.append(_tin_gather(urls, timeout, reprompt=True))
    response.redirect(urls.queue, method="POST")
    return response


def _tin_gather(urls: AcsUrls, timeout: int, reprompt: bool) -> Gather:
    gather = Gather(
        input="dtmf",
        num_digits=9,
        timeout=timeout,
        finish_on_key="#",
        action=urls.tin,
        method="POST",
        action_on_empty_result=False,
    )
    if reprompt:
        _say(gather, "We could not match that number to an open account. Please enter it again, or stay on the line.")
    else:
        _say(
            gather,
            "If you are returning a call from us, please stay on the line and a collection employee will help you. "
            "Otherwise, enter the nine digit Social Security number or Employer Identification number "
            "of the taxpayer you are calling about.",
        )
    return gather


def tin_accepted(urls: AcsUrls) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, "Thank you. We found the account.")
    response.redirect(urls.queue, method="POST")
    return response


def tin_given_up(urls: AcsUrls) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, "We still could not match that number. A collection employee will help you.")
    response.redirect(urls.queue, method="POST")
    return response


#: Query marking the hold and queue-result webhooks of a `private` caller (whoever answered a taxpayer's number).
PRIVATE_QUERY = "audience=taxpayer"


def enqueue(queue_name: str, urls: AcsUrls, office: str | None = None) -> VoiceResponse:
    """Join the queue. With `office` (the limited-content office name) the caller is private: no tax words on hold."""
    response = VoiceResponse()
    wait, action = urls.wait, urls.queue_result
    if office is None:
        _say(response, "Please hold for the next available collection employee.")
    else:
        _say(response, f"Please hold for the next available person at {office}.")
        wait, action = f"{wait}?{PRIVATE_QUERY}", f"{action}?{PRIVATE_QUERY}"
    response.enqueue(queue_name, wait_url=wait, wait_url_method="POST", action=action, method="POST")
    return response


def estimated_wait_minutes(position: int, average_wait_seconds: int, queue_size: int) -> int:
    """Average wait of the callers now holding, scaled by where this caller stands among them."""
    if average_wait_seconds <= 0 or position <= 0:
        return 0
    return max(1, math.ceil(average_wait_seconds * position / max(queue_size, position) / 60))


def hold_message(
    position: int, wait_minutes: int, hold_music_url: str | None, office: str | None = None
) -> VoiceResponse:
    """What a queued caller hears on each waitUrl loop; a private caller (`office` given) hears no tax words."""
    response = VoiceResponse()
    if position > 0:
        ordinal = "the next caller" if position == 1 else f"caller number {position}"
        _say(response, f"You are {ordinal} in line.")
    if wait_minutes > 0:
        unit = "minute" if wait_minutes == 1 else "minutes"
        _say(response, f"Your estimated wait is about {wait_minutes} {unit}.")
    elif office is None:
        _say(response, "A collection employee will be with you shortly.")
    else:
        _say(response, f"Someone from {office} will be with you shortly.")
    if hold_music_url:
        response.play(hold_music_url)
    else:
        response.pause(length=HOLD_PAUSE_SECONDS)
    return response


def queue_left(result: str, office: str | None = None) -> VoiceResponse:
    """After the caller leaves the queue: bridged calls are over; a queue that failed them gets an apology."""
    response = VoiceResponse()
    someone = "no collection employee" if office is None else f"no one at {office}"
    if result not in ("bridged", "hangup", "redirected", "redirected-from-bridged"):
        _say(response, f"We are sorry, {someone} can take your call now. Please call again later. Goodbye.")
    response.hangup()
    return response


def connect_caller(private: bool = False) -> VoiceResponse:
    """Played to the caller just before the bridge (the Queue noun's url); a private caller hears no tax words."""
    response = VoiceResponse()
    _say(response, "You are now being connected" + ("." if private else " to a collection employee."))
    return response


def agent_dial(queue_name: str, connect_url: str) -> VoiceResponse:
    """The employee's leg: take the longest-waiting caller from the queue."""
    response = VoiceResponse()
    _say(response, "Connecting you to the next caller.")
    dial = Dial()
    dial.queue(queue_name, url=connect_url, method="POST")
    response.append(dial)
    _say(response, "The call has ended.")
    response.hangup()
    return response


def taxpayer_message(wording: LimitedContent, callback_numbers: Sequence[str]) -> str:
    """The limited-content message (12 CFR 1006.2(j)) for a taxpayer: names and numbers, no CRN, no tax words."""
    return wording.render([_spoken_phone(n) for n in callback_numbers])


def contact_message(crn: str, callback_numbers: Sequence[str], for_practitioner: bool) -> str:
    """The message left for a contact: office, CRN digit by digit, callback numbers — no tax information."""
    numbers = " or ".join(_spoken_phone(n) for n in callback_numbers)
    purpose = "about a client's account" if for_practitioner else "about an important matter"
    return (
        f"This is {OFFICE} calling {purpose}. Your case reference number is {spoken_crn(crn)}. "
        f"Again, your case reference number is {spoken_crn(crn)}. "
        f"Please call us back at {numbers}, and have the case reference number ready."
    )


CONNECT_OPTION = "1"
STOP_OPTION = "9"


def outbound_to_person(message: str, press_url: str, for_practitioner: bool = True) -> VoiceResponse:
    """A person answered: the message, press 1 to reach an employee now, press 9 to stop calls to this number."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, timeout=5, action=press_url, method="POST")
    _say(gather, message)
    someone = "a collection employee" if for_practitioner else "someone"  # a third party may have answered
    _say(gather, f"To speak with {someone} now, press {CONNECT_OPTION}.")
    _say(gather, f"To stop calls to this number, press {STOP_OPTION}.")
    response.append(gather)
    _say(response, "Thank you. Goodbye.")
    response.hangup()
    return response


def outbound_to_machine(message: str) -> VoiceResponse:
    """Voicemail: Twilio runs this after the beep (DetectMessageEnd), so the whole message is recorded."""
    response = VoiceResponse()
    _say(response, message)
    _say(response, "Thank you. Goodbye.")
    response.hangup()
    return response


def outbound_connect(queue_url: str, for_practitioner: bool = True) -> VoiceResponse:
    """The callee pressed 1: join the inbound line's queue (its /voice/acs/queue flow) with the case attached.

    Whoever answered a taxpayer's number may be someone else: they hear no word of collection before an employee.
    """
    response = VoiceResponse()
    _say(response, f"Please hold while we connect you{' to a collection employee' if for_practitioner else ''}.")
    response.redirect(queue_url, method="POST")
    return response


def calls_stopped() -> VoiceResponse:
    """The callee pressed 9: confirm, and hang up."""
    return hang_up("This number will not be called again. Goodbye.")


def hang_up(text: str | None = None) -> VoiceResponse:
    response = VoiceResponse()
    if text:
        _say(response, text)
    response.hangup()
    return response


def _spoken_phone(e164: str) -> str:
    digits = e164.removeprefix("+1") if e164.startswith("+1") else e164.lstrip("+")
    if len(digits) == 10:
        return f"{' '.join(digits[:3])}, {' '.join(digits[3:6])}, {' '.join(digits[6:])}"
    return " ".join(digits)


def apology_and_hangup() -> VoiceResponse:
    return hang_up("We are sorry, we cannot take your call right now. Please call again later. Goodbye.")


# --- the floor: connect at answer, the abandonment message, the employee's phone leg -----------------------------
FLOOR_QUEUE = "acs-outbound"


@dataclass(frozen=True)
class FloorUrls:
    """Absolute URLs of the floor's webhooks (ivr/voice/floor.py)."""

    agent: str
    agent_next: str
    connect: str
    wait: str
    left: str
    inbound_connect: str


def live_answer_enqueue(urls: FloorUrls, queue: str = FLOOR_QUEUE) -> VoiceResponse:
    """A person answered: straight into the outbound queue, where a ready employee's leg is already waiting (a
    preview call: the queue of the employee who clicked Call now)."""
    response = VoiceResponse()
    response.enqueue(queue, wait_url=urls.wait, wait_url_method="POST", action=urls.left, method="POST")
    return response


def live_answer_wait(queue_seconds: int) -> VoiceResponse:
    """The waitUrl: one silent second for an employee coming free, then leave (the action plays the message)."""
    response = VoiceResponse()
    if queue_seconds < 1:
        response.pause(length=1)
    else:
        response.leave()
    return response


def abandonment_message(callback_numbers: Sequence[str], crn: str | None, office: str = OFFICE) -> VoiceResponse:
    """Nobody could take a live answer within 2 s: name the office, a callback number (and the CRN), hang up.

    For a taxpayer, `office` is the limited-content name (a third party may have answered) and `crn` is None.
    """
    response = VoiceResponse()
    text = f"This is {office}. Please call us back at {_spoken_phone(callback_numbers[0])}."
    if crn:
        text += f" Your case reference number is {spoken_crn(crn)}."
    _say(response, text)
    response.hangup()
    return response


def outbound_to_machine_listening(message: str, press_url: str) -> VoiceResponse:
    """Voicemail that still listens: a key pressed during it means a person was taken for a machine."""
    response = VoiceResponse()
    gather = Gather(input="dtmf", num_digits=1, timeout=1, action=press_url, method="POST")
    _say(gather, message)
    response.append(gather)
    _say(response, "Thank you. Goodbye.")
    response.hangup()
    return response


def employee_waits(
    urls: FloorUrls, inbound_queue: str | None, renew_seconds: int, own_queue: str | None = None
) -> VoiceResponse:
    """The employee's phone leg waits for the next caller: inbound callers first, else the outbound queue (in
    preview mode `own_queue`, the employee's own, where only the calls they ask for arrive)."""
    response = VoiceResponse()
    action = urls.agent_next + "?after=inbound" if inbound_queue else urls.agent_next  # see floor_agent_next
    dial = Dial(action=action, method="POST", timeout=renew_seconds)
    if inbound_queue:
        dial.queue(inbound_queue, url=urls.inbound_connect, method="POST")
    else:
        dial.queue(own_queue or FLOOR_QUEUE, url=urls.connect, method="POST")
    response.append(dial)
    return response


def employee_wraps_up(urls: FloorUrls, seconds: int) -> VoiceResponse:
    """After a call: wrap-up (a click on Ready redirects the leg sooner), then wait for the next caller."""
    response = VoiceResponse()
    response.pause(length=max(1, seconds))
    response.redirect(urls.agent, method="POST")
    return response


@lru_cache(maxsize=512)  # preview mode adds one leg document per employee (their own queue)
def rendered(document, *args) -> str:
    """A TwiML document that depends only on its (few, hashable) arguments, rendered once: the floor's legs and
    the status callbacks ask for the same handful again and again."""
    return str(document(*args))


def empty() -> str:
    """`<Response />`, what a status callback answers."""
    return rendered(VoiceResponse)
