"""Outbound call progress: ringing, busy/no-answer/failed, status callbacks, answering-machine detection."""

from __future__ import annotations

from emulator import AnsweringMachine, BusyLine, Fax, Human, InvalidNumber, KeyRule, NoAnswerLine

TO, FROM = "+12025550111", "+18005550100"
ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def place(emu, sdk, **kwargs):
    kwargs.setdefault("url", "https://app.test/answer")
    kwargs.setdefault("status_callback", "https://app.test/status")
    call = sdk.calls.create(to=TO, from_=FROM, **kwargs)
    emu.run()
    return emu.leg(call.sid)


def test_status_callbacks_in_order_with_sequence_numbers(emu, sdk, webapp):
    # https://www.twilio.com/docs/voice/api/call-resource#statuscallbackevent
    webapp.docs["/answer"] = "<Response><Say>one two three four five</Say></Response>"
    emu.assign(TO, Human(ring_seconds=6))
    leg = place(emu, sdk, status_callback_event=ALL_EVENTS)
    callbacks = webapp.to("/status")
    assert [c["CallStatus"] for c in callbacks] == ["initiated", "ringing", "in-progress", "completed"]
    assert [c["SequenceNumber"] for c in callbacks] == ["0", "1", "2", "3"]
    assert {c["CallbackSource"] for c in callbacks} == {"call-progress-events"}
    assert callbacks[-1]["CallDuration"] == "2"
    assert all(r["signed"] for r in webapp.requests)
    assert leg.record.status == "completed"
    # Answer webhook came after ringing 6 s (+1 s call setup), with the outbound-api direction.
    answer = webapp.to("/answer")[0]
    assert (answer["Direction"], answer["CallStatus"]) == ("outbound-api", "in-progress")


def test_only_completed_callback_by_default(emu, sdk, webapp):
    place(emu, sdk)
    assert [c["CallStatus"] for c in webapp.to("/status")] == ["completed"]


def test_busy_line(emu, sdk, webapp):
    emu.assign(TO, BusyLine())
    leg = place(emu, sdk)
    assert webapp.to("/answer") == []
    assert webapp.to("/status")[-1]["CallStatus"] == "busy"
    assert leg.record.status == "busy"


def test_no_answer_after_timeout(emu, sdk, webapp):
    # https://www.twilio.com/docs/voice/api/call-resource#timeout: ring for Timeout seconds, then no-answer
    emu.assign(TO, NoAnswerLine())
    leg = place(emu, sdk, timeout=20)
    assert leg.record.status == "no-answer"
    assert emu.engine.now() == 21.0  # 1 s setup + 20 s ringing


def test_slow_human_is_no_answer_when_timeout_is_short(emu, sdk, webapp):
    emu.assign(TO, Human(ring_seconds=30))
    assert place(emu, sdk, timeout=15).record.status == "no-answer"


def test_invalid_number_failing_after_dial(emu, sdk, webapp):
    emu.assign(TO, InvalidNumber(at_api=False))
    leg = place(emu, sdk)
    assert leg.record.status == "failed"


def test_amd_enable_human(emu, sdk, webapp):
    # https://www.twilio.com/docs/voice/answering-machine-detection#machinedetection
    leg = place(emu, sdk, machine_detection="Enable")
    assert webapp.to("/answer")[0]["AnsweredBy"] == "human"
    assert leg.record.answered_by == "human"


def test_amd_enable_machine_starts_during_greeting(emu, sdk, webapp):
    webapp.docs["/answer"] = "<Response><Say>Hello this is the collection office</Say></Response>"
    emu.assign(TO, AnsweringMachine(greeting_seconds=12))
    leg = place(emu, sdk, machine_detection="Enable")
    assert webapp.to("/answer")[0]["AnsweredBy"] == "machine_start"
    # Spoken over the greeting (3 s + 2.4 s < 12 s): nothing reaches the recording.
    assert leg.recorded == []


def test_amd_detect_message_end_waits_for_the_beep(emu, sdk, webapp):
    # https://www.twilio.com/docs/voice/answering-machine-detection: DetectMessageEnd -> machine_end_beep
    message = "This is the collection office, please call us back at eight hundred"
    webapp.docs["/answer"] = f"<Response><Say>{message}</Say><Hangup/></Response>"
    emu.assign(TO, AnsweringMachine(greeting_seconds=8))
    leg = place(emu, sdk, machine_detection="DetectMessageEnd")
    assert webapp.to("/answer")[0]["AnsweredBy"] == "machine_end_beep"
    assert leg.recorded == [message]
    beep = next(e for e in emu.transcript.for_leg(leg.sid) if e.text == "beep")
    answer = next(e for e in emu.transcript.for_leg(leg.sid) if e.kind == "webhook" and "/answer" in e.text)
    assert answer.t == beep.t  # the answer webhook is requested once the beep sounds


