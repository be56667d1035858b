"""Helpers shared by the dialer's tests: an emulator wired to the app, and a Dialer that calls into it."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.emulator import Emulator
from emulator.engine import VirtualClock
from emulator.sdk import WsgiHttpClient
from ivr.dialer.batch import Dialer, DialerSettings
from ivr.dialer.placing import TwilioPlacer
from ivr.twilio_client import rest_client

#: 2026-11-26 14:00 UTC: 09:00 in New York, 08:00 in Chicago, 04:00 in Honolulu.
MORNING_EAST = 1_795_701_600.0
#: 2026-11-26 20:00 UTC: inside the calling window from Maine to Hawaii.
MIDDAY = MORNING_EAST + 6 * 3600


def make_emulator(app, at: float = MIDDAY) -> Emulator:
    """An emulator for the app's account, delivering webhooks to the app in-process, starting at `at`."""
    config = app.extensions["acs"].config
    start = datetime.fromtimestamp(at, UTC)
    emu = Emulator(config.twilio_account_sid, config.twilio_auth_token, clock=VirtualClock(start))
    emu.mount(config.public_base_url, app)
    return emu


def make_dialer(app, emu: Emulator, **settings) -> Dialer:
    svc = app.extensions["acs"]
    base = dict(max_cps=10_000.0, concurrency=1)
    dialer_settings = DialerSettings(**{**base, **settings})
    client = rest_client(svc.config, http_client=WsgiHttpClient(emu.wsgi_app))
    placer = TwilioPlacer(client, svc.config, dialer_settings.ring_timeout)
    return Dialer(svc.redis, svc.keys, placer, dialer_settings, svc.seal)


def emulator_clock(emu: Emulator):
    """The app's clock follows the emulator's virtual time."""
    return lambda: emu.engine.clock.datetime().timestamp()
