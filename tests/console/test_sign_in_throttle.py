"""A stranger cannot lock an employee out; one password sprayed over many usernames is stopped (issue 9 §3)."""

from __future__ import annotations

from console_support import PASSWORD, Console

from ivr.console.employees import MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_ADDRESS

STRANGER = {"REMOTE_ADDR": "203.0.113.66"}
OFFICE = {"REMOTE_ADDR": "198.51.100.7"}


def _try(console: Console, username: str, password: str, where: dict):
    return console.post("/console/sign-in", {"username": username, "password": password}, environ_base=where)


def test_a_strangers_wrong_passwords_do_not_lock_the_manager_out(console: Console, maria, redis, keys):
    console.get("/console/sign-in")
    for _ in range(MAX_FAILED_SIGN_INS + 3):
        response = _try(console, "maria", "guess guess guess", STRANGER)
    assert response.status_code == 429  # the stranger is stopped ...
    assert _try(console, "maria", PASSWORD, STRANGER).status_code == 429  # ... even with the right password
    assert _try(console, "maria", PASSWORD, OFFICE).status_code == 302  # maria, at her desk, signs in


def test_one_password_on_twenty_usernames_is_limited(console: Console, alice):
    console.get("/console/sign-in")
    statuses = [_try(console, f"user{n:02d}", "Summer2026!!", STRANGER).status_code for n in range(20)]
    assert statuses[: MAX_FAILED_SIGN_INS_PER_ADDRESS - 1] == [401] * (MAX_FAILED_SIGN_INS_PER_ADDRESS - 1)
    assert set(statuses[MAX_FAILED_SIGN_INS_PER_ADDRESS - 1 :]) == {429}
    assert _try(console, "alice", PASSWORD, STRANGER).status_code == 429  # the address is throttled, for everyone
    assert _try(console, "alice", PASSWORD, OFFICE).status_code == 302


def test_failed_sign_ins_are_audited_with_the_address(console: Console, alice, redis, keys):
    console.get("/console/sign-in")
    _try(console, "alice", "nope nope nope", STRANGER)
    entries = [f for _id, f in redis.xrange(keys.audit_log()) if f["action"].startswith("sign_in")]
    assert [(e["employee"], e["action"], e["detail"]) for e in entries] == [
        ("alice", "sign_in_failed", '{"address": "203.0.113.66"}')
    ]
