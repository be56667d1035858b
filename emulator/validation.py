"""TwiML schema checks: what Twilio would warn about before running a verb, with its error codes.

Twilio validates each document against its TwiML schema: an unknown attribute or element is warning 12200
(https://www.twilio.com/docs/api/errors/12200, message "Attribute 'x' is not allowed to appear in element
'Dial'"), and a bad attribute value is a verb-specific 13xxx/14xxx warning (e.g. 13510 "Say: Invalid loop value",
https://www.twilio.com/docs/api/errors/13510) after which the attribute's default applies. `check` returns those
warnings; it never raises, whatever the document holds, so the interpreter can note them and carry on.
"""

from __future__ import annotations

import re

from emulator.twiml import SSML_TAGS, Verb

_METHOD = frozenset({"GET", "POST"})
_BOOL = frozenset({"true", "false"})
_INT = re.compile(r"^\d+$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_KEYS = re.compile(r"^[0-9#*]?$")
_DIGITS = re.compile(r"^[0-9#*wW]*$")
_NUMBER_TEXT = re.compile(r"^\+?[0-9*#()\-. ]{1,30}$")
_SPEECH_TIMEOUT = re.compile(r"^(auto|\d+)$")
#: ringTone values: the ringback of a country (https://www.twilio.com/docs/voice/twiml/dial#ringtone).
_RING_TONES = frozenset(
    {
        "at",
        "au",
        "bg",
        "br",
        "be",
        "ch",
        "cl",
        "cn",
        "cz",
        "de",
        "dk",
        "ee",
        "es",
        "fi",
        "fr",
        "gr",
        "hu",
        "il",
        "in",
        "it",
        "lt",
        "jp",
        "mx",
        "my",
        "nl",
        "no",
        "nz",
        "ph",
        "pl",
        "pt",
        "ru",
        "se",
        "sg",
        "th",
        "uk",
        "us",
        "us-old",
        "tw",
        "ve",
        "za",
    }
)
_RECORD = frozenset(
    {
        "do-not-record",
        "record-from-answer",
        "record-from-ringing",
        "record-from-answer-dual",
        "record-from-ringing-dual",
        "true",
        "false",
    }
)
_INPUT = frozenset({"dtmf", "speech", "dtmf speech", "speech dtmf"})

#: Attributes each element accepts (Twilio's TwiML reference pages, one per verb and noun).
ATTRIBUTES: dict[str, frozenset[str]] = {
    "Say": frozenset({"voice", "language", "loop"}),
    "Play": frozenset({"loop", "digits"}),
    "Pause": frozenset({"length"}),
    "Gather": frozenset(
        {
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "numDigits",
            "input",
            "speechTimeout",
            "language",
            "hints",
            "profanityFilter",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "speechModel",
            "enhanced",
            "actionOnEmptyResult",
            "bargeIn",
            "debug",
            "dtmfDetection",
            "maxSpeechTime",
        }
    ),
    "Redirect": frozenset({"method"}),
    "Hangup": frozenset(),
    "Reject": frozenset({"reason"}),
    "Leave": frozenset(),
    "Enqueue": frozenset({"action", "method", "waitUrl", "waitUrlMethod", "workflowSid", "maxQueueSize"}),
    "Dial": frozenset(
        {
            "action",
            "method",
            "timeout",
            "hangupOnStar",
            "timeLimit",
            "callerId",
            "record",
            "trim",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "recordingStatusCallbackEvent",
            "answerOnBridge",
            "ringTone",
            "recordingTrack",
            "sequential",
            "referUrl",
            "referMethod",
            "events",
        }
    ),
    "Number": frozenset(
        {
            "sendDigits",
            "url",
            "method",
            "statusCallbackEvent",
            "statusCallback",
            "statusCallbackMethod",
            "byoc",
            "machineDetection",
            "amdStatusCallbackMethod",
            "amdStatusCallback",
            "machineDetectionTimeout",
            "machineDetectionSpeechThreshold",
            "machineDetectionSpeechEndThreshold",
            "machineDetectionSilenceTimeout",
        }
    ),
    "Queue": frozenset({"url", "method", "reservationSid", "postWorkActivitySid"}),
    "Record": frozenset(
        {
            "action",
            "method",
            "timeout",
            "finishOnKey",
            "maxLength",
            "playBeep",
            "trim",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "recordingStatusCallbackEvent",
            "transcribe",
            "transcribeCallback",
            "storageUrl",
            "storageUrlMethod",
        }
    ),
}

#: Elements that may be nested in each verb; anything else is 12200 (13320 in Gather, 13215 in Dial).
CHILDREN: dict[str, frozenset[str]] = {
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Dial": frozenset({"Number", "Queue", "Client", "Conference", "Sip", "Sim", "Application", "WhatsApp"}),
    "Enqueue": frozenset({"Task"}),
    "Say": SSML_TAGS,
}
_NESTED_CODE = {"Gather": 13320, "Dial": 13215}

#: (element, attribute) -> (code, valid value test); Gather-nested Say/Play use their own codes.
_VALUES: dict[tuple[str, str], tuple[int, object]] = {
    ("Say", "loop"): (13510, _INT),
    ("Gather>Say", "loop"): (13322, _INT),
    ("Play", "loop"): (13410, _INT),
    ("Gather>Play", "loop"): (13410, _INT),
    ("Play", "digits"): (13410, _DIGITS),
    ("Pause", "length"): (13910, _INT),
    ("Gather>Pause", "length"): (13910, _INT),
    ("Gather", "finishOnKey"): (13310, _KEYS),
    ("Gather", "method"): (13312, _METHOD),
    ("Gather", "timeout"): (13313, _INT),
    ("Gather", "numDigits"): (13314, _INT),
    ("Gather", "input"): (13326, _INPUT),
    ("Gather", "speechTimeout"): (13327, _SPEECH_TIMEOUT),
    ("Gather", "actionOnEmptyResult"): (12200, _BOOL),
    ("Redirect", "method"): (13710, _METHOD),
    ("Dial", "method"): (13210, _METHOD),
    ("Dial", "timeout"): (13212, _INT),
    ("Dial", "hangupOnStar"): (13213, _BOOL),
    ("Dial", "timeLimit"): (13216, _INT),
    ("Dial", "record"): (13217, _RECORD),
    ("Dial", "answerOnBridge"): (12200, _BOOL),
    ("Dial", "ringTone"): (12200, _RING_TONES),
    ("Number", "method"): (13221, _METHOD),
    ("Number", "sendDigits"): (13222, _DIGITS),
    ("Enqueue", "method"): (14201, _METHOD),
    ("Enqueue", "waitUrlMethod"): (14206, _METHOD),
    ("Queue", "method"): (14210, _METHOD),
    ("Record", "method"): (13610, _METHOD),
    ("Record", "timeout"): (13611, _INT),
    ("Record", "maxLength"): (13612, _INT),
    ("Record", "finishOnKey"): (13613, re.compile(r"^[0-9#*]*$")),
    ("Record", "transcribe"): (13614, _BOOL),
    ("Record", "playBeep"): (13616, _BOOL),
    ("Reject", "reason"): (12200, frozenset({"rejected", "busy"})),
}

Warning = tuple[int, str]


def _valid(test: object, value: str) -> bool:
    if isinstance(test, frozenset):
        return value in test or value.upper() in test
    return bool(test.match(value))  # type: ignore[attr-defined]


def _check_element(verb: Verb, context: str) -> list[Warning]:
    warnings: list[Warning] = []
    allowed = ATTRIBUTES.get(verb.name)
    if allowed is not None:
        for name, value in verb.attrs.items():
            if name not in allowed:
                warnings.append((12200, f"Attribute '{name}' is not allowed to appear in element '{verb.name}'"))
                continue
            rule = _VALUES.get((context, name)) or _VALUES.get((verb.name, name))
            if rule is not None and not _valid(rule[1], value.strip()):
                warnings.append((rule[0], f"{context.replace('>', '->')}: Invalid {name} value {value!r}"))
    return warnings


def check(verb: Verb, parent: str | None = None) -> list[Warning]:
    """Warnings for `verb` (run inside `parent`, e.g. a Gather) and its nesting; empty when Twilio accepts it.

    A Gather's nested Say/Play/Pause are checked when they run, with `parent="Gather"` (13322, not 13510).
    """
    warnings = _check_element(verb, f"{parent}>{verb.name}" if parent else verb.name)
    allowed_children = CHILDREN.get(verb.name)
    for child in verb.children:
        if allowed_children is None or child.name not in allowed_children:
            code = _NESTED_CODE.get(verb.name, 12200)
            warnings.append((code, f"Element '{child.name}' is not allowed to appear in element '{verb.name}'"))
            continue
        if verb.name not in ("Say", "Gather"):
            warnings.extend(_check_element(child, f"{verb.name}>{child.name}"))
    if verb.name == "Dial":
        for noun in verb.children:
            if noun.name == "Number" and not _NUMBER_TEXT.match(noun.text):
                warnings.append((13223, f"Dial: Invalid phone number format {noun.text!r}"))
    return warnings
