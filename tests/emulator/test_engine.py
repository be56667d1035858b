"""The clocks and event loop: virtual time jumps, real time waits, both are thread-safe."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from emulator import Emulator, Engine, RealClock, VirtualClock
from emulator.engine import Clock
from emulator.transcript import Transcript


def test_virtual_clock_jumps_to_each_event_in_order():
    engine = Engine(VirtualClock())
    seen = []
    engine.schedule(600, lambda: seen.append(("hold over", engine.now())))
    engine.schedule(5, lambda: seen.append(("ring", engine.now())))
    engine.schedule(5, lambda: seen.append(("same time, later", engine.now())))
    assert engine.run() == 3
    assert seen == [("ring", 5.0), ("same time, later", 5.0), ("hold over", 600.0)]


def test_run_until_stops_and_leaves_later_events_pending():
    engine = Engine(VirtualClock())
    engine.schedule(10, lambda: None)
    engine.schedule(100, lambda: None)
    assert engine.run(until=50) == 1
    assert engine.now() == 50 and engine.pending() == 1


def test_callbacks_may_schedule_more_events():
    engine = Engine(VirtualClock())
    count = []

    def tick():
        count.append(engine.now())
        if len(count) < 1000:
            engine.schedule(60, tick)

    engine.schedule(0, tick)
    assert engine.run() == 1000
    assert engine.now() == 999 * 60  # more than 16 virtual hours


def test_real_clock_runs_events_in_a_background_thread():
    engine = Engine(RealClock())
    done = threading.Event()
    engine.start()
    try:
        engine.schedule(0.02, done.set)
        assert done.wait(timeout=5)
    finally:
        engine.stop()


def test_virtual_clock_datetime_follows_the_epoch():
    clock = VirtualClock()
    clock.advance_to(3600)
    assert (clock.datetime() - clock.epoch).total_seconds() == 3600


def test_transcript_text_and_json():
    transcript = Transcript()
    transcript.add(65.5, "caller", "CA1", "say", "Hello")
    assert "1:05.500  caller  SAY" in transcript.to_text()
    assert '"text": "Hello"' in transcript.to_json()
    assert transcript.for_leg("CA1")[0].text == "Hello"


def test_emulator_in_real_time(make_twiml_app):
    """The one test that waits on the wall clock: an inbound call that lasts a 0.2 s pause."""
    emu = Emulator(clock=RealClock())
    webapp = make_twiml_app(emu.auth_token)
    emu.mount("https://app.test", webapp.flask)
    webapp.docs["/voice"] = "<Response><Pause length='0.2'/></Response>"
    emu.add_number("+18005550100", "https://app.test/voice")
    ended = threading.Event()
    emu.leg_ended = lambda leg: ended.set()
    emu.engine.start()
    try:
        leg = emu.dial_in("+12025550111", "+18005550100")
        assert ended.wait(timeout=10)
        assert leg.record.status == "completed"
        assert webapp.requests[0]["signed"]
    finally:
        emu.engine.stop()


def test_concurrent_run_calls_never_run_two_events_at_once():
    """POST /_emulator/run is served on a thread per request: two drivers must take turns, not race the legs."""
    import time

    engine = Engine(VirtualClock())
    active, overlaps = [], []

    def event():
        if active:
            overlaps.append(engine.now())
        active.append(1)
        time.sleep(0.002)  # long enough for another driver to pop the next event if nothing stops it
        active.pop()

    for i in range(40):
        engine.schedule(i, event)
    drivers = [threading.Thread(target=engine.run) for _ in range(2)]
    for driver in drivers:
        driver.start()
    for driver in drivers:
        driver.join(timeout=10)
    assert engine.events_run == 40 and engine.pending() == 0
    assert overlaps == []


def test_virtual_clock_datetime_is_the_epoch_plus_the_time_asked():
    """The last datetime asked is remembered: it must still follow the clock, `at`, and a new epoch."""
    clock = VirtualClock()
    for step, at in [(0, None), (0, None), (0, 0.0), (2.5, None), (0, 7.25), (0, None), (0, 7.25), (3, 7.25)]:
        clock.advance_to(clock.now() + step)
        expected = clock.epoch + timedelta(seconds=clock.now() if at is None else at)
        assert clock.datetime(at) == expected == Clock.datetime(clock, at)
    clock.epoch = datetime(2030, 1, 1, tzinfo=UTC)
    assert clock.datetime() == clock.epoch + timedelta(seconds=clock.now())
