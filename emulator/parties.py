"""The people and machines at the far end of a leg: small strategy classes, one per behaviour.

A party is asked how it answers (`ring`), what answering-machine detection would conclude (`detect`) and how
it reacts to what it hears (`on_heard`), to being connected, queued or bridged. Reactions are returned as
actions (`Press`, `HangUp`) that the leg schedules on the engine clock, so a party never touches time itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.legs import Leg

#: Seconds of "Hello?" plus the end-of-speech threshold before AMD says human.
HUMAN_DETECTION_SECONDS = 2.5
#: Seconds of continuous greeting before AMD (MachineDetection=Enable) says machine_start.
MACHINE_START_SECONDS = 3.0
BEEP_SECONDS = 0.5
#: Silence after a beep-less greeting before DetectMessageEnd gives up with machine_end_silence.
END_SILENCE_SECONDS = 5.0


@dataclass
class Press:
    digits: str
    after: float = 0.0


@dataclass
class HangUp:
    after: float = 0.0


@dataclass
class Speak:
    """The party talks: `text` for `seconds`, `after` seconds from now (heard by a speech Gather or a Record)."""

    text: str
    seconds: float = 2.0
    after: float = 0.0
    confidence: float = 0.9


@dataclass
class Answer:
    after: float


@dataclass
class Busy:
    after: float = 3.0


@dataclass
class NoAnswer:
    """Rings until the caller's timeout."""


@dataclass
class Fail:
    after: float = 1.0


@dataclass
class KeyRule:
    """Press `digits` `after` seconds once a prompt containing `heard` (case-insensitive) has been spoken."""

    heard: str
    digits: str
    after: float = 0.5
    times: int = 1


@dataclass
class SpeechRule:
    """Say `text` for `seconds`, `after` seconds once a prompt containing `heard` (case-insensitive) was spoken."""

    heard: str
    text: str
    seconds: float = 2.0
    after: float = 0.5
    times: int = 1
    confidence: float = 0.9


class Party:
    """Listens, optionally presses keys or speaks on cue, optionally hangs up on a timer."""

    ring_seconds = 4.0

    def __init__(
        self,
        name: str | None = None,
        press: list[KeyRule] | tuple = (),
        press_after: list[tuple[float, str]] | tuple = (),
        hangup_after: float | None = None,
        hangup_after_in_queue: float | None = None,
        ring_seconds: float | None = None,
        say: list[SpeechRule] | tuple = (),
        say_after: list[Speak] | tuple = (),
    ) -> None:
        self.name = name
        self.rules = list(press)
        self.press_after = list(press_after)
        self.speech_rules = list(say)
        self.say_after = list(say_after)
        self.messages_received: list[str] = []  # bodies of the SMS delivered to this party
        self.digits_received: list[str] = []  # SendDigits of calls.create, as this party heard them
        self.hangup_after = hangup_after
        self.hangup_after_in_queue = hangup_after_in_queue
        if ring_seconds is not None:
            self.ring_seconds = ring_seconds
        self._fired: dict[tuple[str, int], int] = defaultdict(int)

    # -- as a callee -------------------------------------------------------------------------------------
    def rejects_at_api(self) -> bool:
        """True when the number is so invalid that the REST API refuses the call (21211)."""
        return False

    def ring(self) -> Answer | Busy | NoAnswer | Fail:
        return Answer(self.ring_seconds)

    def detect(self, mode: str) -> tuple[str, float]:
        """Return (AnsweredBy, seconds after answer) for MachineDetection `mode`."""
        return "human", HUMAN_DETECTION_SECONDS

    # -- reactions ---------------------------------------------------------------------------------------
    def on_connected(self, leg: Leg) -> list:
        actions: list = [Press(digits, after) for after, digits in self.press_after]
        actions += self.say_after
        if self.hangup_after is not None:
            actions.append(HangUp(self.hangup_after))
        return actions

    def on_heard(self, leg: Leg, kind: str, text: str, seconds: float) -> list:
        """React to a Say (text) or Play (URL) that lasts `seconds`."""
        actions = []
        lowered = text.lower()
        for i, rule in enumerate(self.rules):
            key = (leg.sid, i)
            if rule.heard.lower() in lowered and self._fired[key] < rule.times:
                self._fired[key] += 1
                actions.append(Press(rule.digits, seconds + rule.after))
        for i, speech in enumerate(self.speech_rules):
            key = (leg.sid, -1 - i)
            if speech.heard.lower() in lowered and self._fired[key] < speech.times:
                self._fired[key] += 1
                actions.append(Speak(speech.text, speech.seconds, seconds + speech.after, speech.confidence))
        return actions

    def on_enqueued(self, leg: Leg) -> list:
        return [] if self.hangup_after_in_queue is None else [HangUp(self.hangup_after_in_queue)]

    def on_bridged(self, leg: Leg, other: Leg) -> list:
        return []

    def describe(self) -> str:
        return type(self).__name__


