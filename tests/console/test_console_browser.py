"""A real browser on the console: Playwright driving Debian's chromium against the app on a loopback port.

Sign in, see a caller waiting (placed through the emulator, which drives the real webhooks), take the next caller
(the page polls until the caller is bridged), open the case by the CRN, issue a notice, download its letter and
read the PDF. Screenshots go to the test's tmp dir.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from console_support import PASSWORD
from werkzeug.serving import make_server

from emulator import Emulator
from emulator.parties import Employee as EmployeePhone
from ivr import create_app
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

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get chromium)")


class LiveApp:
    def __init__(self, app, url: str, emulator: Emulator):
        self.app = app
        self.url = url
        self.emulator = emulator


@pytest.fixture
def live_app(config_overrides: dict[str, str], redis, sample_data) -> Iterator[LiveApp]:
    """The app on a free loopback port in a thread, its PUBLIC_BASE_URL that port, Twilio the emulator."""
    holder: dict = {}
    server = make_server("127.0.0.1", 0, lambda environ, start: holder["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    config = Config.from_env({**config_overrides, "PUBLIC_BASE_URL": url})
    app = create_app(config)
    emulator = Emulator(account_sid=config.twilio_account_sid, auth_token=config.twilio_auth_token)
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
