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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import redis

from ivr import clock
from ivr.cases.history import History
from ivr.cases.sealing import TinSeal
from ivr.cases.store import Store
from ivr.config import Config, number_setting
from ivr.dialer import compliance, facts
from ivr.dialer.attempts import Attempt, Attempts, Finish, new_attempt_id, new_lock_token, streak_of
from ivr.dialer.compliance_settings import ComplianceSettings
from ivr.dialer.persons import CallCounts, Reservation, read_refs
from ivr.dialer.placing import CallPlacer, CallRequest, Failure, PlacementError
from ivr.dialer.policy import Outcome, Policy, next_step
from ivr.dialer.prefetch import ClaimPrefetch
from ivr.dialer.rate import CallRate
from ivr.keys import KeySchema

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
    policy: Policy = field(default_factory=Policy)
    compliance: ComplianceSettings = field(default_factory=ComplianceSettings)

    @classmethod
    def from_config(cls, config: Config) -> DialerSettings:
        env: Mapping[str, str] = config.extra

        def get(name: str, default, kind=int):
            return number_setting(env, name, default, kind)

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
            policy=Policy.from_env(env),
            compliance=ComplianceSettings.from_env(env),
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
        self.call_counts = CallCounts(client, keys)
        self.history = History(client, keys)
        self.rate = CallRate(client, keys, self.settings.max_cps)  # the ceiling across every worker
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        #: ivr.dialer.reconcile.Reconciler: asks Twilio about attempts with no final callback (else: reap).
        self.reconciler = None
        #: Reads ahead for the next claim (ivr.dialer.prefetch): its round trip also reads facts.load's first two.
        self.prefetch = ClaimPrefetch(keys)

    # --- entry points ----------------------------------------------------------------------------------------
    def tick(
        self,
        limit: int | None = None,
        on_claimed: Callable[[list[str]], None] | None = None,
        settle: bool = True,
        on_placed: Callable[[redis.client.Pipeline, Mapping[str, str]], None] | None = None,
        settle_read: list[str] | None = None,
        hear_pickups: bool = False,
        on_sending: Callable[[Mapping[str, float]], None] | None = None,
    ) -> TickReport:
        """Dial the cases due now (at most one tick's worth); `on_claimed` runs before any call is placed;
        `settle=False` skips the reconcile/reap pass (a paced dialer ticking every second runs it every few
        seconds, not each time); `on_placed(pipe, placed)` queues the caller's own record of the calls Twilio
        accepted (attempt id → CallSid) on the pipeline that writes the dialer's, so both cost one round trip;
        `settle_read`: the settle pass's first read, when the caller already made it (queue_settle_read);
        `hear_pickups`: ask Twilio for each call's `answered` event (predictive pacing measures pickups);
        `on_sending(planned)`: a batch of several calls, before the first goes out (attempt id → when it is due to
        go out): its calls go out over up to a tick, and a person may answer one before the last is placed, so the
        caller's record must not wait for the batch's end (on_placed then runs even if none was placed)."""
        now = clock.now()
        if settle and self.reconciler is not None:
            self.reconciler.run(now, due=settle_read)
        elif settle:
            self.reap(now, stale=settle_read)
        token = new_lock_token()
        limit = limit or self.settings.tick_limit()
        pipe = self.redis.pipeline(transaction=False)
        self.attempts.claim(now, limit, self.settings.lease_seconds, token, pipe=pipe)
        queued = self.prefetch.queue_with_claim(pipe, now, limit)
        replies = pipe.execute()
        claimed = replies[0]
        read_ahead = self.prefetch.read_claim(queued, replies[1:])
        if on_claimed is not None:
            on_claimed(claimed)  # e.g. hand the next batch to another worker while this one dials
        return self._process(claimed, token, now, on_placed, read_ahead, hear_pickups, on_sending)

    def dial_cases(
        self,
        case_ids: Sequence[str],
        on_placed: Callable[[redis.client.Pipeline, Mapping[str, str]], None] | None = None,
    ) -> TickReport:
        """Dial these cases now whatever their due time (still inside the calling rules and the per-case lock);
        `on_placed` as for `tick` (a preview call notes its employee there: ivr.dialer.preview_calls)."""
        now = clock.now()
        token = new_lock_token()
        claimed = self.attempts.claim(now, len(case_ids), self.settings.lease_seconds, token, case_ids=case_ids)
        return self._process(claimed, token, now, on_placed)

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
        decision = self._decide_again(attempt, now)
        if not decision.allowed or decision.contact is None or decision.contact.phone != attempt.to:
            why = decision.reasons or "the contact changed"
            self._defer_unplaced(attempt, now, f"no longer allowed when Twilio accepted calls again ({why})", decision)
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

    def _decide_again(self, attempt: Attempt, now: float) -> compliance.Decision:
        """The engine's verdict on an attempt opened earlier (not counting the attempt itself)."""
        loaded, _errors = facts.load(self.redis, self.keys, [attempt.case_id], now, exclude={attempt.attempt_id})
        item = loaded.get(attempt.case_id)
        if item is None:
            return compliance.Decision(attempt.case_id, now, False, None, None, ())
        return compliance.evaluate(item.facts, now, self.settings.compliance)

    def _defer_unplaced(self, attempt: Attempt, now: float, why: str, decision: compliance.Decision) -> float:
        """Settle an attempt that may no longer be sent now; its case is due again at the returned moment."""
        # Never allowed again: due now, so the next tick takes the case off the list with the engine's reasons.
        due = decision.next_allowed if decision.next_allowed is not None else now
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

    def queue_settle_read(self, pipe: redis.client.Pipeline, now: float) -> None:
        """Queue the settle pass's first read (one reply, for tick's `settle_read`) on a round trip the caller makes
        anyway: a paced dialer reads it with its floor snapshot, a round trip fewer each time it settles."""
        if self.reconciler is not None:
            self.reconciler.queue_due(pipe, now)
        else:
            self.attempts.stale_placing(now - self.settings.reap_after_seconds, pipe=pipe)

    def reap(self, now: float, stale: list[str] | None = None) -> int:
        """Settle attempts whose REST request never came back (a worker died mid-request) and got no callback.
        `stale`: those attempts, when already read (queue_settle_read)."""
        if stale is None:
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
    def _process(
        self,
        claimed: list[str],
        token: str,
        now: float,
        on_placed=None,
        read_ahead=None,
        hear_pickups=False,
        on_sending=None,
    ) -> TickReport:
        report = TickReport(claimed=list(claimed))
        known = False
        if claimed:
            plans, first_slot, case_facts, granted = self._plan(claimed, token, now, report, read_ahead)
            if plans:
                known = self._place(
                    plans, now, first_slot, report, case_facts, on_placed, granted, hear_pickups, on_sending
                )
        if not known:
            report.next_due = self.next_due()
        return report

    def _plan(
        self, case_ids: list[str], token: str, now: float, report: TickReport, read_ahead=None
    ) -> tuple[list[Attempt], float, dict[str, compliance.Facts], str | None]:
        """Gather the facts in four pipelined round trips (the claim's read most of them ahead), ask the compliance
        engine per case, then count the calls, issue their CRNs, open the attempts and write the deferrals in one.
        A batch of one call also asks for its CPS slot there (the token, if granted: see _place)."""
        case_rows, person_rows = read_ahead or (None, None)
        loaded, unreadable = facts.load(
            self.redis, self.keys, case_ids, now, case_rows=case_rows, person_rows=person_rows
        )
        report.dropped.update(unreadable)
        to_call: list[tuple[str, str, str, str, str]] = []  # case_id, contact, kind, name, phone
        deferrals: list[tuple[str, float, str, str]] = []  # case_id, due, why, failed rules
        planned = facts.Planned()  # this batch's own calls count too (two cases of one person in one tick)
        for case_id, item in loaded.items():
            decision = compliance.screen(planned.add_to(item), now, self.settings.compliance)
            contact = decision.contact
            if decision.allowed and contact is not None:
                planned.note(item, contact.contact, now)
                to_call.append((case_id, contact.contact, contact.kind, contact.name, contact.phone))
            elif decision.next_allowed is None:
                report.dropped[case_id] = "case closed" if not item.case.is_open else decision.reasons
            else:
                why = f"{decision.reasons}; due {_fmt(decision.next_allowed)}"
                deferrals.append((case_id, decision.next_allowed, why, ",".join(decision.failed)))
        facts_by_case = {case_id: planned.add_to(item, skip_case=case_id) for case_id, item in loaded.items()}

        drafts = [
            Attempt(
                attempt_id=new_attempt_id(),
                case_id=case_id,
                contact=contact,
                contact_kind=kind,
                to=phone,
                crn="",  # issued on the same round trip (see _reserve)
                state="placing",
                created_at=now,
                lock=token,
                contact_name=name,
                unanswered_at_open=streak_of(loaded[case_id].dialing.get("unanswered") or "0"),
            )
            for case_id, contact, kind, name, phone in to_call
        ]
        pipe = self.redis.pipeline(transaction=False)
        self._reserve(pipe, drafts, loaded, now)
        self._queue_deferrals(pipe, deferrals, loaded, report, now)
        for case_id, why in report.dropped.items():
            pipe.zrem(self.keys.cases_due(), case_id)
            pipe.hdel(self.keys.dialer_locks(), case_id)
            if why != "no such case":
                pipe.hset(self.keys.case_dialing(case_id), "stopped", why)
                dialing = loaded[case_id].dialing if case_id in loaded else {}
                if facts.first_skip_today(pipe, self.keys, dialing, case_id, f"stopped:{why}", now):
                    self.history.append(case_id, "call_skipped", f"Dialer stopped: {why}", pipe=pipe, at=now)
                if why != "case closed":
                    pipe.hset(self.keys.dialer_flagged(), case_id, why)
        granted = self.rate.new_token() if len(drafts) == 1 else None
        if granted is not None:
            self.rate.try_acquire(granted, pipe=pipe)
        if drafts:
            self.attempts.reserve_slots(now, len(drafts), self.settings.max_cps, pipe=pipe)
        results = pipe.execute()
        if granted is not None and float(results[-2]) > 0:
            granted = None  # no slot free yet: _place waits for one as usual
        plans: list[Attempt] = []
        if drafts:
            plans, granted = self._reserved(drafts, results[: len(drafts) + 2], loaded, now, report, granted)
        return plans, float(results[-1]) if plans else now, facts_by_case, granted

    def _reserve(
        self, pipe: redis.client.Pipeline, drafts: list[Attempt], loaded: Mapping[str, facts.Loaded], now: float
    ) -> None:
        """Queue, on the plan's one write round trip: the calls counted against their persons atomically
        (ivr.dialer.persons: a call that another worker's call to the same person made unlawful meanwhile is
        refused), a CRN drawn for every call (a (case, contact) keeps its CRN, so a refused call's case gets the
        same one when it is called), then the attempts opened for the calls counted, with their CRNs (see
        Attempts.open_reserved). `_reserved` reads the replies."""
        if not drafts:
            return
        reservations = [
            Reservation(read_refs(loaded[a.case_id].case.tin), a.contact, a.attempt_id, now, len(calls))
            for a in drafts
            for calls in (loaded[a.case_id].facts.calls.get(a.contact, ()),)
        ]
        self.call_counts.reserve(reservations, now, pipe=pipe)
        self.store.queue_crns(pipe, [(a.case_id, a.contact) for a in drafts])
        self.attempts.open_reserved(pipe, drafts, now, [self.call_counts.calls_key(r) for r in reservations])

    def _reserved(
        self,
        drafts: list[Attempt],
        replies: list,
        loaded: Mapping[str, facts.Loaded],
        now: float,
        report: TickReport,
        granted: str | None,
    ) -> tuple[list[Attempt], str | None]:
        """The attempts _reserve's round trip opened (or that must be opened still: their CRN draw hit a number
        taken, drawn again here), with their CRNs; a refused call's case is due again now, for the engine to
        judge. Only in those rare cases is there another round trip. Returns the plans and the CPS slot token
        still held for a batch of one."""
        refused, opened = set(replies[0]), set(replies[-1])
        pairs = [(a.case_id, a.contact) for a in drafts]
        crns = self.store.crns_from(replies[1:-1], pairs)
        plans = [replace(a, crn=crn) for a, crn in zip(drafts, crns, strict=True) if a.attempt_id not in refused]
        unopened = [a for a in plans if a.attempt_id not in opened]
        why = "another worker called the same person meanwhile"
        late = [(a.case_id, now, why, "concurrent") for a in drafts if a.attempt_id in refused]
        if unopened or late:
            pipe = self.redis.pipeline(transaction=False)
            self.attempts.create_many(pipe, unopened, now)
            self._queue_deferrals(pipe, late, loaded, report, now)
            if granted is not None and not plans:
                self.rate.release(granted, pipe=pipe)  # its one call was refused: the slot goes back at once
                granted = None
            pipe.execute()
        return plans, granted

    def _queue_deferrals(
        self,
        pipe: redis.client.Pipeline,
        deferrals: list[tuple[str, float, str, str]],
        loaded: Mapping[str, facts.Loaded],
        report: TickReport,
        now: float,
    ) -> None:
        """Put each deferred case back in line at its due time (its history says why, once a day per reason)."""
        for case_id, due, why, failed in deferrals:
            report.deferred[case_id] = due
            pipe.zadd(self.keys.cases_due(), {case_id: due})
            pipe.hdel(self.keys.dialer_locks(), case_id)
            if facts.first_skip_today(pipe, self.keys, loaded[case_id].dialing, case_id, failed, now):
                self.history.append(case_id, "call_deferred", f"Call deferred: {why}", pipe=pipe, at=now, due_at=due)

    def _place(
        self,
        attempts: list[Attempt],
        now: float,
        first_slot: float,
        report: TickReport,
        case_facts: Mapping[str, compliance.Facts],
        on_placed=None,
        granted: str | None = None,
        hear_pickups: bool = False,
        on_sending=None,
    ) -> bool:
        """Send the calls, record what came of them; True when report.next_due was read with the records.

        `granted`: a CPS slot the plan's round trip already took for the first call. It is used when that call
        goes out at once (the slot is still taken before the request and given back after it); a call that must
        first wait for its paced turn gives it back and asks again after the wait, holding no slot meanwhile."""
        placer = self._require_placer()
        interval = 1.0 / self.settings.max_cps
        # Only the wait for slots other workers hold is capped; this batch's own slots follow each other exactly.
        lead = min(first_slot - now, MAX_SLOT_WAIT_SECONDS)
        if granted is not None and lead > 0:
            self.rate.release(granted)
            granted = None
        sending_ahead = on_sending is not None and len(attempts) > 1
        if sending_ahead:
            at = clock.now() + max(lead, 0.0)
            on_sending({attempt.attempt_id: at + i * interval for i, attempt in enumerate(attempts)})
        started = time.monotonic()
        rules = self.settings.compliance

        # Sent one after another, the last call's slot is given back on the pipeline that records the batch, its
        # first command: no one waits for that slot in between, and it saves a round trip per batch.
        sequential = self.settings.concurrency <= 1 or len(attempts) == 1
        release_later: list[str] = []

        def send(index: int, attempt: Attempt) -> tuple[Attempt, str | PlacementError | None]:
            delay = started + lead + index * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            early = granted if index == 0 else None
            if not compliance.allows(case_facts[attempt.case_id], clock.now(), rules):
                if early is not None:
                    self.rate.release(early)
                return attempt, None  # the paced slot came after the engine's rules closed (e.g. calling hours)
            slot = early or self.rate.acquire()
            try:
                outcome: str | PlacementError = placer.place(CallRequest(attempt.attempt_id, attempt.to, hear_pickups))
            except PlacementError as error:
                outcome = error
            except Exception as exc:  # noqa: BLE001 - a placer bug must not lose the batch's bookkeeping
                outcome = PlacementError(Failure.UNKNOWN, f"placer failed: {type(exc).__name__}")
            except BaseException:
                self.rate.release(slot)
                raise
            if sequential and index == len(attempts) - 1:
                release_later.append(slot)
            else:
                self.rate.release(slot)
            return attempt, outcome

        if sequential:
            outcomes = [send(i, attempt) for i, attempt in enumerate(attempts)]
        else:
            outcomes = list(self._executor().map(send, range(len(attempts)), attempts))

        pipe = self.redis.pipeline(transaction=False)
        for slot in release_later:
            self.rate.release(slot, pipe=pipe)
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
        if on_placed is not None and (report.placed or sending_ahead):
            on_placed(pipe, report.placed)
        ahead = self.prefetch.queue_cases(pipe)  # whose records the next claim reads too
        pipe.zrange(self.keys.cases_due(), 0, 0, withscores=True)  # the next due time, in the same round trip
        replies = pipe.execute()
        self.prefetch.read_cases(ahead, replies[len(replies) - 1 - len(ahead) : -1])
        first = replies[-1]
        for attempt in late:
            decision = compliance.evaluate(case_facts[attempt.case_id], at, rules)
            report.deferred[attempt.case_id] = self._defer_unplaced(
                attempt, at, f"its turn came when the rules no longer allowed it ({decision.reasons})", decision
            )
        if late:
            return False
        report.next_due = first[0][1] if first else None
        return True

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
