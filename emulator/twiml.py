"""TwiML parsing and the speech-timing model.

Parsing is strict the way Twilio is: a body that is not XML, or whose root is not `<Response>`, is a document
parse failure (Twilio error 12100) and the call ends with an application error. Unknown verbs are kept so the
interpreter can report them (12200) instead of silently skipping.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

#: Words per second of text-to-speech; holds and ring timeouts are built on this.
WORDS_PER_SECOND = 2.5
#: Assumed length of one pass of an audio file we never download.
PLAY_SECONDS = 5.0
KNOWN_VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Reject", "Enqueue", "Dial", "Leave", "Record"}
)


class TwimlError(ValueError):
    """The document could not be used; `code` is the Twilio error code to report."""

    def __init__(self, message: str, code: int = 12100) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Verb:
    name: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Verb] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def number(self, name: str, default: float) -> float:
        try:
            return float(self.attrs.get(name, default))
        except (TypeError, ValueError):
            return default


def _verb(el: ET.Element) -> Verb:
    text = " ".join((el.text or "").split())
    return Verb(el.tag, dict(el.attrib), text, [_verb(child) for child in el])


def parse(body: str | bytes) -> list[Verb]:
    """Return the verbs of a TwiML document; raise `TwimlError` for anything Twilio would refuse."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not body.strip():
        raise TwimlError("empty document")
    try:
        root = ET.fromstring(body.strip())
    except ET.ParseError as exc:
        raise TwimlError(f"document is not XML: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, expected <Response>")
    return [_verb(el) for el in root]


def say_seconds(text: str, loop: int = 1) -> float:
    """Seconds of speech for `text`; digits spelled one by one count as words."""
    words = len(re.findall(r"\w+", text))
    return max(0.5, words / WORDS_PER_SECOND) * max(1, loop)


def verb_seconds(verb: Verb) -> float:
    """How long a Say, Play or Pause keeps the line busy."""
    loop = int(verb.number("loop", 1))
    if verb.name == "Say":
        return say_seconds(verb.text, loop)
    if verb.name == "Play":
        if verb.get("digits"):
            return 0.5 * len(verb.get("digits") or "")
        # loop="0" means "repeat forever": bounded at an hour so a stuck hold still terminates.
        return PLAY_SECONDS * (720 if loop == 0 else max(1, loop))
    if verb.name == "Pause":
        return verb.number("length", 1.0)
    return 0.0
