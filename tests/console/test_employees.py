from __future__ import annotations

import pytest
from console_support import PASSWORD

from ivr.console.employees import LOCKOUT_SECONDS, MAX_FAILED_SIGN_INS, EmployeeError, Employees, Role


def test_add_stores_an_argon2_hash_never_the_password(employees: Employees, redis, keys):
    employees.add("Bob", "Bob B", PASSWORD, "manager", "(202) 555-0171")
    stored = redis.hgetall(keys.employee("bob"))
    assert stored["password_hash"].startswith("$argon2")
    assert PASSWORD not in str(stored)
    bob = employees.get("bob")
    assert bob.role is Role.MANAGER and bob.is_manager and bob.phone == "+12025550171"


@pytest.mark.parametrize(
    "username,password,role,phone,field",
    [
        ("x", PASSWORD, "employee", "+12025550171", "username"),
        ("bob", "short", "employee", "+12025550171", "password"),
        ("bob", PASSWORD, "boss", "+12025550171", "role"),
        ("bob", PASSWORD, "employee", "12", "phone"),
    ],
)
def test_add_rejects_bad_fields(employees: Employees, username, password, role, phone, field):
    with pytest.raises(EmployeeError, match=field):
        employees.add(username, "Bob", password, role, phone)


def test_client_identity_is_a_valid_phone(employees: Employees):
    assert employees.add("carol", "Carol", PASSWORD, "employee", "client:carol").phone == "client:carol"


def test_sign_in_checks_the_password(employees: Employees, alice):
    assert employees.sign_in("alice", PASSWORD).employee == alice
    assert employees.sign_in("ALICE ", PASSWORD).employee == alice
    assert employees.sign_in("alice", "wrong password!").employee is None
    assert employees.sign_in("nobody", PASSWORD).employee is None
    assert employees.sign_in("", "").employee is None


def test_repeated_failures_lock_the_account_for_a_while(employees: Employees, alice, redis, keys):
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        assert not employees.sign_in("alice", "wrong password!").locked
    assert employees.sign_in("alice", "wrong password!").locked
    # locked: even the right password is refused until the window passes
    result = employees.sign_in("alice", PASSWORD)
    assert result.employee is None and result.locked
    assert 0 < redis.ttl(keys.sign_in_failures("alice", "unknown")) <= LOCKOUT_SECONDS
    redis.delete(keys.sign_in_failures("alice", "unknown"))  # the window elapsing
    assert employees.sign_in("alice", PASSWORD).employee == alice


def test_a_success_resets_the_failure_count(employees: Employees, alice, redis, keys):
    employees.sign_in("alice", "wrong password!")
    employees.sign_in("alice", PASSWORD)
    assert redis.get(keys.sign_in_failures("alice", "unknown")) is None
