"""Settling attempts whose status callback never came, by asking Twilio what became of the call.

Twilio posts each status callback once (it retries only when the URL carries connection-override fragments such
as `#rc=3`, and never for longer than a few seconds), so a callback that reaches the app while Redis is down, or
while the app itself is down, is lost. Every attempt that is not final sits in the `open` set; each tick looks at
those opened more than `after_seconds` ago:

- it has a CallSid (the REST answer, or an early status callback, named it): fetch the call; a final status is
  recorded through the status callback's own code (`record_call_end`), so it is recorded once whoever comes first;
  a call still ringing or talking is looked at again later;
- it is still `placing` with no CallSid after `placing_seconds` (longer than a REST request can take): the worker
  that was sending it died. The REST request may still have reached Twilio (the answer was lost), so Twilio's
  call list for that number (From our caller ID, created since the attempt started, not already owned by another
  attempt) decides: a call found is adopted as above; none found means the attempt never became a call, so it is
  recorded as "not placed", does not count as an unanswered try or against the 7-in-7 limit, and its case is due
  again at once.

While an attempt stays unresolved its case lock is kept alive, so the case is never dialed a second time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

import redis
from twilio.base.exceptions import TwilioRestException

from ivr.config import number_setting
from ivr.dialer.attempts import Attempt, Attempts, Finish, attempt_from_hash
from ivr.dialer.outcomes import WRITTEN, record_call_end
from ivr.dialer.policy import FINAL_CALL_STATUSES, Policy
from ivr.dialer.window import CallingWindow
from ivr.redis_conn import read_hashes

log = logging.getLogger(__name__)

# Keep a case's lock alive while its attempt is unresolved, if the lock is still the attempt's own.
# KEYS: locks. ARGV: case_id, token, expires.
_KEEP_LOCK = """
local held = redis.call('HGET', KEYS[1], ARGV[1])
if held and string.sub(held, 1, #ARGV[2] + 1) == ARGV[2] .. '|' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
  return 1
end
return 0
"""

#: How early a call may look created compared with our clock (clock skew between us and Twilio).
CLOCK_SKEW_SECONDS = 5.0


@dataclass(frozen=True)
class CallFacts:
    """What Twilio's REST API says about one call."""

    sid: str
    status: str
    answered_by: str = ""
    duration: int | None = None
    created: float | None = None  # epoch seconds

    @property
    def final(self) -> bool:
        return self.status in FINAL_CALL_STATUSES


class CallLookup(Protocol):
    def fetch(self, call_sid: str) -> CallFacts | None:
        """The call, or None when Twilio has no such call."""
        ...

    def find(self, to: str, since: float) -> list[CallFacts]:
        """Our calls to `to` created since `since` (epoch seconds), oldest first."""
        ...


class TwilioCalls:
    """CallLookup through the official SDK (Calls fetch and list)."""

    def __init__(self, client, from_number: str):
        self.client = client
        self.from_number = from_number

    def fetch(self, call_sid: str) -> CallFacts | None:
        try:
            return _facts(self.client.calls(call_sid).fetch())
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise

    def find(self, to: str, since: float) -> list[CallFacts]:
        records = self.client.calls.list(to=to, from_=self.from_number, limit=50)
        found = [_facts(r) for r in records]
        return sorted(
            (f for f in found if f.created is None or f.created >= since - CLOCK_SKEW_SECONDS),
            key=lambda f: f.created or 0.0,
        )


def _facts(record) -> CallFacts:
    created = record.date_created
    duration = record.duration
    return CallFacts(
        sid=record.sid,
        status=record.status or "",
        answered_by=record.answered_by or "",
        duration=int(duration) if duration not in (None, "") else None,
        created=created.timestamp() if isinstance(created, datetime) else None,
    )


@dataclass(frozen=True)
class ReconcileSettings:
    after_seconds: float = 120.0  # ACS_RECONCILE_AFTER_SECONDS: first look, then again at this interval
    placing_seconds: float = 60.0  # ACS_RECONCILE_PLACING_SECONDS: longer than any REST request can take
    batch: int = 200
    lease_seconds: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str], lease_seconds: float = 3600.0) -> ReconcileSettings:
        d = cls()

        def get(name: str, default: float) -> float:
            number = number_setting(env, name, default)
            if not number > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {env.get(name)}")
            return number

        return cls(
            after_seconds=get("ACS_RECONCILE_AFTER_SECONDS", d.after_seconds),
            placing_seconds=get("ACS_RECONCILE_PLACING_SECONDS", d.placing_seconds),
            lease_seconds=lease_seconds,
        )


@dataclass
class ReconcileReport:
    recorded: dict[str, str] = field(default_factory=dict)  # attempt id → final status fetched from Twilio
    not_placed: list[str] = field(default_factory=list)
    adopted: dict[str, str] = field(default_factory=dict)  # attempt id → CallSid found in Twilio's call list
    waiting: list[str] = field(default_factory=list)  # still unresolved: looked at again later
    errors: int = 0

    def summary(self) -> str:
        return (
            f"reconciled {len(self.recorded)}, not placed {len(self.not_placed)}, adopted {len(self.adopted)}, "
            f"still open {len(self.waiting)}"
        )