class Human(Party):
    """A person who answers after a few rings and listens."""


class Caller(Party):
    """The script of an inbound caller: silent unless given key rules, hangs up on its timers."""


class Employee(Party):
    """A collection employee's phone: answers quickly, talks `talk_seconds` once bridged, then hangs up."""

    ring_seconds = 2.0

    def __init__(self, name: str | None = None, talk_seconds: float = 60.0, **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.talk_seconds = talk_seconds

    def on_bridged(self, leg: Leg, other: Leg) -> list:
        return [HangUp(self.talk_seconds)]


class AnsweringMachine(Party):
    """Voicemail: a greeting of `greeting_seconds`, then a beep; records whatever is said after the beep."""

    ring_seconds = 15.0

    def __init__(
        self,
        name: str | None = None,
        greeting_seconds: float = 10.0,
        beep: bool = True,
        max_message_seconds: float = 120.0,
        **kwargs,
    ) -> None:
        super().__init__(name, **kwargs)
        self.greeting_seconds = greeting_seconds
        self.beep = beep
        self.max_message_seconds = max_message_seconds

    def beep_at(self) -> float:
        """Seconds after answer at which recording starts."""
        return self.greeting_seconds + (BEEP_SECONDS if self.beep else 0.0)

    def detect(self, mode: str) -> tuple[str, float]:
        if mode == "DetectMessageEnd":
            if self.beep:
                return "machine_end_beep", self.beep_at()
            return "machine_end_silence", self.greeting_seconds + END_SILENCE_SECONDS
        return "machine_start", min(MACHINE_START_SECONDS, self.greeting_seconds)

    def on_connected(self, leg: Leg) -> list:
        leg.note("machine", f"greeting plays for {self.greeting_seconds:g}s")
        leg.engine.schedule(self.beep_at(), leg.note, "machine", "beep" if self.beep else "recording starts")
        return [HangUp(self.beep_at() + self.max_message_seconds)]

    def on_heard(self, leg: Leg, kind: str, text: str, seconds: float) -> list:
        into = leg.engine.now() - (leg.answered_at or 0.0)
        if into + seconds > self.beep_at():
            partial = into < self.beep_at()
            leg.recorded.append(text)
            leg.note("recorded", text, partial=partial)
        return []


class Fax(Party):
    def detect(self, mode: str) -> tuple[str, float]:
        return "fax", MACHINE_START_SECONDS


class BusyLine(Party):
    def ring(self) -> Busy:
        return Busy()


class NoAnswerLine(Party):
    def ring(self) -> NoAnswer:
        return NoAnswer()


class InvalidNumber(Party):
    """A number that does not exist: refused by the REST API (21211), or failing once dialled."""

    def __init__(self, name: str | None = None, at_api: bool = True, **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.at_api = at_api

    def rejects_at_api(self) -> bool:
        return self.at_api

    def ring(self) -> Fail:
        return Fail()


PROFILES: dict[str, type[Party]] = {
    "human": Human,
    "caller": Caller,
    "employee": Employee,
    "machine": AnsweringMachine,
    "answering_machine": AnsweringMachine,
    "fax": Fax,
    "busy": BusyLine,
    "no_answer": NoAnswerLine,
    "no-answer": NoAnswerLine,
    "invalid": InvalidNumber,
}


def make_party(spec: dict) -> Party:
    """Build a party from a scenario mapping like `{type: human, hangup_after: 30, press: [...]}`."""
    spec = dict(spec)
    cls = PROFILES[spec.pop("type", "human")]
    rules = [
        KeyRule(r["heard"], str(r["digits"]), float(r.get("after", 0.5)), int(r.get("times", 1)))
        for r in spec.pop("press", [])
    ]
    press_after = [(float(p["after"]), str(p["digits"])) for p in spec.pop("press_after", [])]
    say = [
        SpeechRule(
            r["heard"],
            str(r["text"]),
            float(r.get("seconds", 2.0)),
            float(r.get("after", 0.5)),
            int(r.get("times", 1)),
            float(r.get("confidence", 0.9)),
        )
        for r in spec.pop("say", [])
    ]
    say_after = [
        Speak(str(r["text"]), float(r.get("seconds", 2.0)), float(r.get("after", 0.0)), float(r.get("confidence", 0.9)))
        for r in spec.pop("say_after", [])
    ]
    return cls(press=rules, press_after=press_after, say=say, say_after=say_after, **spec)
