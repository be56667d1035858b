"""What a party says: recognised by a `<Gather input="speech">` (SpeechResult, Confidence), else offered to
whoever listens (`leg.speech_listener`, e.g. a `<Record>`), else lost like words nobody hears.

Semantics from https://www.twilio.com/docs/voice/twiml/gather: speech ends the prompts (barge-in), recognition
ends `speechTimeout` seconds after the caller stops talking ("auto": at the first pause), and the action gets
`SpeechResult` and `Confidence`; `partialResultCallback` receives `UnstableSpeechResult`, `Stability` and
`SequenceNumber` while the caller is still talking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator import interpreter

if TYPE_CHECKING:
    from emulator.legs import Leg
    from emulator.parties import Speak

#: Silence that ends recognition with speechTimeout="auto".
AUTO_END_SECONDS = 0.5


def end_silence(state: interpreter.GatherState) -> float:
    value = (state.verb.get("speechTimeout") or "").strip()
    if value.isdigit() and value.isascii():
        return float(value)
    return AUTO_END_SECONDS if value == "auto" else state.timeout


def spoken(leg: Leg, speech: Speak) -> None:
    leg.spoken.append(speech.text)
    state = leg.gather
    if state is not None and not state.done and state.accepts_speech:
        leg.note("speech", speech.text, seconds=speech.seconds)
        state.speaking = True
        leg.cancel()  # barge-in: prompts and the no-input timeout stop
        if leg.frames and leg.frames[-1].kind == "gather":
            leg.frames.pop()
        partial_url = leg.resolve(state.verb.get("partialResultCallback"), state.doc_url)
        if partial_url:
            leg.after(speech.seconds / 2, _partial, leg, state, speech, partial_url)
        leg.after(speech.seconds + end_silence(state), _recognised, leg, state, speech)
        return
    if leg.speech_listener is not None:
        leg.note("speech", speech.text, seconds=speech.seconds)
        leg.speech_listener(speech)
        return
    leg.note("speech", f"{speech.text} (nobody listening)", seconds=speech.seconds)


def _partial(leg: Leg, state: interpreter.GatherState, speech: Speak, url: str) -> None:
    words = speech.text.split()
    state.partials += 1
    params = leg.params(
        UnstableSpeechResult=" ".join(words[: max(1, len(words) // 2)]),
        Stability="0.5",
        SequenceNumber=state.partials - 1,
    )
    leg.request(url, state.verb.get("partialResultCallbackMethod", "POST"), params, "partial-result")


def _recognised(leg: Leg, state: interpreter.GatherState, speech: Speak) -> None:
    if state.done:
        return
    state.speech = speech.text
    state.confidence = speech.confidence
    interpreter.submit(leg, state, finished_on_key="")
