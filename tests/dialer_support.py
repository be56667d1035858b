"""Helpers shared by the dialer's tests: an emulator wired to the app, and a Dialer that calls into it."""

from __future__ import annotations

from emulator.emulator import Emulator
from emulator.engine import VirtualClock
from emulator.sdk import WsgiHttpClient
from ivr.dialer import Dialer, DialerSettings
from ivr.placing import TwilioPlacer
from ivr.twilio_client import rest_client
from conftest import PUBLIC_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

#: 2026-11-26 14:00 UTC: 09:00 in New York, 08:00 in Chicago, 04:00 in Honolulu.
MORNING_EAST = 1_795_701_600.0


def make_emulator(app, at: float = MORNING_EAST) -> Emulator:
    from datetime import UTC, datetime

    emu = Emulator(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, clock=VirtualClock(datetime.fromtimestamp(at, UTC)))
    emu.mount(PUBLIC_BASE_URL, app)
    return emu


def make_dialer(app, emu: Emulator, **settings) -> Dialer:
    svc = app.extensions["acs"]
    base = dict(max_cps=10_000.0, concurrency=1)
    dialer_settings = DialerSettings(**{**base, **settings})
    client = rest_client(svc.config, http_client=WsgiHttpClient(emu.wsgi_app))
    placer = TwilioPlacer(client, svc.config, dialer_settings.ring_timeout)
    return Dialer(svc.redis, svc.keys, placer, dialer_settings)


def emulator_clock(emu: Emulator):
    """The app's clock follows the emulator's virtual time."""
    return lambda: emu.engine.clock.datetime().timestamp()
