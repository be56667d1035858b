"""<Record>, call recordings and the Recordings REST resource, with media the emulator serves."""

from __future__ import annotations

import io
import wave

import pytest
from twilio.base.exceptions import TwilioRestException

from emulator import Caller, Human
from emulator.parties import Speak, SpeechRule

NUMBER = "+18005550100"
PROMPT = "<Say>Leave a message after the tone</Say>"


def voicemail(emu, webapp, record: str, party, after: str = "<Response><Say>Thanks</Say></Response>"):
    webapp.docs["/voice"] = f"<Response>{PROMPT}{record}<Say>Nothing recorded</Say></Response>"
    webapp.docs["/saved"] = after
    emu.add_number(NUMBER, "https://app.test/voice")
    leg = emu.dial_in("+12025550001", NUMBER, party)
    emu.run()
    return leg


def talker(text="I owe nothing, call me back", seconds=6.0, **kwargs):
    return Caller("caller", say=[SpeechRule("beep", text, seconds, after=0.5)], **kwargs)


def test_action_gets_the_recording_parameters_after_the_silence_timeout(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-action: RecordingUrl, RecordingSid,
    RecordingDuration; the recording ends after `timeout` seconds of silence; trim-silence by default."""
    leg = voicemail(emu, webapp, "<Record action='/saved' timeout='3'/>", talker())
    params = webapp.to("/saved")[0]
    assert params["RecordingDuration"] == "6"
    assert params["RecordingSid"].startswith("RE") and "Digits" not in params
    assert (
        params["RecordingUrl"]
        == f"https://api.twilio.com/2010-04-01/Accounts/{emu.account_sid}/Recordings/{params['RecordingSid']}"
    )
    assert leg.heard == ["Leave a message after the tone", "beep", "Thanks"]
    speech = [e for e in emu.transcript.for_leg("caller") if e.kind == "speech"]
    assert speech[0].text == "I owe nothing, call me back"


def test_finish_on_key_ends_the_recording_and_is_reported_as_digits(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-finishonkey: Digits is the key pressed."""
    party = talker(press_after=[(60, "#")])
    voicemail(emu, webapp, "<Record action='/saved' timeout='0' finishOnKey='#'/>", party)
    params = webapp.to("/saved")[0]
    assert params["Digits"] == "#"
    assert params["RecordingDuration"] == "6"  # trimmed to the speech


def test_do_not_trim_keeps_the_silence_and_max_length_caps_it(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-trim and #attributes-maxlength."""
    voicemail(emu, webapp, "<Record action='/saved' timeout='0' maxLength='20' trim='do-not-trim'/>", talker())
    assert webapp.to("/saved")[0]["RecordingDuration"] == "20"


def test_hangup_during_the_recording_posts_digits_hangup_and_ignores_the_twiml(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-action: Digits is "hangup" when the caller
    hung up; the action is still requested."""
    leg = voicemail(emu, webapp, "<Record action='/saved' timeout='30'/>", talker(hangup_after=12))
    params = webapp.to("/saved")[0]
    assert params["Digits"] == "hangup" and params["CallStatus"] == "completed"
    assert "Thanks" not in leg.heard


def test_an_empty_recording_requests_nothing_and_continues_with_the_next_verb(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record: an empty recording does not request the action URL."""
    leg = voicemail(emu, webapp, "<Record action='/saved' timeout='2'/>", Caller("caller"))
    assert webapp.to("/saved") == []
    assert leg.heard[-1] == "Nothing recorded"


def test_without_an_action_the_current_document_is_requested_again(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-action: default is the current document URL."""
    webapp.docs["/voice"] = lambda p: (
        "<Response><Hangup/></Response>"
        if "RecordingUrl" in p
        else (f"<Response>{PROMPT}<Record timeout='2'/></Response>")
    )
    emu.add_number(NUMBER, "https://app.test/voice")
    emu.dial_in("+12025550001", NUMBER, talker(seconds=3))
    emu.run()
    assert [("RecordingUrl" in p) for p in webapp.to("/voice")] == [False, True]


def test_play_beep_false_starts_at_once(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-playbeep."""
    party = Caller("caller", say=[SpeechRule("after the tone", "hello there", 2, after=0)])
    leg = voicemail(emu, webapp, "<Record action='/saved' playBeep='false' timeout='2'/>", party)
    assert "beep" not in leg.heard
    assert webapp.to("/saved")[0]["RecordingDuration"] == "2"


def test_status_and_transcription_callbacks(emu, webapp):
    """https://www.twilio.com/docs/voice/twiml/record#attributes-recording-status-callback and
    #attributes-transcribecallback: RecordingStatus; TranscriptionText/TranscriptionStatus."""
    doc = (
        "<Record action='/saved' timeout='2' recordingStatusCallback='/rec-status' "
        "recordingStatusCallbackEvent='in-progress completed' transcribeCallback='/transcribed'/>"
    )
    voicemail(emu, webapp, doc, talker())
    statuses = webapp.to("/rec-status")
    assert [s["RecordingStatus"] for s in statuses] == ["in-progress", "completed"]
    assert statuses[1]["RecordingDuration"] == "6" and statuses[1]["RecordingSource"] == "RecordVerb"
    transcription = webapp.to("/transcribed")[0]
    assert transcription["TranscriptionText"] == "I owe nothing, call me back"
    assert transcription["TranscriptionStatus"] == "completed"
    assert transcription["RecordingSid"] == statuses[1]["RecordingSid"]


def test_recordings_rest_list_fetch_media_and_delete(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/recording: list per account and per call, fetch, media
    (.wav default, .mp3), DELETE."""
    leg = voicemail(emu, webapp, "<Record action='/saved' timeout='2'/>", talker(seconds=4))
    [rec] = sdk.recordings.list()
    assert (rec.call_sid, rec.duration, rec.status, rec.source) == (leg.sid, "4", "completed", "RecordVerb")
    assert [r.sid for r in sdk.calls(leg.sid).recordings.list()] == [rec.sid]
    assert sdk.recordings(rec.sid).fetch().duration == "4"
    wav = sdk.http_client.request("GET", rec.media_url + ".wav")
    with wave.open(io.BytesIO(wav.content)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getnframes()) == (8000, 1, 32000)
    assert sdk.http_client.request("GET", rec.media_url).content == wav.content  # no extension: WAV
    mp3 = sdk.http_client.request("GET", rec.media_url + ".mp3")
    assert mp3.status_code == 200 and mp3.content[:2] in (b"\xff\xe3", b"\xff\xf3", b"ID")
    assert sdk.recordings(rec.sid).delete() is True
    assert sdk.recordings.list() == []
    with pytest.raises(TwilioRestException) as exc:
        sdk.recordings(rec.sid).fetch()
    assert exc.value.status == 404


def test_calls_create_record_true_records_the_whole_call(emu, webapp, sdk):
    """https://www.twilio.com/docs/voice/api/call-resource#create-a-call-resource: Record, RecordingStatusCallback."""
    webapp.docs["/answer"] = "<Response><Say>Please state your name</Say><Pause length='10'/></Response>"
    emu.assign("+12025550111", Human("callee", say_after=[Speak("Jane Doe speaking", 2, after=4)]))
    call = sdk.calls.create(
        to="+12025550111",
        from_=NUMBER,
        url="https://app.test/answer",
        record=True,
        recording_status_callback="https://app.test/rec-status",
    )
    emu.run()
    status = webapp.to("/rec-status")[0]
    assert status["RecordingSource"] == "OutboundAPI" and status["CallSid"] == call.sid
    [rec] = sdk.calls(call.sid).recordings.list()
    assert rec.source == "OutboundAPI" and int(rec.duration) >= 10