class Reconciler:
    def __init__(
        self,
        attempts: Attempts,
        lookup: CallLookup,
        policy: Policy,
        window: CallingWindow | None = None,
        settings: ReconcileSettings | None = None,
    ):
        self.attempts = attempts
        self.redis: redis.Redis = attempts.redis
        self.keys = attempts.keys
        self.lookup = lookup
        self.policy = policy
        self.window = window
        self.settings = settings or ReconcileSettings()
        self._keep_lock = self.redis.register_script(_KEEP_LOCK)

    def queue_due(self, client: redis.client.Pipeline | redis.Redis, now: float):
        """run's first read (the open attempts due a check); on the caller's pipeline, queued: its reply is run's
        `due`."""
        return client.zrangebyscore(
            self.keys.attempts_open(), "-inf", now - self.settings.after_seconds, 0, self.settings.batch
        )

    def run(self, now: float, due: list[str] | None = None) -> ReconcileReport:
        """Look at the open attempts that are due a check (a bounded batch); never raises for Twilio failures.
        `due`: those attempts, when already read (queue_due)."""
        report = ReconcileReport()
        open_key = self.keys.attempts_open()
        ids = self.queue_due(self.redis, now) if due is None else due
        if not ids:
            return report
        rows = read_hashes(self.redis, [self.keys.attempt(attempt_id) for attempt_id in ids])
        for attempt_id, row in zip(ids, rows, strict=True):
            attempt = attempt_from_hash(attempt_id, row)
            if attempt is None or attempt.state == "final":
                self.redis.zrem(open_key, attempt_id)
                continue
            try:
                settled = self._settle(attempt, now, report)
            except Exception as exc:  # noqa: BLE001 - Twilio or the network failing: try again next time
                log.warning("reconcile %s: %s", attempt_id, type(exc).__name__)
                report.errors += 1
                settled = False
            if not settled:
                report.waiting.append(attempt_id)
                self._revisit(attempt, now)
        if report.recorded or report.not_placed or report.errors:
            log.info("reconcile: %s", report.summary())
        return report

    def _settle(self, attempt: Attempt, now: float, report: ReconcileReport) -> bool:
        if attempt.state == "pending":
            return False  # Twilio refused it for a moment; its resend job (RQ Retry) owns it
        call_sid = attempt.call_sid
        if call_sid is None:
            if attempt.state != "placing" or now - attempt.placing_since < self.settings.placing_seconds:
                return False  # its sender may still be waiting for Twilio's answer
            found = self._unowned_call(attempt)
            if found is None:
                return self._not_placed(attempt, now, report)
            call_sid = found.sid
            self.attempts.note_call_sid(attempt.attempt_id, call_sid)
            report.adopted[attempt.attempt_id] = call_sid
        facts = self.lookup.fetch(call_sid)
        if facts is None:
            return self._not_placed(attempt, now, report)
        if not facts.final:
            return False
        written = record_call_end(
            self.attempts, self.policy, attempt.attempt_id, facts.status, facts.answered_by, facts.sid, now, self.window
        )
        if written == WRITTEN:
            report.recorded[attempt.attempt_id] = facts.status
        return True

    def _unowned_call(self, attempt: Attempt) -> CallFacts | None:
        """The earliest call to this number since the attempt started that no other attempt placed."""
        since = attempt.placing_since or attempt.created_at
        candidates = self.lookup.find(attempt.to, since)
        owners = self.attempts.owner_of([c.sid for c in candidates])
        for candidate in candidates:
            if owners.get(candidate.sid) in (None, attempt.attempt_id):
                return candidate
        return None

    def _not_placed(self, attempt: Attempt, now: float, report: ReconcileReport) -> bool:
        unanswered = int(self.attempts.dialing_state(attempt.case_id).get("unanswered") or 0)
        written = self.attempts.finish(
            attempt,
            Finish(
                call_status="not-placed",
                outcome="not-placed",
                next_due=now,
                unanswered=unanswered,
                at=now,
                summary=f"Outbound call to {attempt.who} not placed: the dialer stopped before Twilio took it "
                "(Twilio has no such call); due again now",
            ),
        )
        if written == WRITTEN:
            # Never a call: it must not count against the attempts-per-7-days limit.
            self.redis.zrem(self.keys.case_attempts(attempt.case_id), attempt.attempt_id)
            report.not_placed.append(attempt.attempt_id)
        return True

    def _revisit(self, attempt: Attempt, now: float) -> None:
        """Look again after another `after_seconds`, and keep the case locked meanwhile."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.zadd(self.keys.attempts_open(), {attempt.attempt_id: now}, xx=True)
        if attempt.lock:
            expires = f"{now + self.settings.lease_seconds:.3f}"
            self._keep_lock(keys=[self.keys.dialer_locks()], args=[attempt.case_id, attempt.lock, expires], client=pipe)
        pipe.execute()


def reconciler_for(
    attempts: Attempts, client, from_number: str, policy: Policy, window, env, lease, min_placing_seconds: float = 0
) -> Reconciler:
    """The reconciler a worker runs before each tick, asking Twilio through `client` (a twilio.rest.Client).

    `min_placing_seconds` is the longest a live sender can hold an attempt in `placing` (pacing wait + REST
    timeout): ACS_RECONCILE_PLACING_SECONDS is never taken below it, so reconciliation cannot race a live sender.
    """
    settings = ReconcileSettings.from_env(env, lease)
    if settings.placing_seconds < min_placing_seconds:
        settings = replace(settings, placing_seconds=min_placing_seconds)
    return Reconciler(attempts, TwilioCalls(client, from_number), policy, window, settings)
