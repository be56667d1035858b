"""Dialer fixtures: the emulator wired to the app in-process, its virtual clock driving ivr.clock."""

from __future__ import annotations

import pytest
from dialer_support import emulator_clock, make_dialer, make_emulator

from ivr import clock


@pytest.fixture
def emu(app):
    return make_emulator(app)


@pytest.fixture
def virtual_clock(emu):
    clock.use(emulator_clock(emu))
    yield emu.engine.clock
    clock.use(None)


@pytest.fixture
def dialer(app, emu, virtual_clock, sample_data):
    made = make_dialer(app, emu)
    yield made
    made.close()
