"""A real browser on the console: Playwright driving Debian's chromium against the app on a loopback port.

Sign in, see a caller waiting (placed through the emulator, which drives the real webhooks), take the next caller
(the page polls until the caller is bridged), open the case by the CRN, issue a notice, download its letter and
read the PDF. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest
from console_support import PASSWORD
from dialer_support import MIDDAY, emulator_clock, make_dialer
from werkzeug.serving import make_server

from emulator import Emulator, VirtualClock
from emulator.parties import Employee as EmployeePhone
from emulator.parties import HangUp, Human
from ivr import clock, create_app
from ivr.cases.history import History
from ivr.cases.store import Store
from ivr.config import Config
from ivr.console.employees import Employees, Role

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ACS_LINE = "+18008293903"
ALICE_PHONE = "+12025550170"
MARIA_PHONE = "+12025550171"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get chromium)")


class LiveApp:
    def __init__(self, app, url: str, emulator: Emulator):
        self.app = app
        self.url = url
        self.emulator = emulator


@pytest.fixture
def live_app(config_overrides: dict[str, str], redis, sample_data) -> Iterator[LiveApp]:
    """The app on a free loopback port in a thread, its PUBLIC_BASE_URL that port, Twilio the emulator."""
    yield from _serve(config_overrides)


@pytest.fixture
def floor_app(config_overrides: dict[str, str], redis, sample_data) -> Iterator[LiveApp]:
    """The same, on a weekday at midday (the emulator's clock, which the app follows), so the dialer may call."""
    emulator_at = VirtualClock(datetime.fromtimestamp(MIDDAY, UTC))
    for live in _serve(config_overrides, emulator_at):
        clock.use(emulator_clock(live.emulator))
        try:
            yield live
        finally:
            clock.use(None)


def _serve(config_overrides: dict[str, str], emulator_clock_: VirtualClock | None = None) -> Iterator[LiveApp]:
    holder: dict = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    config = Config.from_env({**config_overrides, "PUBLIC_BASE_URL": url})
    app = create_app(config)
    emulator = Emulator(config.twilio_account_sid, config.twilio_auth_token, clock=emulator_clock_)
    app.extensions["twilio_client"] = emulator.sdk_client()
    emulator.mount(url, app)
    emulator.add_number(ACS_LINE, voice_url=url + "/voice/acs")
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, name="console-live-app", daemon=True)
    thread.start()
    try:
        yield LiveApp(app, url, emulator)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_employee_works_a_case_in_a_real_browser(live_app: LiveApp, browser, redis, keys, tmp_path: Path):
    Employees(redis, keys).add("alice", "Alice Agent", PASSWORD, Role.EMPLOYEE, ALICE_PHONE)
    live_app.emulator.assign(ALICE_PHONE, EmployeePhone("alice's phone", talk_seconds=600))
    store = Store(redis, keys)
    crn = store.issue_crn("ACS-000101", "0401-23456R")
    case = store.get_case("ACS-000101")
    # a silent caller (the practitioner returning our call) reaches the queue through the real webhooks
    live_app.emulator.dial_in("+12125550101", ACS_LINE)
    live_app.emulator.run(until=live_app.emulator.engine.now() + 40)

    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live_app.url + "/console/queue")
    assert "/console/sign-in" in page.url
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/queue")

    waiting = page.get_by_role("table", name="Callers waiting")
    assert "•••0101" in waiting.inner_text() and "silent" in waiting.inner_text()
    page.screenshot(path=str(tmp_path / "01-queue.png"), full_page=True)

    # Take next caller: the emulator rings alice's phone, /voice/agent dials the queue, the panel polls
    page.get_by_role("button", name="Take next caller").click()
    page.wait_for_url("**/console/queue")
    assert "Ringing your phone" in page.locator("#current-caller").inner_text()
    live_app.emulator.run(until=live_app.emulator.engine.now() + 30)
    page.locator("#current-caller").get_by_role("heading", name="On the line").wait_for(timeout=10_000)
    assert "•••0101" in page.locator("#current-caller").inner_text()
    assert "Nobody is waiting" in page.get_by_role("table", name="Callers waiting").inner_text()
    page.screenshot(path=str(tmp_path / "02-on-the-line.png"), full_page=True)

    page.get_by_label("CRN the caller gives you (or a case id)").fill(f"{crn[:3]} {crn[3:6]} {crn[6:]}")
    page.get_by_role("button", name="Open case").click()
    page.wait_for_url("**/console/cases/ACS-000101")
    body = page.locator("main").inner_text()
    assert f"Opened by CRN {crn}" in body and "Emeka Drummond" in body and case.tin.masked in body
    assert case.tin.formatted not in page.content()
    assert "valid 2848" in body and "Avery Ashford" in body
    assert any("gave CRN" in e.summary for e in History(redis, keys).entries("ACS-000101"))  # linked to the call

    page.get_by_role("button", name="Notice of balance due").click()
    page.wait_for_url("**/console/cases/ACS-000101#letters")
    assert "Notice of Balance Due: done" in page.locator(".flash").inner_text()
    page.screenshot(path=str(tmp_path / "03-case.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith("ACS-000101-notice_balance_due-")
    pdf = pypdf.PdfReader(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Notice of Balance Due" in text and "Emeka Drummond" in text and case.tin.masked in text
    assert "$45,984.98" in text and "Avery Ashford" in text and f"CRN): {crn}" in text
    assert case.tin.digits not in text and case.tin.formatted not in text
    context.close()


class FloorPhone(EmployeePhone):
    """An employee's phone on the floor: stays on the line call after call (the callee ends each call)."""

    def on_bridged(self, leg, other) -> list:
        return []


class Talker(Human):
    """A person who answers the dialer and talks for `seconds` once connected."""

    def __init__(self, seconds: float) -> None:
        super().__init__("practitioner")
        self.seconds = seconds

    def on_bridged(self, leg, other) -> list:
        return [HangUp(self.seconds)]


def sign_in(browser, url: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + "/console/sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/queue")
    return context, page


def test_ready_away_and_the_managers_floor_view_update_without_reload(
    floor_app: LiveApp, browser, redis, keys, tmp_path: Path
):
    """Ready rings alice's phone into the floor; a paced call's live answer is bridged to her: her page shows the
    case and the manager's floor view shows her on the call, both by polling; Away after the call ends it."""
    emu, svc = floor_app.emulator, floor_app.app.extensions["acs"]
    employees = Employees(redis, keys)
    employees.add("alice", "Alice Agent", PASSWORD, Role.EMPLOYEE, ALICE_PHONE)
    employees.add("maria", "Maria Manager", PASSWORD, Role.MANAGER, MARIA_PHONE)
    emu.assign(ALICE_PHONE, FloorPhone("alice's phone"))
    practitioner = svc.store.get_practitioner("0401-23456R").phone
    emu.assign(practitioner, Talker(seconds=30))

    alice_context, alice = sign_in(browser, floor_app.url, "alice")
    maria_context, maria = sign_in(browser, floor_app.url, "maria")
    maria.goto(floor_app.url + "/console/floor")
    maria.get_by_label("Pacing mode", exact=True).select_option("progressive")  # the manager chooses the mode
    maria.get_by_role("button", name="Set mode").click()
    maria.wait_for_url("**/console/floor")
    assert "Pacing mode: progressive (was predictive)" in maria.locator(".flash").inner_text()
    for page in (alice, maria):
        page.evaluate("window.stillThisPage = true")  # gone if anything reloads the page
    alice.locator("[data-floor-state]").filter(has_text="away").wait_for(timeout=10_000)

    alice.get_by_role("button", name="Ready").click()
    alice.wait_for_url("**/console/queue")
    assert "Ready: ringing your phone" in alice.locator(".flash").inner_text()
    alice.evaluate("window.stillThisPage = true")  # the button posts a form: this is the page from now on
    alice.locator("[data-floor-state]").filter(has_text="ringing your phone").wait_for(timeout=10_000)
    emu.run(until=emu.engine.now() + 10)  # the phone answers and waits in the outbound queue
    alice.locator("[data-floor-state]").filter(has_text="ready").wait_for(timeout=10_000)
    employees_table = maria.get_by_role("table", name="Employees")
    employees_table.locator("tr", has_text="alice").filter(has_text="ready").wait_for(timeout=10_000)
    assert maria.locator('[data-f="states"]').inner_text().startswith("1 / 0 / 0")

    dialer = make_dialer(floor_app.app, emu)
    try:
        assert svc.floor.mode() == "progressive"  # as the manager chose it
        report = dialer.dial_cases(["ACS-000101"])
        svc.floor.placed(dict.fromkeys(report.placed, clock.now()), clock.now())  # what a paced tick records
        emu.run(until=emu.engine.now() + 15)  # rings, a person answers, bridged to alice at once
    finally:
        dialer.close()
    call = alice.locator("[data-floor-call]")
    call.wait_for(state="visible", timeout=10_000)
    crn = svc.store.crns_for_case("ACS-000101")["0401-23456R"]
    assert "ACS-000101" in call.inner_text() and crn in call.inner_text()
    assert alice.locator("[data-floor-state]").inner_text() == "on-call"
    employees_table.locator("tr", has_text="alice").filter(has_text="ACS-000101").wait_for(timeout=10_000)
    alice.screenshot(path=str(tmp_path / "floor-01-on-a-call.png"), full_page=True)
    maria.screenshot(path=str(tmp_path / "floor-02-manager.png"), full_page=True)
    assert maria.evaluate("window.stillThisPage === true")

    alice.get_by_role("button", name="Away").click()
    alice.wait_for_url("**/console/queue")
    assert "away after this call" in alice.locator(".flash").inner_text()
    emu.run(until=emu.engine.now() + 40)  # the practitioner hangs up after 30 s: alice is away, her phone hung up
    alice.locator("[data-floor-state]").filter(has_text="away").wait_for(timeout=10_000)
    employees_table.locator("tr", has_text="alice").filter(has_text="away").wait_for(timeout=10_000)
    assert maria.evaluate("window.stillThisPage === true")
    assert svc.floor.day_stats(clock.now())[0]["connected"] == "1"
    alice_context.close()
    maria_context.close()
