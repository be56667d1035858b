"""TwiML parsing and the speech-timing model.

Parsing is strict the way Twilio is: a body that is not XML, or whose root is not `<Response>`, is a document
parse failure (Twilio error 12100) and the call ends with an application error. Unknown verbs are kept so the
interpreter can report them (12200) instead of silently skipping.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache

#: Words per second of text-to-speech; holds and ring timeouts are built on this.
WORDS_PER_SECOND = 2.5
#: Assumed length of one pass of an audio file we never download.
PLAY_SECONDS = 5.0
KNOWN_VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Redirect", "Hangup", "Reject", "Enqueue", "Dial", "Leave"})


class TwimlError(ValueError):
    """The document could not be used; `code` is the Twilio error code to report."""

    def __init__(self, message: str, code: int = 12100) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Verb:
    name: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Verb] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def number(self, name: str, default: float) -> float:
        """The attribute as a finite number ≥ 0, else `default` (validation reports the bad value)."""
        try:
            value = float(self.attrs.get(name, default))
        except (TypeError, ValueError):
            return default
        return value if math.isfinite(value) and value >= 0 else default

    def integer(self, name: str, default: int) -> int:
        """The attribute as a whole number ≥ 0 (e.g. loop), else `default`."""
        value = (self.attrs.get(name) or "").strip()
        return int(value) if value.isdigit() and value.isascii() else default


#: SSML elements allowed inside <Say> (https://www.twilio.com/docs/voice/twiml/say/text-speech#ssml-tags).
SSML_TAGS = frozenset(
    {
        "break",
        "emphasis",
        "lang",
        "p",
        "phoneme",
        "prosody",
        "s",
        "say-as",
        "sub",
        "w",
        "amazon:domain",
        "amazon:effect",
    }
)


def spoken_text(el: ET.Element) -> str:
    """What text-to-speech says for a <Say> and its SSML children: their text (a <sub> says its alias)."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "sub" and child.get("alias") is not None:
            parts.append(f" {child.get('alias')} ")
        elif child.tag == "break":
            parts.append(" ")  # a pause separates words
        else:
            parts.append(f" {spoken_text(child)} " if child.tag in ("p", "s") else spoken_text(child))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _verb(el: ET.Element) -> Verb:
    tag = el.tag if isinstance(el.tag, str) else "#comment"
    text = spoken_text(el) if tag == "Say" else " ".join((el.text or "").split())
    return Verb(tag, dict(el.attrib), text, [_verb(child) for child in el])


def parse(body: str | bytes) -> list[Verb]:
    """Return the verbs of a TwiML document; raise `TwimlError` for anything Twilio would refuse.

    Parsed once per distinct document (an app answers with the same few again and again): the `Verb`s are frozen
    and nothing changes their attributes or children, so legs can share them; each caller gets its own list."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    return list(_parse(body))


@lru_cache(maxsize=256)
def _parse(body: str) -> tuple[Verb, ...]:
    if not body.strip():
        raise TwimlError("empty document")
    try:
        root = ET.fromstring(body.strip())
    except ET.ParseError as exc:
        raise TwimlError(f"document is not XML: {exc}") from None
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, expected <Response>")
    return tuple(_verb(el) for el in root)


@lru_cache(maxsize=1024)
def say_seconds(text: str, loop: int = 1) -> float:
    """Seconds of speech for `text`; digits spelled one by one count as words (a pure function of the two: once
    per text, an app's prompts are a few)."""
    words = len(re.findall(r"\w+", text))
    # loop="0" repeats until the call moves on: bounded like Play's so the program still terminates.
    return max(0.5, words / WORDS_PER_SECOND) * (720 if loop == 0 else max(1, loop))


#: The longest a single verb may keep the line busy: Twilio's own cap on a call (4 hours).
MAX_VERB_SECONDS = 14400.0


def verb_seconds(verb: Verb) -> float:
    """How long a Say, Play or Pause keeps the line busy (bad attribute values fall back to defaults)."""
    return min(MAX_VERB_SECONDS, _verb_seconds(verb))


def _verb_seconds(verb: Verb) -> float:
    loop = verb.integer("loop", 1)
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
