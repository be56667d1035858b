"""The predictive dialer's batch: claim due cases, choose whom to call, place the calls, write it all down.

One tick handles a batch so that Redis work is a handful of pipelined round trips for the whole batch (claim,
read, issue CRNs, open attempts, record results) and REST requests run concurrently, while every attempt stays
individually idempotent (see ivr.dialer.attempts). No RQ here: workers/ wraps this in thin jobs; tests call it directly.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from ivr import clock
from ivr.cases.history import History
from ivr.cases.models import TAXPAYER_CONTACT
from ivr.cases.poa import preferred_poa
from ivr.cases.sealing import TinSeal
from ivr.cases.store import Store, authorization_from_hash, case_from_hash
from ivr.config import Config
from ivr.dialer.attempts import Attempt, Attempts, Finish, new_attempt_id, new_lock_token
from ivr.dialer.placing import CallPlacer, CallRequest, Failure, PlacementError
from ivr.dialer.policy import Outcome, Policy, earliest_attempt, next_step
from ivr.dialer.rate import CallRate
from ivr.dialer.window import CallingWindow, zones_for
from ivr.keys import KeySchema
from ivr.redis_conn import read_hashes

log = logging.getLogger(__name__)

#: Longest wait for a shared slot reserved by another worker, so a worker with a skewed clock cannot stall this one.
MAX_SLOT_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class DialerSettings:
    """Dialer knobs, read from ACS_* variables (README "The dialer")."""

    max_cps: float = 1.0
    batch_size: int = 100
    tick_seconds: float = 5.0
    concurrency: int = 8
    ring_timeout: int = 25
    lease_seconds: int = 3600
    idle_tick_seconds: int = 60
    reap_after_seconds: int = 900
    api_retry_base_seconds: float = 1.0
    window: CallingWindow = field(default_factory=CallingWindow)
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def from_config(cls, config: Config) -> DialerSettings:
        env: Mapping[str, str] = config.extra

        def get(name: str, default, kind=int):
            value = env.get(name)
            return kind(value) if value not in (None, "") else default

        d = cls()
        max_cps = get("ACS_MAX_CPS", d.max_cps, float)
        if not max_cps > 0 or math.isinf(max_cps):  # also refuses nan: pacing divides by it
            raise ValueError(f"ACS_MAX_CPS must be a positive number of calls per second, not {max_cps}")
        return cls(
            max_cps=max_cps,
            batch_size=get("ACS_DIALER_BATCH", d.batch_size),
            tick_seconds=get("ACS_DIALER_TICK_SECONDS", d.tick_seconds, float),
            concurrency=get("ACS_DIALER_CONCURRENCY", d.concurrency),
            ring_timeout=get("ACS_RING_TIMEOUT", d.ring_timeout),
            lease_seconds=get("ACS_DIALER_LEASE_SECONDS", d.lease_seconds),
            idle_tick_seconds=get("ACS_DIALER_IDLE_SECONDS", d.idle_tick_seconds),
            reap_after_seconds=get("ACS_DIALER_REAP_SECONDS", d.reap_after_seconds),
            api_retry_base_seconds=get("ACS_API_RETRY_BASE_SECONDS", d.api_retry_base_seconds, float),
            window=CallingWindow.parse(env.get("ACS_CALL_WINDOW")),
            policy=Policy.from_env(env),
        )

    def tick_limit(self) -> int:
        """Cases one tick takes: a batch, but no more than the CPS ceiling lets it place in `tick_seconds`."""
        return max(1, min(self.batch_size, math.ceil(self.max_cps * self.tick_seconds)))


@dataclass
class TickReport:
    claimed: list[str] = field(default_factory=list)
    placed: dict[str, str] = field(default_factory=dict)  # attempt id → CallSid
    deferred: dict[str, float] = field(default_factory=dict)  # case id → when it is due again
    dropped: dict[str, str] = field(default_factory=dict)  # case id → why it left the dial list
    rejected: dict[str, str] = field(default_factory=dict)  # attempt id → Twilio's refusal
    retrying: list[str] = field(default_factory=list)  # attempt ids to resend after a backoff
    unknown: list[str] = field(default_factory=list)  # attempt ids Twilio may or may not have accepted
    next_due: float | None = None  # earliest due time left in cases_due

    def summary(self) -> str:
        return (
            f"claimed {len(self.claimed)}, placed {len(self.placed)}, deferred {len(self.deferred)}, "
            f"dropped {len(self.dropped)}, rejected {len(self.rejected)}, retrying {len(self.retrying)}"
        )


class Dialer:
    def __init__(
        self,
        client: redis.Redis,
        keys: KeySchema,
        placer: CallPlacer | None,
        settings: DialerSettings | None = None,
        seal: TinSeal | None = None,
    ):
        self.redis = client
        self.keys = keys
        self.placer = placer
        self.settings = settings or DialerSettings()
        self.store = Store(client, keys, seal)
        self.attempts = Attempts(client, keys)
        self.history = History(client, keys)
        self.rate = CallRate(client, keys, self.settings.max_cps)  # the ceiling across every worker
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        #: ivr.dialer.reconcile.Reconciler: asks Twilio about attempts with no final callback (else: reap).
        self.reconciler = None

    # --- entry points ----------------------------------------------------------------------------------------
    def tick(self, limit: int | None = None, on_claimed: Callable[[list[str]], None] | None = None) -> TickReport:
        """Dial the cases due now (at most one tick's worth); `on_claimed` runs before any call is placed."""
        now = clock.now()
        if self.reconciler is not None:
            self.reconciler.run(now)
        else:
            self.reap(now)
        token = new_lock_token()
        limit = limit or self.settings.tick_limit()
        claimed = self.attempts.claim(now, limit, self.settings.lease_seconds, token)
        if on_claimed is not None:
            on_claimed(claimed)  # e.g. hand the next batch to another worker while this one dials
        return self._process(claimed, token, now)

    def dial_cases(self, case_ids: Sequence[str]) -> TickReport:
        """Dial these cases now whatever their due time (still inside the calling rules and the per-case lock)."""
        now = clock.now()
        token = new_lock_token()
        claimed = self.attempts.claim(now, len(case_ids), self.settings.lease_seconds, token, case_ids=case_ids)
        return self._process(claimed, token, now)

    def resend(self, attempt_id: str) -> str:
        """Send an attempt Twilio refused for a moment; `placed`, `skipped`, `deferred`, `rejected` or `unknown`.

        Raises PlacementError(TRANSIENT) when Twilio refuses again, so the job's RQ Retry backs off and retries.
        """
        now = clock.now()
        if not self.attempts.take(attempt_id, now, from_state="pending"):
            return "skipped"  # placed, final, or being sent by someone else: never twice
        attempt = self.attempts.get(attempt_id)
        if attempt is None:
            return "skipped"
        if not self.settings.window.allows(attempt.to, datetime.fromtimestamp(now, UTC)):
            self._defer_unplaced(attempt, now, "outside the calling hours when Twilio accepted calls again")
            return "deferred"
        self._wait_for_slot(self.attempts.reserve_slots(now, 1, self.settings.max_cps) - now)
        slot = self.rate.acquire()
        try:
            call_sid = self._require_placer().place(CallRequest(attempt.attempt_id, attempt.to))
        except PlacementError as error:
            self.rate.release(slot)
            if error.failure is Failure.TRANSIENT:
                self.attempts.back_to_pending(attempt_id, str(error))
                raise
            if error.failure is Failure.PERMANENT:
                self.attempts.finish(attempt, self._rejection(attempt, str(error), clock.now()))
                return "rejected"
            return "unknown"
        self.rate.release(slot)
        self.attempts.placed(attempt_id, call_sid)
        return "placed"

    def give_up(self, attempt_id: str, error: str) -> None:
        """Twilio refused an attempt every time we resent it: count it as failed and let the retry rules decide."""
        attempt = self.attempts.get(attempt_id)
        if attempt is None or attempt.state != "pending":
            return
        self._settle_unplaced(
            attempt,
            Outcome.FAILED,
            call_status="not-accepted",
            outcome=Outcome.FAILED.value,
            now=clock.now(),
            summary=f"Outbound call to {attempt.who} not placed: Twilio kept refusing it ({error})",
        )

    def _defer_unplaced(self, attempt: Attempt, now: float, why: str) -> float:
        """Settle an attempt that may no longer be sent now; its case is due again at the returned moment."""
        try:
            due = self.settings.window.next_allowed(attempt.to, datetime.fromtimestamp(now, UTC)).timestamp()
        except ValueError:
            due = now  # no common window: the next tick defers or flags the case
        unanswered = int(self.attempts.dialing_state(attempt.case_id).get("unanswered") or 0)
        self.attempts.finish(
            attempt,
            Finish(
                call_status="not-placed",
                outcome="deferred",
                next_due=due,
                unanswered=unanswered,
                at=now,
                summary=f"Outbound call to {attempt.who} not placed: {why}; due {_fmt(due)}",
            ),
        )
        return due

    def reap(self, now: float) -> int:
        """Settle attempts whose REST request never came back (a worker died mid-request) and got no callback."""
        stale = self.attempts.stale_placing(now - self.settings.reap_after_seconds)
        for attempt_id in stale:
            attempt = self.attempts.get(attempt_id)
            if attempt is None:
                self.redis.zrem(self.keys.attempts_placing(), attempt_id)
                continue
            self._settle_unplaced(
                attempt,
                Outcome.NO_ANSWER,
                call_status="unknown",
                outcome="unconfirmed",
                now=now,
                summary=f"Outbound call to {attempt.who}: Twilio never confirmed it; treated as unanswered",
            )
        return len(stale)

    def _settle_unplaced(
        self, attempt: Attempt, counted_as: Outcome, call_status: str, outcome: str, now: float, summary: str
    ) -> None:
        """Finish an attempt no status callback will ever settle, counting it as unanswered for the retry rules."""
        unanswered = int(self.attempts.dialing_state(attempt.case_id).get("unanswered") or 0) + 1
        step = next_step(self.settings.policy, counted_as, unanswered, now)
        self.attempts.finish(
            attempt,
            Finish(
                call_status=call_status,
                outcome=outcome,
                next_due=step.at,
                unanswered=unanswered,
                at=now,
                summary=f"{summary}; {step.reason}",
                stop_reason=step.reason if step.at is None else "",
            ),
        )

    def next_due(self) -> float | None:
        first = self.redis.zrange(self.keys.cases_due(), 0, 0, withscores=True)
        return first[0][1] if first else None

    # --- the batch -------------------------------------------------------------------------------------------
    def _process(self, claimed: list[str], token: str, now: float) -> TickReport:
        report = TickReport(claimed=list(claimed))
        if claimed:
            plans, first_slot = self._plan(claimed, token, now, report)
            if plans:
                self._place(plans, now, first_slot, report)
        report.next_due = self.next_due()
        return report

    def _plan(self, case_ids: list[str], token: str, now: float, report: TickReport) -> tuple[list[Attempt], float]:
        """Read what the rules need in three pipelined round trips, decide per case, open attempts in one more."""
        policy = self.settings.policy
        pipe = self.redis.pipeline(transaction=False)
        for case_id in case_ids:
            pipe.hgetall(self.keys.case(case_id))
            pipe.hgetall(self.keys.case_dialing(case_id))
            since = now - policy.attempt_window_seconds
            pipe.zrangebyscore(self.keys.case_attempts(case_id), since, "+inf", withscores=True)
        rows = pipe.execute()
        raw = {cid: rows[i * 3 : i * 3 + 3] for i, cid in enumerate(case_ids)}

        cases = {}
        for case_id, (case_hash, _dialing, _recent) in raw.items():
            try:
                case = case_from_hash(case_id, case_hash, self.store.seal)
            except (KeyError, ValueError) as exc:
                report.dropped[case_id] = f"unreadable case record ({type(exc).__name__})"
                continue
            if case is None:
                report.dropped[case_id] = "no such case"
            elif not case.is_open:
                report.dropped[case_id] = "case closed"
            else:
                cases[case_id] = case

        # Authorizations and practitioners for the contact rule, batched across the whole tick.
        pipe = self.redis.pipeline(transaction=False)
        for case in cases.values():
            pipe.sunion([self.keys.taxpayer_authorizations(ref) for ref in self.store.seal.refs(case.tin.digits)])
        auth_ids = dict(zip(cases, pipe.execute(), strict=True))
        every_auth = sorted({a for ids in auth_ids.values() for a in ids})
        auth_keys = [self.keys.authorization(authorization_id) for authorization_id in every_auth]
        auth_rows = dict(zip(every_auth, read_hashes(self.redis, auth_keys), strict=True))
        today = datetime.fromtimestamp(now, UTC).date()
        poa_caf: dict[str, str] = {}
        for case_id, case in list(cases.items()):
            try:
                found = [authorization_from_hash(auth_rows[a]) for a in auth_ids[case_id] if auth_rows.get(a)]
            except (KeyError, ValueError) as exc:
                # It may be the valid POA: calling the taxpayer instead would break the contact rule.
                report.dropped[case_id] = f"unreadable authorization record ({type(exc).__name__})"
                del cases[case_id]
                continue
            poa = preferred_poa(found, case.periods, today)
            if poa is not None:
                poa_caf[case_id] = poa.caf
        cafs = sorted(set(poa_caf.values()))
        practitioner_keys = [self.keys.practitioner(caf) for caf in cafs]
        practitioners = dict(zip(cafs, read_hashes(self.redis, practitioner_keys), strict=True))

        # Decide per case; a record the rules cannot read takes that case off the list, never the tick down.
        to_call: list[tuple[str, str, str, str, str]] = []  # case_id, contact, kind, name, phone
        deferrals: list[tuple[str, float, str]] = []
        for case_id, case in cases.items():
            _case_hash, dialing, recent = raw[case_id]
            if case_id in poa_caf:
                caf = poa_caf[case_id]
                person = practitioners.get(caf) or {}
                if not person.get("phone"):
                    report.dropped[case_id] = f"the POA practitioner {caf} has no phone on file"
                    continue
                contact, kind, name, phone = caf, "practitioner", person.get("name", caf), person["phone"]
            else:
                contact, kind, name, phone = TAXPAYER_CONTACT, "taxpayer", "the taxpayer", case.taxpayer_phone
            try:
                deferral = self._deferral(phone, dialing, [score for _, score in recent], now)
            except (KeyError, ValueError) as exc:
                report.dropped[case_id] = f"unreadable dialing record ({type(exc).__name__}: {exc})"
                continue
            if deferral is not None:
                deferrals.append((case_id, *deferral))
            else:
                to_call.append((case_id, contact, kind, name, phone))

        crns = self.store.issue_crns([(case_id, contact) for case_id, contact, *_ in to_call]) if to_call else []
        plans = [
            Attempt(
                attempt_id=new_attempt_id(),
                case_id=case_id,
                contact=contact,
                contact_kind=kind,
                to=phone,
                crn=crn,
                state="placing",
                created_at=now,
                lock=token,
                contact_name=name,
            )
            for (case_id, contact, kind, name, phone), crn in zip(to_call, crns, strict=True)
        ]

        pipe = self.redis.pipeline(transaction=False)
        self.attempts.create_many(pipe, plans, now)
        for case_id, due, why in deferrals:
            report.deferred[case_id] = due
            pipe.zadd(self.keys.cases_due(), {case_id: due})
            pipe.hdel(self.keys.dialer_locks(), case_id)
            self.history.append(case_id, "call_deferred", f"Call deferred: {why}", pipe=pipe, at=now, due_at=due)
        for case_id, why in report.dropped.items():
            pipe.zrem(self.keys.cases_due(), case_id)
            pipe.hdel(self.keys.dialer_locks(), case_id)
            if why != "no such case":
                pipe.hset(self.keys.case_dialing(case_id), "stopped", why)
                if why != "case closed":
                    pipe.hset(self.keys.dialer_flagged(), case_id, why)
        if plans:
            self.attempts.reserve_slots(now, len(plans), self.settings.max_cps, pipe=pipe)
        results = pipe.execute()
        return plans, float(results[-1]) if plans else now

    def _deferral(
        self, phone: str, dialing: Mapping[str, str], recent: list[float], now: float
    ) -> tuple[float, str] | None:
        """(when, why) if the attempt limits or the callee's local hours say not now; None to call now."""
        policy, window = self.settings.policy, self.settings.window
        last_conversation = float(dialing["last_conversation_at"]) if dialing.get("last_conversation_at") else None
        earliest = earliest_attempt(policy, recent, last_conversation)
        if earliest > now:
            due = window.next_allowed(phone, datetime.fromtimestamp(earliest, UTC)).timestamp()
            return due, f"attempt limits (per 7 days / after a conversation); due {_fmt(due)}"
        when = datetime.fromtimestamp(now, UTC)
        if window.allows(phone, when):
            return None
        due = window.next_allowed(phone, when).timestamp()
        local = ", ".join(f"{when.astimezone(z):%H:%M} {z.key}" for z in zones_for(phone))
        return due, f"{local} is outside {window.start:%H:%M}–{window.end:%H:%M}; due {_fmt(due)}"

    def _place(self, attempts: list[Attempt], now: float, first_slot: float, report: TickReport) -> None:
        placer = self._require_placer()
        interval = 1.0 / self.settings.max_cps
        # Only the wait for slots other workers hold is capped; this batch's own slots follow each other exactly.
        lead = min(first_slot - now, MAX_SLOT_WAIT_SECONDS)
        started = time.monotonic()
        window = self.settings.window

        def send(index: int, attempt: Attempt) -> tuple[Attempt, str | PlacementError | None]:
            delay = started + lead + index * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if not window.allows(attempt.to, datetime.fromtimestamp(clock.now(), UTC)):
                return attempt, None  # the paced slot came after the callee's calling hours closed
            slot = self.rate.acquire()
            try:
                return attempt, placer.place(CallRequest(attempt.attempt_id, attempt.to))
            except PlacementError as error:
                return attempt, error
            except Exception as exc:  # noqa: BLE001 - a placer bug must not lose the batch's bookkeeping
                return attempt, PlacementError(Failure.UNKNOWN, f"placer failed: {type(exc).__name__}")
            finally:
                self.rate.release(slot)

        if self.settings.concurrency <= 1 or len(attempts) == 1:
            outcomes = [send(i, attempt) for i, attempt in enumerate(attempts)]
        else:
            outcomes = list(self._executor().map(send, range(len(attempts)), attempts))

        pipe = self.redis.pipeline(transaction=False)
        at = clock.now()
        late: list[Attempt] = []
        for attempt, result in outcomes:
            if result is None:
                late.append(attempt)
            elif isinstance(result, str):
                report.placed[attempt.attempt_id] = result
            elif result.failure is Failure.TRANSIENT:
                report.retrying.append(attempt.attempt_id)
                self.attempts.back_to_pending(attempt.attempt_id, str(result), pipe=pipe)
            elif result.failure is Failure.PERMANENT:
                report.rejected[attempt.attempt_id] = str(result)
                self.attempts.finish(attempt, self._rejection(attempt, str(result), at), pipe=pipe)
            else:
                report.unknown.append(attempt.attempt_id)
                log.warning("attempt %s: %s; left for the status callback or the reaper", attempt.attempt_id, result)
        self.attempts.placed_many(report.placed, pipe=pipe)
        pipe.execute()
        for attempt in late:
            report.deferred[attempt.case_id] = self._defer_unplaced(
                attempt, at, "its turn came after the calling hours"
            )

    def _rejection(self, attempt: Attempt, error: str, at: float) -> Finish:
        return Finish(
            call_status="rejected",
            outcome=Outcome.REJECTED.value,
            next_due=None,
            unanswered=0,
            at=at,
            summary=f"Outbound call to {attempt.who} refused by Twilio ({error}); case flagged, no retry",
            stop_reason="phone number refused",
            flag=f"{attempt.contact_kind} number {attempt.to} refused: {error}",
        )

    # --- plumbing --------------------------------------------------------------------------------------------
    def _require_placer(self) -> CallPlacer:
        if self.placer is None:
            raise RuntimeError("the dialer has no Twilio client (set TWILIO_ACCOUNT_SID/TOKEN and ACS_FROM_NUMBER)")
        return self.placer

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="acs-dial")
            return self._pool

    @staticmethod
    def _wait_for_slot(seconds: float) -> None:
        """Pace to the shared calls-per-second slots (bounded, so a skewed clock cannot stall a worker)."""
        if seconds > 0:
            time.sleep(min(seconds, MAX_SLOT_WAIT_SECONDS))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _fmt(epoch: float) -> str:
    return f"{datetime.fromtimestamp(epoch, UTC):%Y-%m-%d %H:%M} UTC"
