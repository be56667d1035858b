"""Console fixtures: employees in the test Redis, and a test client that signs in and carries CSRF tokens."""

from __future__ import annotations

import pytest
from console_support import PASSWORD, Console

from emulator import Emulator
from ivr import create_app
from ivr.console.employees import Employees, Role


@pytest.fixture
def emulator(config) -> Emulator:
    """The project's Twilio emulator on a virtual clock; the console's Twilio calls go to it in-process."""
    return Emulator(account_sid=config.twilio_account_sid, auth_token=config.twilio_auth_token)


@pytest.fixture
def app(config, redis, emulator: Emulator):
    """The app with its Twilio client wired to the emulator, which delivers webhooks back to the app."""
    app = create_app(config)
    app.config["TESTING"] = True
    app.extensions["twilio_client"] = emulator.sdk_client()
    emulator.mount(config.public_base_url, app)
    return app


@pytest.fixture
def employees(redis, keys) -> Employees:
    return Employees(redis, keys)


@pytest.fixture
def alice(employees: Employees):
    return employees.add("alice", "Alice Agent", PASSWORD, Role.EMPLOYEE, "+12025550170")


@pytest.fixture
def maria(employees: Employees):
    return employees.add("maria", "Maria Manager", PASSWORD, Role.MANAGER, "client:maria")


@pytest.fixture
def console(client) -> Console:
    return Console(client)


@pytest.fixture
def signed_in(console: Console, alice) -> Console:
    response = console.sign_in("alice")
    assert response.status_code == 302
    return console


@pytest.fixture
def manager(console: Console, maria) -> Console:
    assert console.sign_in("maria").status_code == 302
    return console
