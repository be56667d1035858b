"""Every Redis key name acs-ivr uses, in one place (after ru102py's key_schema).

Nothing else builds key strings, Lua scripts included: they receive their keys from here through KEYS[].
Key names never contain an SSN/EIN; taxpayers are addressed by `TinSeal.ref(digits)`, a digest keyed by ACS_DATA_KEY.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeySchema:
    prefix: str = "acs"

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # --- cases -------------------------------------------------------------------------------------------
    def case(self, case_id: str) -> str:
        """acs:case:{case_id} — hash: type, tin_kind/last4/ref/sealed, taxpayer name/phone, periods, balance, status,
        opened_at; small enough to stay a listpack/ziplist (~600 bytes a case with its indexes)."""
        return self._key("case", case_id)

    def case_ids(self) -> str:
        """acs:cases — set of every case id."""
        return self._key("cases")

    def cases_due(self) -> str:
        """acs:cases:due — sorted set: case id → epoch seconds when the case is next due for a call."""
        return self._key("cases", "due")

    def case_history(self, case_id: str) -> str:
        """acs:case:{case_id}:history — stream: the case's append-only history (kind, actor, summary, detail).

        Created by the first entry after the import: the import itself is the case hash's `opened_at` field.
        """
        return self._key("case", case_id, "history")

    def case_crns(self, case_id: str) -> str:
        """acs:case:{case_id}:crns — hash: CAF (or `taxpayer`) → CRN issued for that contact."""
        return self._key("case", case_id, "crns")

    # --- taxpayers -----------------------------------------------------------------------------------------
    def taxpayer_cases(self, tin_ref: str) -> str:
        """acs:taxpayers:{ref[:4]} — hash bucket (one of 65,536, each small enough to stay a listpack/ziplist):
        field `c:{tin_ref}` (taxpayer_cases_field) → the taxpayer's case ids, space-separated (inbound matching).

        One key per taxpayer would cost ~200 bytes each at a million taxpayers; a field in a bucket costs ~40.
        """
        return self._key("taxpayers", tin_ref[:4])

    @staticmethod
    def taxpayer_cases_field(tin_ref: str) -> str:
        """The field of `taxpayer_cases(tin_ref)` that lists that taxpayer's case ids."""
        return "c:" + tin_ref

    def taxpayer_authorizations(self, tin_ref: str) -> str:
        """acs:taxpayer:{tin_ref}:authorizations — set of authorization ids on file for one taxpayer."""
        return self._key("taxpayer", tin_ref, "authorizations")

    # --- practitioners and authorizations ------------------------------------------------------------------
    def practitioner(self, caf: str) -> str:
        """acs:practitioner:{caf} — hash: name, firm, phone."""
        return self._key("practitioner", caf)

    def practitioner_cafs(self) -> str:
        """acs:practitioners — set of every CAF."""
        return self._key("practitioners")

    def practitioner_authorizations(self, caf: str) -> str:
        """acs:practitioner:{caf}:authorizations — set of authorization ids held by one practitioner."""
        return self._key("practitioner", caf, "authorizations")

    def authorization(self, authorization_id: str) -> str:
        """acs:authorization:{id} — hash: caf, tin_ref, tin_sealed, form, periods, received, revoked."""
        return self._key("authorization", authorization_id)

    def authorization_pattern(self) -> str:
        """acs:authorization:* — SCAN pattern for every authorization hash (offline maintenance only: acs rekey)."""
        return self._key("authorization", "*")

    def rekey_progress(self) -> str:
        """acs:rekey — hash: to/from key ids, phase, SCAN cursor and counts of the rotation `acs rekey` is running."""
        return self._key("rekey")

    # --- CRNs ------------------------------------------------------------------------------------------------
    def crn(self, crn: str) -> str:
        """acs:crn:{crn} — hash: case_id, contact (CAF or `taxpayer`), issued_at."""
        return self._key("crn", crn)

    # --- imports -------------------------------------------------------------------------------------------
    def import_lease(self, kind: str) -> str:
        """acs:import:{kind}:lease — string, TTL 30 s renewed while running: token of the one import of `kind`."""
        return self._key("import", kind, "lease")

    def import_job(self, kind: str, file_digest: str) -> str:
        """acs:import:{kind}:{sha256 of the file} — hash, TTL 7 days: chunk size, last committed chunk, created.

        Lets a re-run of the same file after a crash resume after the last committed chunk; deleted when done.
        """
        return self._key("import", kind, file_digest)

    # --- calls -----------------------------------------------------------------------------------------------
    def call(self, call_sid: str) -> str:
        """acs:call:{CallSid} — hash, TTL 2 days: inbound caller context (state, case_id, entered_at, attempts)."""
        return self._key("call", call_sid)

    def agent_bridge(self, agent_call_sid: str) -> str:
        """acs:agent-call:{CallSid} — string, TTL 2 days: CallSid of the caller bridged to this employee leg."""
        return self._key("agent-call", agent_call_sid)

    def queue_waiting(self, queue_name: str) -> str:
        """acs:queue:{name}:waiting — sorted set: CallSid → epoch seconds the caller entered the queue."""
        return self._key("queue", queue_name, "waiting")

    def queue_stats(self, queue_name: str) -> str:
        """acs:queue:{name}:stats — hash: counters by queue result (bridged, hangup, …) and total wait seconds."""
        return self._key("queue", queue_name, "stats")

    # --- console: employees, audit, letters (ivr/employees.py, ivr/audit.py, ivr/console/) -----------------
    def employee(self, username: str) -> str:
        """acs:employee:{username} — hash: name, role, phone (number or client:identity), password_hash."""
        return self._key("employee", username)

    def employee_names(self) -> str:
        """acs:employees — set of every employee username."""
        return self._key("employees")

    def sign_in_failures(self, username: str, address: str) -> str:
        """acs:employee:{username}:failures:{address} — string counter, TTL = lockout window: failed sign-ins to
        one username from one client address (a stranger elsewhere cannot lock the employee out)."""
        return self._key("employee", username, "failures", address)

    def address_sign_in_failures(self, address: str) -> str:
        """acs:sign-in:failures:{address} — string counter, TTL = lockout window: failed sign-ins from an address."""
        return self._key("sign-in", "failures", address)

    def console_session(self, session_id: str) -> str:
        """acs:console-session:{id} — string, TTL = idle timeout: the signed-in username; deleted at sign-out."""
        return self._key("console-session", session_id)

    def crn_lookups(self, username: str) -> str:
        """acs:employee:{username}:crn-lookups — string counter, TTL 60 s: CRN lookups this minute."""
        return self._key("employee", username, "crn-lookups")

    def employee_agent_call(self, username: str) -> str:
        """acs:employee:{username}:agent-call — string, TTL 2 days: CallSid of the employee's latest agent leg."""
        return self._key("employee", username, "agent-call")

    def audit_log(self) -> str:
        """acs:audit — stream (capped ~1,000,000): employee, case_id, action, detail; never an SSN/EIN."""
        return self._key("audit")

    def letter(self, letter_id: str) -> str:
        """acs:letter:{id} — hash: case_id, action, title, created_at, employee, filename, pdf (base64)."""
        return self._key("letter", letter_id)

    def case_letters(self, case_id: str) -> str:
        """acs:case:{case_id}:letters — sorted set: letter id → epoch seconds generated."""
        return self._key("case", case_id, "letters")

    # --- dialer (ivr/attempts.py, ivr/dialer.py, workers/) -------------------------------------------------
    def attempt(self, attempt_id: str) -> str:
        """acs:attempt:{id} — hash, TTL 30 days: one call attempt (case, contact, to, crn, state, call_sid, outcome)."""
        return self._key("attempt", attempt_id)

    def case_attempts(self, case_id: str) -> str:
        """acs:case:{case_id}:attempts — sorted set: attempt id → epoch seconds placed (rolling-window rule)."""
        return self._key("case", case_id, "attempts")

    def case_dialing(self, case_id: str) -> str:
        """acs:case:{case_id}:dialing — hash: unanswered streak, last outcome/conversation, flag, stop reason."""
        return self._key("case", case_id, "dialing")

    def dialer_locks(self) -> str:
        """acs:dialer:locks — hash: case id → `token|expires_at`: the per-case lock held while a call is in flight."""
        return self._key("dialer", "locks")

    def attempts_placing(self) -> str:
        """acs:dialer:placing — sorted set: attempt id → epoch seconds its REST request started (crash recovery)."""
        return self._key("dialer", "placing")

    def attempts_open(self) -> str:
        """acs:dialer:open — sorted set: attempt id → epoch seconds it is next checked against Twilio (not final)."""
        return self._key("dialer", "open")

    def call_attempt(self, call_sid: str) -> str:
        """acs:call-attempt:{CallSid} — string, TTL 30 days: the attempt that placed this call (reconciliation)."""
        return self._key("call-attempt", call_sid)

    def dialer_scheduler_lease(self) -> str:
        """acs:dialer:scheduler-lease — string, TTL ~10 s: the worker that moves due RQ jobs onto the queues."""
        return self._key("dialer", "scheduler-lease")

    def dialer_pace(self) -> str:
        """acs:dialer:pace — string: epoch seconds of the next free calls-per-second slot, shared by all workers."""
        return self._key("dialer", "pace")

    def dialer_rate(self) -> str:
        """acs:dialer:rate — sorted set, short TTL: CPS slot token → Redis TIME when it stops counting."""
        return self._key("dialer", "rate")

    def dialer_rate_last(self) -> str:
        """acs:dialer:rate:last — string, short TTL: Redis TIME of the last CPS slot granted."""
        return self._key("dialer", "rate", "last")

    def dialer_next_tick(self) -> str:
        """acs:dialer:next-tick — string: epoch seconds of the tick already scheduled (one pending tick at a time)."""
        return self._key("dialer", "next-tick")

    def dialer_day(self, day: str) -> str:
        """acs:dialer:day:{YYYY-MM-DD} — hash, TTL 40 days: `opened` attempts and `outcome:{outcome}` counts for one
        UTC day (the campaign view reads these instead of every case's history)."""
        return self._key("dialer", "day", day)

    def dialer_flagged(self) -> str:
        """acs:dialer:flagged — hash: case id → why the dialer stopped on it (invalid number, …)."""
        return self._key("dialer", "flagged")

    def case_action_lock(self, case_id: str) -> str:
        """acs:case:{case_id}:action-lock — string, TTL 30 s: held while an employee's action is checked and written."""
        return self._key("case", case_id, "action-lock")

    # --- the floor: employee state, live answers, abandonment and pacing figures (ivr/dialer/floor.py) ---------
    def floor_employee(self, username: str) -> str:
        """acs:floor:employee:{username} — hash: state, since, phone, line (agent CallSid), call context, wrap_until."""
        return self._key("floor", "employee", username)

    def floor_states(self) -> str:
        """acs:floor:states — hash: username → state (every signed-in employee; the floor view reads it whole)."""
        return self._key("floor", "states")

    def floor_ready(self) -> str:
        """acs:floor:ready — sorted set: username → epoch seconds the employee became ready."""
        return self._key("floor", "ready")

    def floor_wrap(self) -> str:
        """acs:floor:wrap — sorted set: username → epoch seconds the employee's wrap-up ends at the latest."""
        return self._key("floor", "wrap")

    def floor_talking(self) -> str:
        """acs:floor:talking — sorted set: username → epoch seconds the current call was bridged."""
        return self._key("floor", "talking")

    def floor_line(self, agent_call_sid: str) -> str:
        """acs:floor:line:{CallSid} — string, TTL 1 day: the employee whose phone leg this is."""
        return self._key("floor", "line", agent_call_sid)

    def floor_live(self, call_sid: str) -> str:
        """acs:floor:live:{CallSid} — hash, TTL 1 day: a live answer's attempt, campaign and answer time."""
        return self._key("floor", "live", call_sid)

    def floor_waiting(self) -> str:
        """acs:floor:waiting — sorted set: CallSid of a live answer (or an inbound caller sent to the floor's queue)
        waiting for an employee → answer (enqueue) time; members the paced tick finds older than its in-flight
        horizon are forgotten (their queue action was lost)."""
        return self._key("floor", "waiting")

    def floor_in_flight(self, campaign: str) -> str:
        """acs:floor:{campaign}:in-flight — sorted set: attempt id → epoch seconds placed (a batch of several: when
        each is due to go out, written before the first does), until answered/ended."""
        return self._key("floor", campaign, "in-flight")

    def floor_picked_up(self, campaign: str) -> str:
        """acs:floor:{campaign}:picked-up — sorted set: attempt id → epoch seconds the callee picked up (Twilio's
        `answered` status event), for in-flight calls whose answering-machine verdict has not come yet. No TTL: an
        entry is written only while its call is in flight, removed when the call resolves, and trimmed by the
        pacer's snapshot STALE_IN_FLIGHT_SECONDS after the pickup if its callbacks were lost."""
        return self._key("floor", campaign, "picked-up")

    def floor_day(self, campaign: str, day: str) -> str:
        """acs:floor:{campaign}:day:{YYYY-MM-DD} — hash, TTL 40 days: placed, human, machine, abandoned, connected,
        amd_false_positive, talk_seconds, wait_seconds … counters for one campaign day."""
        return self._key("floor", campaign, "day", day)

    def floor_hour(self, campaign: str, hour: int) -> str:
        """acs:floor:{campaign}:hour:{epoch hour} — hash, TTL 8 days: answer/ring/talk sums for the pacing estimates."""
        return self._key("floor", campaign, "hour", str(hour))

    def floor_campaign(self, campaign: str) -> str:
        """acs:floor:{campaign}:settings — hash: mode (preview|progressive|predictive|message), dial level."""
        return self._key("floor", campaign, "settings")

    # --- compliance (ivr/dialer/compliance.py, facts.py, dnc.py) ---------------------------------------------
    def dnc_numbers(self) -> str:
        """acs:dnc:numbers — hash: E.164 number → JSON {who, how, at, reason}: never call this number."""
        return self._key("dnc", "numbers")

    def dnc_persons(self) -> str:
        """acs:dnc:persons — hash: taxpayer tin_ref → JSON {who, how, at, reason}: the person asked to stop calls."""
        return self._key("dnc", "persons")

    def taxpayer_wrong_numbers(self, tin_ref: str) -> str:
        """acs:taxpayer:{tin_ref}:wrong-numbers — hash: E.164 → JSON {who, how, at}: numbers retired as wrong."""
        return self._key("taxpayer", tin_ref, "wrong-numbers")

    def contact_calls(self, tin_ref: str, contact: str) -> str:
        """acs:taxpayer:{tin_ref}:calls:{contact} — sorted set, TTL 30 days: attempt id → epoch placed (Reg F count
        per person per debt; contact is `taxpayer` or the representative's CAF)."""
        return self._key("taxpayer", tin_ref, "calls", contact)

    def taxpayer_called(self, tin_ref: str) -> str:
        """acs:taxpayer:{tin_ref}:called — set, TTL 31 days: the contacts (`taxpayer`, CAFs) that have a
        `contact_calls` key for this person, so `acs rekey` can move them all without a SCAN."""
        return self._key("taxpayer", tin_ref, "called")

    def taxpayer_conversations(self, tin_ref: str) -> str:
        """acs:taxpayer:{tin_ref}:conversations — hash: contact (`taxpayer` or CAF) → epoch of the last conversation."""
        return self._key("taxpayer", tin_ref, "conversations")

    def case_stated_times(self, case_id: str) -> str:
        """acs:case:{case_id}:stated-times — hash: contact → JSON inconvenient times the person stated."""
        return self._key("case", case_id, "stated-times")
