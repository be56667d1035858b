"""Request tests for the console: sign-in, CSRF, queue, case by CRN, reveal, actions, letters, audit, campaign."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import pypdf
import pytest
from console_support import PASSWORD, Console

from ivr.cases.history import History
from ivr.cases.store import Store
from ivr.console.audit import AuditLog
from ivr.dialer.attempts import Attempt, Attempts, Finish, new_attempt_id
from ivr.voice.callers import Callers

CALL_SID = "CA" + "1" * 32
CALLER_SID = "CA" + "2" * 32


def _audit(redis, keys, action: str | None = None):
    from ivr.console.audit import AuditFilter

    return AuditLog(redis, keys).search(AuditFilter(action=action or ""))


# --- sign-in -----------------------------------------------------------------------------------------------
def test_pages_require_sign_in(client):
    response = client.get("/console/queue")
    assert response.status_code == 302 and "/console/sign-in" in response.location


def test_sign_in_sets_a_hardened_session_cookie(console: Console, alice):
    response = console.sign_in("alice")
    assert response.status_code == 302 and response.location.endswith("/console/queue")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" in cookie  # PUBLIC_BASE_URL is https in the tests


def test_wrong_password_is_refused_and_audited(console: Console, alice, redis, keys):
    console.get("/console/sign-in")
    response = console.post("/console/sign-in", {"username": "alice", "password": "nope nope nope"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    assert [e.employee for e in _audit(redis, keys, "sign_in_failed")] == ["alice"]


def test_an_ssn_typed_as_the_username_is_masked_in_the_audit_log(console: Console, alice, redis, keys):
    console.get("/console/sign-in")
    console.post("/console/sign-in", {"username": "123-45-6789", "password": "nope nope nope"})
    assert [e.employee for e in _audit(redis, keys, "sign_in_failed")] == ["***-**-6789"]


def test_lockout_after_repeated_failures(console: Console, alice):
    console.get("/console/sign-in")
    for _ in range(5):
        response = console.post("/console/sign-in", {"username": "alice", "password": "nope nope nope"})
    assert "Too many failed sign-ins for this account" in response.get_data(as_text=True)
    response = console.post("/console/sign-in", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429  # from this address, until the window passes


def test_forms_without_a_csrf_token_are_rejected(client, alice):
    response = client.post("/console/sign-in", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_next_parameter_cannot_redirect_off_site(console: Console, alice):
    console.get("/console/sign-in")
    response = console.post(
        "/console/sign-in", {"username": "alice", "password": PASSWORD, "next": "//evil.example/console/"}
    )
    assert response.location.endswith("/console/queue")


@pytest.mark.parametrize("target", ["/console/cases/x\r\nSet-Cookie: a=b", "/console/\tqueue", "/console/\x00"])
def test_a_next_parameter_with_control_characters_goes_to_the_queue(console: Console, alice, target: str):
    console.get("/console/sign-in")
    response = console.post("/console/sign-in", {"username": "alice", "password": PASSWORD, "next": target})
    assert response.status_code == 302 and response.location.endswith("/console/queue")


def test_sign_out_ends_the_session(signed_in: Console):
    assert signed_in.post("/console/sign-out").status_code == 302
    assert signed_in.get("/console/queue").status_code == 302


def test_webhooks_need_no_csrf_token(twilio, sample_data):
    response = twilio.post("/voice/acs", {"CallSid": CALL_SID, "From": "+12125550101", "To": "+18008293903"})
    assert response.status_code == 200


# --- queue ---------------------------------------------------------------------------------------------------
def test_queue_shows_waiting_callers_without_their_numbers(signed_in: Console, twilio, sample_data, redis, keys):
    case = Store(redis, keys).get_case("ACS-000104")
    first = {"CallSid": CALL_SID, "From": "+12125550101", "To": "+18008293903"}
    second = {"CallSid": CALLER_SID, "From": "+13125550102", "To": "+18008293903"}
    twilio.post("/voice/acs", first)
    twilio.post("/voice/acs/tin", {**first, "Digits": case.tin.digits})
    twilio.post("/voice/acs/queue", first)
    twilio.post("/voice/acs", second)
    twilio.post("/voice/acs/queue", second)
    html = signed_in.get("/console/queue").get_data(as_text=True)
    assert "matched" in html and "ACS-000104" in html and "silent" in html
    assert case.tin.digits not in html and case.tin.formatted not in html
    assert "+12125550101" not in html
    assert "0101" in html
    assert "Twilio queue figures unavailable" in html or "Twilio reports" in html


def test_take_next_without_twilio_explains_why(client, config_overrides, alice, redis):
    from ivr import create_app

    app = create_app({**config_overrides, "TWILIO_ACCOUNT_SID": "", "TWILIO_AUTH_TOKEN": ""})
    console = Console(app.test_client())
    console.sign_in("alice")
    response = console.post("/console/take-next", follow_redirects=True)
    assert "Twilio is not configured" in response.get_data(as_text=True)


def _queue_caller(twilio, sid: str, number: str) -> dict[str, str]:
    """A silent caller: greeting, no digits, into the queue — as Twilio drives the webhooks."""
    params = {"CallSid": sid, "From": number, "To": "+18008293903"}
    twilio.post("/voice/acs", params)
    twilio.post("/voice/acs/queue", params)
    return params


def test_current_caller_shows_the_bridged_callers_context(signed_in: Console, twilio, sample_data, redis, keys):
    callers = Callers(redis, keys)
    agent_sid = "CA" + "a" * 32
    params = _queue_caller(twilio, CALLER_SID, "+13125550102")
    redis.set(keys.employee_agent_call("alice"), agent_sid)
    html = signed_in.get("/console/current-caller").get_data(as_text=True)
    assert "Ringing your phone" in html
    twilio.post("/voice/acs/connect", {**params, "DequeingCallSid": agent_sid})
    html = signed_in.get("/console/current-caller").get_data(as_text=True)
    assert "On the line" in html and "silent" in html and "0102" in html
    # the CRN the caller gives links the call to the case
    crn = Store(redis, keys).issue_crn("ACS-000102", "061178903")
    signed_in.post("/console/find", {"crn_or_case_id": crn})
    assert callers.get(CALLER_SID).case_id == "ACS-000102"
    assert callers.get(CALLER_SID).crn == crn
    assert any("gave CRN" in e.summary for e in History(redis, keys).entries("ACS-000102"))


def test_a_crn_looked_up_after_the_call_ended_is_not_linked_to_it(signed_in: Console, twilio, sample_data, redis, keys):
    agent_sid = "CA" + "a" * 32
    params = _queue_caller(twilio, CALLER_SID, "+13125550102")
    redis.set(keys.employee_agent_call("alice"), agent_sid)  # the employee never pressed "Done with this caller"
    twilio.post("/voice/acs/connect", {**params, "DequeingCallSid": agent_sid})
    twilio.post("/voice/acs/queue-result", {**params, "QueueResult": "bridged", "QueueTime": "30"})  # call over
    crn = Store(redis, keys).issue_crn("ACS-000102", "061178903")
    signed_in.post("/console/find", {"crn_or_case_id": crn})
    assert Callers(redis, keys).get(CALLER_SID).crn is None
    assert not any("gave CRN" in e.summary for e in History(redis, keys).entries("ACS-000102"))


# --- case by CRN ---------------------------------------------------------------------------------------------
def test_open_case_by_crn(signed_in: Console, sample_data, redis, keys):
    store = Store(redis, keys)
    crn = store.issue_crn("ACS-000101", "0401-23456R")
    response = signed_in.post("/console/find", {"crn_or_case_id": f"{crn[:3]} {crn[3:6]} {crn[6:]}"})
    assert response.status_code == 302 and response.location.endswith("/console/cases/ACS-000101")
    assert crn not in response.location
    page = signed_in.get("/console/cases/ACS-000101")
    html = page.get_data(as_text=True)
    case = store.get_case("ACS-000101")
    assert f"Opened by CRN <strong>{crn}</strong>" in html
    assert "Emeka Drummond" in html and case.tin.masked in html and case.tin.digits[-4:] in html
    assert case.tin.formatted not in html and case.tin.digits not in html
    assert "Avery Ashford" in html and "valid 2848" in html and "45,984.98" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert [e.case_id for e in _audit(redis, keys, "view_case")] == ["ACS-000101"]


def test_open_case_by_case_id(signed_in: Console, sample_data):
    response = signed_in.post("/console/find", {"crn_or_case_id": "ACS-000111"})
    assert response.location.endswith("/console/cases/ACS-000111")
    html = signed_in.get("/console/cases/ACS-000111").get_data(as_text=True)
    assert "8821 (information only" in html


def test_wrong_crn_gets_a_clear_message(signed_in: Console, sample_data, redis, keys):
    response = signed_in.post("/console/find", {"crn_or_case_id": "1234567890"}, follow_redirects=True)
    assert "No case has that CRN" in response.get_data(as_text=True)
    assert _audit(redis, keys, "crn_lookup_failed")


def test_crn_lookups_are_rate_limited_per_employee(signed_in: Console, sample_data, redis, keys):
    for _ in range(10):
        assert signed_in.post("/console/find", {"crn_or_case_id": "1234567890"}).status_code == 302
    response = signed_in.post("/console/find", {"crn_or_case_id": "1234567890"})
    assert response.status_code == 429 and "Too many CRN lookups" in response.get_data(as_text=True)
    assert 0 < redis.ttl(keys.crn_lookups("alice")) <= 60


def test_an_ssn_typed_into_the_find_box_is_not_echoed(signed_in: Console, sample_data):
    signed_in.post("/console/find", {"crn_or_case_id": "123.45.6789"})  # flashed through the session cookie
    page = signed_in.get("/console/queue").get_data(as_text=True)
    assert "No case with id ***-**-6789" in page and "123.45.6789" not in page


def test_unknown_case_is_404(signed_in: Console, sample_data):
    assert signed_in.get("/console/cases/ACS-999999").status_code == 404


# --- reveal --------------------------------------------------------------------------------------------------
def test_reveal_shows_the_full_number_once_and_logs_it(signed_in: Console, sample_data, redis, keys):
    case = Store(redis, keys).get_case("ACS-000101")
    signed_in.get("/console/cases/ACS-000101")
    response = signed_in.post("/console/cases/ACS-000101/reveal", {"reason": "verifying the caller"})
    assert response.status_code == 200 and case.tin.formatted in response.get_data(as_text=True)
    entries = _audit(redis, keys, "reveal_tin")
    assert [(e.employee, e.case_id, e.detail["reason"]) for e in entries] == [
        ("alice", "ACS-000101", "verifying the caller")
    ]
    assert case.tin.digits not in str(redis.xrange(keys.audit_log()))
    assert case.tin.formatted not in signed_in.get("/console/cases/ACS-000101").get_data(as_text=True)


def test_a_reason_never_carries_an_ssn_into_the_audit_log(signed_in: Console, sample_data, redis, keys):
    signed_in.post("/console/cases/ACS-000101/reveal", {"reason": "caller read 123-45-6789"})
    assert [e.detail["reason"] for e in _audit(redis, keys, "reveal_tin")] == ["caller read ***-**-6789"]


@pytest.mark.parametrize("typed", ["123 45 6789", "123.45.6789", "12 3456789"])
def test_a_note_masks_an_ssn_or_ein_typed_with_spaces_or_dots(signed_in: Console, sample_data, redis, keys, typed):
    signed_in.post("/console/cases/ACS-000101/note", {"note": f"caller read {typed} to me"})
    assert typed not in str(redis.xrange(keys.case_history("ACS-000101")))
    assert "caller read ***-**-6789 to me" in signed_in.get("/console/cases/ACS-000101").get_data(as_text=True)


def test_reveal_needs_a_reason(signed_in: Console, sample_data):
    response = signed_in.post("/console/cases/ACS-000101/reveal", {"reason": " "}, follow_redirects=True)
    assert "Say why" in response.get_data(as_text=True)


# --- actions -------------------------------------------------------------------------------------------------
def test_outcome_note_and_follow_up(signed_in: Console, sample_data, redis, keys):
    signed_in.post("/console/cases/ACS-000101/outcome", {"outcome": "payment_promised", "note": "SSN 123-45-6789"})
    signed_in.post("/console/cases/ACS-000101/note", {"note": "will send check"})
    when = datetime.fromtimestamp(time.time() + 10 * 86400, UTC).strftime("%Y-%m-%dT%H:%M")
    signed_in.post("/console/cases/ACS-000101/follow-up", {"at": when})
    assert redis.zscore(keys.cases_due(), "ACS-000101") is not None
    html = signed_in.get("/console/cases/ACS-000101").get_data(as_text=True)
    assert "Outcome: Payment promised" in html and "***-**-6789" in html and "123-45-6789" not in html
    assert "will send check" in html and when.replace("T", " ") in html
    signed_in.post("/console/cases/ACS-000101/follow-up", {"cancel": "1"})
    assert redis.zscore(keys.cases_due(), "ACS-000101") is None
    actions = {e.action for e in _audit(redis, keys)}
    assert {"outcome", "note", "followup_scheduled", "followup_cancelled"} <= actions


def test_follow_up_in_the_past_is_refused(signed_in: Console, sample_data, redis, keys):
    response = signed_in.post("/console/cases/ACS-000101/follow-up", {"at": "2001-01-01T00:00"}, follow_redirects=True)
    assert "must be in the future" in response.get_data(as_text=True)
    assert redis.zscore(keys.cases_due(), "ACS-000101") == 0  # still due now, as imported


def test_notice_generates_a_letter_with_copies_to_valid_poas(signed_in: Console, sample_data, redis, keys):
    # ACS-000110: K holds a valid 2848, R2's newer one is revoked → one copy, to K only
    response = signed_in.post("/console/cases/ACS-000110/actions/notice_balance_due")
    assert response.status_code == 302
    html = signed_in.get("/console/cases/ACS-000110").get_data(as_text=True)
    assert "Notice of Balance Due" in html
    letter_id = redis.zrange(keys.case_letters("ACS-000110"), 0, -1)[0]
    pdf = signed_in.get(f"/console/cases/ACS-000110/letters/{letter_id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    case = Store(redis, keys).get_case("ACS-000110")
    assert len(reader.pages) == 2  # the original and one representative's copy
    assert "Notice of Balance Due" in text and case.taxpayer_name in text and case.tin.masked in text
    assert case.tin.digits not in text and case.tin.formatted not in text
    assert "1385-11463" in text and "4485-86715" not in text
    assert "COPY FOR THE TAXPAYER'S AUTHORIZED REPRESENTATIVE" in reader.pages[1].extract_text()
    assert _audit(redis, keys, "letter_download")


def test_letters_belong_to_their_case(signed_in: Console, sample_data, redis, keys):
    signed_in.post("/console/cases/ACS-000110/actions/notice_balance_due")
    letter_id = redis.zrange(keys.case_letters("ACS-000110"), 0, -1)[0]
    assert signed_in.get(f"/console/cases/ACS-000101/letters/{letter_id}.pdf").status_code == 404


def test_levy_is_refused_without_a_final_notice_30_days_earlier(signed_in: Console, sample_data, redis, keys):
    response = signed_in.post("/console/cases/ACS-000101/actions/levy")
    assert response.status_code == 409
    assert "No final notice of intent to levy" in response.get_data(as_text=True)
    signed_in.post("/console/cases/ACS-000101/actions/notice_intent_to_levy")
    response = signed_in.post("/console/cases/ACS-000101/actions/levy")
    assert response.status_code == 409 and "needs 30 days" in response.get_data(as_text=True)
    # a final notice issued 31 days ago (written as the console writes it) makes the levy possible
    redis.delete(keys.case_history("ACS-000101"))
    old_ms = int((time.time() - 31 * 86400) * 1000)
    redis.xadd(
        keys.case_history("ACS-000101"),
        {
            "at": str(old_ms / 1000),
            "kind": "notice",
            "actor": "alice",
            "summary": "Final notice",
            "detail": '{"action": "notice_intent_to_levy"}',
        },
        id=f"{old_ms}-0",
    )
    assert signed_in.post("/console/cases/ACS-000101/actions/levy").status_code == 302
    assert len(redis.zrange(keys.case_letters("ACS-000101"), 0, -1)) == 2


def test_lien_refused_for_a_non_filer(signed_in: Console, sample_data):
    response = signed_in.post("/console/cases/ACS-000103/actions/lien")
    assert response.status_code == 409 and "Only for a balance-due" in response.get_data(as_text=True)


@pytest.mark.parametrize("action", ["bogus", "notice_balance_due"])
def test_actions_on_unknown_things_are_404(signed_in: Console, sample_data, action):
    assert signed_in.post(f"/console/cases/ACS-999999/actions/{action}").status_code == 404


# --- manager pages -------------------------------------------------------------------------------------------
def test_manager_pages_are_for_managers_only(signed_in: Console):
    assert signed_in.get("/console/audit").status_code == 403
    assert signed_in.get("/console/campaign").status_code == 403


def test_manager_reads_and_filters_the_audit_log(client, alice, maria, sample_data):
    agent = Console(client)
    agent.sign_in("alice")
    agent.get("/console/cases/ACS-000101")
    agent.get("/console/cases/ACS-000102")
    agent.post("/console/sign-out")
    boss = Console(client)
    boss.sign_in("maria")
    html = boss.get("/console/audit?employee=alice&action=view_case").get_data(as_text=True)
    assert "ACS-000101" in html and "ACS-000102" in html and "sign_in" not in html.split("<tbody>")[1]
    html = boss.get("/console/audit?case_id=ACS-000102").get_data(as_text=True)
    assert "ACS-000101" not in html.split("<tbody>")[1]


def test_campaign_view(manager: Console, sample_data, redis, keys):
    # Outcomes as the dialer records them: attempts opened, then finished (the day counters the view reads).
    attempts, now = Attempts(redis, keys), time.time()
    made = [
        Attempt(new_attempt_id(), case_id, "taxpayer", "taxpayer", "+13125550102", "123456", "placing", now)
        for case_id in ("ACS-000101", "ACS-000102", "ACS-000103", "ACS-000104")
    ]
    pipe = redis.pipeline(transaction=False)
    attempts.create_many(pipe, made, now)
    pipe.execute()
    for attempt, outcome in zip(made, ["voicemail", "conversation", "no-answer", "not-placed"], strict=True):
        attempts.finish(attempt, Finish("completed", outcome, None, 0, now, "Outbound call"))
    callers = Callers(redis, keys)
    callers.enqueued(CALLER_SID, "acs", "+13125550102", "+18008293903")
    callers.left_queue(CALL_SID, "acs", "hangup", 40)
    callers.left_queue("CA" + "3" * 32, "acs", "bridged", 20)
    html = manager.get("/console/campaign").get_data(as_text=True)
    assert 'id="calls-placed">3<' in html and 'id="waiting-now">1<' in html and 'id="abandoned">1<' in html
    assert "0m 30s" in html  # average wait


def test_re_adding_an_employee_ends_their_sessions(signed_in: Console, employees):
    assert signed_in.get("/console/queue").status_code == 200
    employees.add("alice", "Alice Agent", "a brand new password", "employee", "+12025550170")
    assert signed_in.get("/console/queue").status_code == 302


def test_no_page_of_any_case_carries_its_full_ssn_or_ein(signed_in: Console, sample_data, redis, keys):
    store = Store(redis, keys)
    for case in store.get_cases(store.all_case_ids()):
        html = signed_in.get(f"/console/cases/{case.case_id}").get_data(as_text=True)
        assert case.tin.digits not in html and case.tin.formatted not in html, case.case_id
        assert case.tin.masked in html


def test_an_action_in_progress_blocks_a_second_one_on_the_same_case(signed_in: Console, sample_data, redis, keys):
    redis.set(keys.case_action_lock("ACS-000101"), "someone-else", ex=30)
    response = signed_in.post("/console/cases/ACS-000101/actions/lien")
    assert response.status_code == 409 and "being recorded" in response.get_data(as_text=True)
    redis.delete(keys.case_action_lock("ACS-000101"))
    assert signed_in.post("/console/cases/ACS-000101/actions/lien").status_code == 302
    assert signed_in.post("/console/cases/ACS-000101/actions/lien").status_code == 409  # one lien per case
    assert redis.get(keys.case_action_lock("ACS-000101")) is None
