"""Collection employees who sign in to the console: stored in Redis with argon2 password hashes.

Failed sign-ins are counted per (username, client address) and per client address, each over the lockout window:
five wrong passwords for one username from one address lock that pair, and ten failures from one address (one
password tried on many usernames) lock the address. A stranger elsewhere therefore cannot lock an employee out.
The answers are the same whether or not the username exists. Counters expire with the window.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ivr.cases.phones import InvalidPhone, normalize_phone
from ivr.keys import KeySchema

MAX_FAILED_SIGN_INS = 5  # per (username, client address)
MAX_FAILED_SIGN_INS_PER_ADDRESS = 10  # per client address, whatever the usernames
LOCKOUT_SECONDS = 15 * 60
MIN_PASSWORD_LENGTH = 10

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
_CLIENT_IDENTITY = re.compile(r"^client:[A-Za-z0-9_.-]{1,64}$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so a miss costs as much time as a wrong password."""
    return _hasher.hash("not-a-real-password-just-for-timing")


class Role(StrEnum):
    EMPLOYEE = "employee"
    MANAGER = "manager"


class EmployeeError(ValueError):
    """Bad employee data (username, password, phone); the message is safe to show."""


@dataclass(frozen=True)
class Employee:
    username: str
    name: str
    role: Role
    phone: str  # E.164 number or `client:identity` — where "Take next caller" rings
    session_version: str = ""  # changes when the employee is re-added: older sessions stop working

    @property
    def is_manager(self) -> bool:
        return self.role is Role.MANAGER


@dataclass(frozen=True)
class SignInResult:
    employee: Employee | None
    locked: bool = False  # this username, from this address
    throttled: bool = False  # this address, for every username


def check_username(username: str) -> str:
    name = (username or "").strip().lower()
    if not _USERNAME.match(name):
        raise EmployeeError("username: 2–32 characters, a–z, digits, '.', '_' or '-', starting with a letter")
    return name


def check_phone(phone: str) -> str:
    """An E.164 number or a Twilio Client identity (`client:alice`)."""
    text = (phone or "").strip()
    if _CLIENT_IDENTITY.match(text):
        return text
    try:
        return normalize_phone(text)
    except InvalidPhone:
        raise EmployeeError(
            "phone: give an E.164 number (+12025550123) or a Twilio Client identity (client:alice)"
        ) from None


class Employees:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys

    def add(self, username: str, name: str, password: str, role: Role | str, phone: str) -> Employee:
        """Create or replace an employee (a replaced employee's password is reset)."""
        username = check_username(username)
        if len(password or "") < MIN_PASSWORD_LENGTH:
            raise EmployeeError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
        if not (name or "").strip():
            raise EmployeeError("name: required")
        try:
            role = Role(role)
        except ValueError:
            raise EmployeeError("role: employee or manager") from None
        employee = Employee(
            username=username,
            name=name.strip(),
            role=role,
            phone=check_phone(phone),
            session_version=secrets.token_hex(8),
        )
        pipe = self.redis.pipeline()
        pipe.hset(
            self.keys.employee(username),
            mapping={
                "name": employee.name,
                "role": employee.role.value,
                "phone": employee.phone,
                "session_version": employee.session_version,
                "password_hash": _hasher.hash(password),
            },
        )
        pipe.sadd(self.keys.employee_names(), username)
        pipe.execute()
        return employee

    def get(self, username: str) -> Employee | None:
        return employee_from_hash(username, self.redis.hgetall(self.keys.employee(username)))

    def sign_out_everywhere(self, username: str) -> bool:
        """End every session of `username` on every device: sessions carry the version, which changes here."""
        if not self.redis.exists(self.keys.employee(username)):
            return False
        self.redis.hset(self.keys.employee(username), "session_version", secrets.token_hex(8))
        return True

    def all(self) -> list[Employee]:
        names = sorted(self.redis.smembers(self.keys.employee_names()))
        return [e for e in (self.get(name) for name in names) if e is not None]

    def sign_in(self, username: str, password: str, address: str = "unknown") -> SignInResult:
        """Check a password, throttled per (username, address) and per address over LOCKOUT_SECONDS."""
        address = (address or "unknown")[:64]
        try:
            username = check_username(username)
        except EmployeeError:
            _verify(_dummy_hash(), password)
            return self._failed(None, address)
        pair_key = self.keys.sign_in_failures(username, address)
        address_key = self.keys.address_sign_in_failures(address)
        pair_failures, address_failures = (int(n or 0) for n in self.redis.mget(pair_key, address_key))
        if address_failures >= MAX_FAILED_SIGN_INS_PER_ADDRESS:
            return SignInResult(None, throttled=True)
        if pair_failures >= MAX_FAILED_SIGN_INS:
            return SignInResult(None, locked=True)
        stored = self.redis.hget(self.keys.employee(username), "password_hash")
        if _verify(stored or _dummy_hash(), password) and stored:
            self.redis.delete(pair_key)
            if _hasher.check_needs_rehash(stored):
                self.redis.hset(self.keys.employee(username), "password_hash", _hasher.hash(password))
            return SignInResult(self.get(username))
        return self._failed(username, address)

    def _failed(self, username: str | None, address: str) -> SignInResult:
        pipe = self.redis.pipeline(transaction=False)
        pipe.incr(self.keys.address_sign_in_failures(address))
        pipe.expire(self.keys.address_sign_in_failures(address), LOCKOUT_SECONDS)
        if username:
            pipe.incr(self.keys.sign_in_failures(username, address))
            pipe.expire(self.keys.sign_in_failures(username, address), LOCKOUT_SECONDS)
        counts = pipe.execute()
        pair_failures = counts[2] if username else 0
        return SignInResult(
            None,
            locked=pair_failures >= MAX_FAILED_SIGN_INS,
            throttled=counts[0] >= MAX_FAILED_SIGN_INS_PER_ADDRESS,
        )


def employee_from_hash(username: str, data: dict[str, str]) -> Employee | None:
    if not data:
        return None
    return Employee(
        username=username,
        name=data["name"],
        role=Role(data["role"]),
        phone=data["phone"],
        session_version=data.get("session_version", ""),
    )


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return False
