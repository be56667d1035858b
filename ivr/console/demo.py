"""The console's line in `acs demo --keep-running`: a demo manager to sign in as, and the console's URL.

`ivr.demo` prints this line; the demo employee rings the demo's employee phone (an emulator party, passed in), so
"Take next caller" works against the emulator. This module imports nothing of `ivr.demo` (arrows run one way).
"""

from __future__ import annotations

import secrets

from ivr.console.employees import Employees, Role

DEMO_USERNAME = "demo"


def console_line(world, employee_phone: str) -> tuple[str, str]:
    """(label, url): creates (or resets) the demo manager with a fresh password shown in the label."""
    svc = world.app.extensions["acs"]
    password = secrets.token_urlsafe(9)
    Employees(svc.redis, svc.keys).add(DEMO_USERNAME, "Demo Manager", password, Role.MANAGER, employee_phone)
    return f"console ({DEMO_USERNAME} / {password})", world.app_url + "/console/"