def test_amd_machine_without_beep_ends_in_silence(emu, sdk, webapp):
    emu.assign(TO, AnsweringMachine(greeting_seconds=5, beep=False))
    place(emu, sdk, machine_detection="DetectMessageEnd")
    assert webapp.to("/answer")[0]["AnsweredBy"] == "machine_end_silence"


def test_amd_fax(emu, sdk, webapp):
    emu.assign(TO, Fax())
    place(emu, sdk, machine_detection="Enable")
    assert webapp.to("/answer")[0]["AnsweredBy"] == "fax"


def test_async_amd_posts_answered_by_later(emu, sdk, webapp):
    # https://www.twilio.com/docs/voice/answering-machine-detection#asyncamd
    webapp.docs["/answer"] = "<Response><Pause length='30'/></Response>"
    emu.assign(TO, AnsweringMachine(greeting_seconds=9))
    place(
        emu,
        sdk,
        machine_detection="DetectMessageEnd",
        async_amd="true",
        async_amd_status_callback="https://app.test/amd",
    )
    assert "AnsweredBy" not in webapp.to("/answer")[0]
    amd = webapp.to("/amd")[0]
    assert amd["AnsweredBy"] == "machine_end_beep"
    assert amd["MachineDetectionDuration"] == "9500"
    assert webapp.paths().index("/answer") < webapp.paths().index("/amd")


def test_human_presses_one_after_the_prompt(emu, sdk, webapp):
    webapp.docs["/answer"] = (
        "<Response><Gather numDigits='1' action='/menu'><Say>Press 1 to speak to someone now</Say></Gather></Response>"
    )
    webapp.docs["/menu"] = "<Response><Say>Connecting</Say></Response>"
    emu.assign(TO, Human(press=[KeyRule("press 1", "1")], hangup_after=60))
    leg = place(emu, sdk)
    assert webapp.to("/menu")[0]["Digits"] == "1"
    assert leg.heard[-1] == "Connecting"


def test_human_hangs_up_after_n_seconds(emu, sdk, webapp):
    webapp.docs["/answer"] = "<Response><Pause length='120'/></Response>"
    emu.assign(TO, Human(hangup_after=10))
    leg = place(emu, sdk)
    assert leg.record.duration == 10
    assert leg.record.status == "completed"


def test_inline_twiml(emu, sdk, webapp):
    call = sdk.calls.create(to=TO, from_=FROM, twiml="<Response><Say>Inline hello</Say></Response>")
    emu.run()
    assert emu.leg(call.sid).heard == ["Inline hello"]


def test_updating_the_url_of_a_ringing_call_changes_what_runs_on_answer(emu, sdk, webapp):
    # https://www.twilio.com/docs/voice/api/call-resource#update-a-call-resource: Url is the TwiML "we call when
    # the call connects". A ringing call is not connected: the update neither answers it nor stops the ringing.
    webapp.docs["/answer"] = "<Response><Say>Original</Say></Response>"
    webapp.docs["/new"] = "<Response><Say>New document</Say></Response>"
    emu.assign(TO, Human(ring_seconds=6))
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer")
    emu.run(until=3)
    assert sdk.calls(call.sid).update(url="https://app.test/new").status == "ringing"
    emu.run()
    leg = emu.leg(call.sid)
    assert webapp.paths() == ["/new"]
    assert leg.heard == ["New document"]
    assert leg.answered_at == 7.0  # 1 s setup + 6 s ringing, as without the update


def test_updating_a_call_that_is_never_answered_runs_nothing(emu, sdk, webapp):
    emu.assign(TO, NoAnswerLine())
    call = sdk.calls.create(to=TO, from_=FROM, url="https://app.test/answer", timeout=20)
    emu.run(until=3)
    sdk.calls(call.sid).update(twiml="<Response><Say>Nobody hears this</Say></Response>")
    emu.run()
    leg = emu.leg(call.sid)
    assert (leg.record.status, leg.heard, webapp.requests) == ("no-answer", [], [])
