from __future__ import annotations

from types import SimpleNamespace

from ivr.console.demo import DEMO_USERNAME, console_line
from ivr.console.employees import Employees


def test_demo_line_gives_the_console_url_and_a_working_sign_in(app, redis, keys):
    label, url = console_line(SimpleNamespace(app=app, app_url="http://127.0.0.1:5001"), "+12025550170")
    assert url == "http://127.0.0.1:5001/console/"
    password = label.split(" / ")[1].rstrip(")")
    employee = Employees(redis, keys).sign_in(DEMO_USERNAME, password).employee
    assert employee is not None and employee.is_manager
