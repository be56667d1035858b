"""The console's line in `acs demo --keep-running`: a demo manager to sign in as, and the console's URL.

Importing this module registers the line with `ivr.demo.add_url`. The demo employee rings the demo's employee
phone (an emulator party), so "Take next caller" works against the emulator.
"""

from __future__ import annotations

import secrets

from ivr.demo import EMPLOYEE_PHONE, add_url
from ivr.employees import Employees, Role

DEMO_USERNAME = "demo"


@add_url
def console_line(world) -> tuple[str, str]:
    """(label, url): creates (or resets) the demo manager with a fresh password shown in the label."""
    svc = world.app.extensions["acs"]
    password = secrets.token_urlsafe(9)
    Employees(svc.redis, svc.keys).add(DEMO_USERNAME, "Demo Manager", password, Role.MANAGER, EMPLOYEE_PHONE)
    return f"console ({DEMO_USERNAME} / {password})", world.app_url + "/console/"
