"""Audio for recordings: what the scripted party "said", as 8 kHz mono 16-bit WAV (and MP3).

Twilio's recordings are 8 kHz mono PCM WAV (`.wav`, the default) or MP3 (`.mp3`). The emulator has no voice, so a
spoken segment becomes one short tone burst per word (pitch derived from the word, so the same script gives the
same bytes) and everything else is silence: the duration and the speech/silence layout are right, the words are not.
MP3 is encoded with `lameenc` (LAME) when it is installed; without it the `.mp3` is silent MPEG frames of the
same duration (a documented limitation).
"""

from __future__ import annotations

import io
import math
import re
import wave
import zlib
from array import array

SAMPLE_RATE = 8000
AMPLITUDE = 6000
#: A word lasts its share of the segment; this fraction of it is tone, the rest a gap.
TONE_FRACTION = 0.75


def pcm(duration: float, segments: list[tuple[float, float, str]]) -> bytes:
    """16-bit little-endian samples for `duration` seconds with `segments` of (offset, seconds, text) spoken."""
    total = max(0, int(round(duration * SAMPLE_RATE)))
    samples = array("h", bytes(2 * total))
    for offset, seconds, text in segments:
        words = re.findall(r"\w+", text) or ["..."]
        per_word = seconds / len(words)
        for i, word in enumerate(words):
            start = int((offset + i * per_word) * SAMPLE_RATE)
            length = int(per_word * TONE_FRACTION * SAMPLE_RATE)
            freq = 140 + zlib.crc32(word.lower().encode()) % 160  # a voice-like 140-300 Hz
            step = 2 * math.pi * freq / SAMPLE_RATE
            for n in range(max(0, start), min(total, start + length)):
                k = n - start
                envelope = min(1.0, k / 80, (length - k) / 80)  # 10 ms ramps: no clicks
                samples[n] = int(AMPLITUDE * envelope * math.sin(step * k))
    return samples.tobytes()


def wav(duration: float, segments: list[tuple[float, float, str]]) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm(duration, segments))
    return buffer.getvalue()


def mp3(duration: float, segments: list[tuple[float, float, str]]) -> bytes:
    try:
        import lameenc
    except ImportError:
        return silent_mp3(duration)
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(32)
    encoder.set_in_sample_rate(SAMPLE_RATE)
    encoder.set_channels(1)
    encoder.set_quality(7)
    return bytes(encoder.encode(pcm(duration, segments)) + encoder.flush())


def silent_mp3(duration: float) -> bytes:
    """MPEG-2 Layer III, 8 kHz mono, 8 kbit/s frames whose side info is all zero: valid, silent, right length."""
    frame_samples = 576  # MPEG-2 and 2.5 Layer III
    header = bytes([0xFF, 0xE3, 0x18, 0xC0])  # sync + MPEG-2.5 + Layer III + no CRC; 8 kbit/s, 8 kHz; mono
    frame_length = 72 * 8000 // SAMPLE_RATE  # 72 * bitrate / sample rate
    frames = max(1, math.ceil(duration * SAMPLE_RATE / frame_samples))
    return (header + bytes(frame_length - len(header))) * frames
