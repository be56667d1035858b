"""Call attempts in Redis: the per-case lock, claiming due cases, pacing, and idempotent outcomes.

An attempt moves `placing` → `placed` → `final` (or back to `pending` when Twilio refused it for a moment).
The REST request for an attempt is sent only by whoever moved it into `placing`, so a retried job, a second
worker or a restarted one never places the same attempt twice. Outcomes are written by one Lua script that
does nothing when the attempt is already final: duplicate and out-of-order status callbacks are harmless.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import redis

from ivr.cases.history import SYSTEM_ACTOR, encode_detail
from ivr.keys import KeySchema
from ivr.redis_conn import read_hashes

ATTEMPT_TTL_SECONDS = 30 * 86_400
#: Attempts.finish's answer when the case's unanswered streak moved since the outcome was judged: nothing written.
STALE_STREAK = -2
#: Attempts.finish's answer when the attempt's answer, message or key press is no longer the one the outcome was
#: judged on (a `Finish.seen` attempt, noted earlier): nothing written.
STALE_ATTEMPT = -3
#: Most attempts Attempts.seen remembers (the oldest are forgotten first; a forgotten one is read again).
SEEN_LIMIT = 4_096
DAY_COUNTERS_TTL_SECONDS = 40 * 86_400
#: Most stale attempts one reap settles (the rest wait for the next tick: a tick's reads stay bounded).
REAP_BATCH = 200

# Claim up to ARGV[2] cases: the given ids (ARGV[6..]) or those due by ARGV[1]. A case is skipped while another
# holder's lock is unexpired; a claimed one is locked and pushed a lease into the future so no tick sees it again.
# KEYS: cases_due, locks. ARGV: now, limit, lease, token, scan, ids…
_CLAIM = """
local now, limit, lease, token = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local candidates = {}
if #ARGV > 5 then
  for i = 6, #ARGV do candidates[#candidates + 1] = ARGV[i] end
else
  candidates = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[5]))
end
local claimed = {}
for _, id in ipairs(candidates) do
  if #claimed >= limit then break end
  local held = redis.call('HGET', KEYS[2], id)
  local free = true
  if held then
    local sep = string.find(held, '|', 1, true)
    local expires = sep and tonumber(string.sub(held, sep + 1)) or 0
    free = expires <= now
  end
  if free then
    redis.call('HSET', KEYS[2], id, token .. '|' .. string.format('%.3f', now + lease))
    redis.call('ZADD', KEYS[1], now + lease, id)
    claimed[#claimed + 1] = id
  end
end
return claimed
"""

# Reserve ARGV[2] calls-per-second slots shared by every worker; returns the first slot's time.
# KEYS: pace. ARGV: now, count, cps.
_RESERVE = """
local now, count, cps = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%.6f', start + count / cps), 'EX', 3600)
return string.format('%.6f', start)
"""

# Move an attempt from ARGV[1] to `placing` (only from that state); 1 when this caller now owns the REST request.
# KEYS: attempt, placing. ARGV: from_state, now, attempt_id.
_TAKE = """
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'placing', 'placing_since', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# One attempt opened in `placing`, with its CRN (both scripts below): its hash from the 10 FIELDS values at ARGV[a]
# (the crn's replaced by `crn`), in the case's attempt history, the placing and open sets.
_OPEN_ONE = """
local function open_one(placing, open, key, history, argv, a, crn, now, ttl)
  local id = argv[a]
  redis.call('HSET', key, 'case_id', argv[a + 1], 'contact', argv[a + 2], 'contact_kind', argv[a + 3],
    'to', argv[a + 4], 'crn', crn, 'created_at', argv[a + 6], 'lock', argv[a + 7],
    'contact_name', argv[a + 8], 'unanswered_at_open', argv[a + 9], 'state', 'placing', 'placing_since', now)
  redis.call('EXPIRE', key, ttl)
  redis.call('ZADD', history, argv[a + 6], id)
  redis.call('ZADD', placing, now, id)
  redis.call('ZADD', open, now, id)
end
"""

# Open a batch of attempts in `placing` (one script call, however many attempts: replies cost more than work).
# KEYS: placing, open, day counters, then per attempt: attempt, case_attempts.
# ARGV: now, ttl, day ttl, then per attempt the 10 FIELDS values.
_OPEN = (
    _OPEN_ONE
    + """
local now, ttl, n = ARGV[1], tonumber(ARGV[2]), 10
local opened = (#KEYS - 3) / 2
redis.call('HINCRBY', KEYS[3], 'opened', opened)
redis.call('EXPIRE', KEYS[3], ARGV[3])
for i = 0, opened - 1 do
  local a = 4 + i * n
  open_one(KEYS[1], KEYS[2], KEYS[4 + i * 2], KEYS[5 + i * 2], ARGV, a, ARGV[a + 5], now, ttl)
end
return opened
"""
)

# _OPEN for the attempts whose call the person's count took (persons.CallCounts.reserve, earlier on the same
# pipeline: the attempt id is in that calls key) and whose (case, contact) has a CRN on file (Store.queue_crns,
# also earlier: it is missing only when the number drawn was taken), written with that CRN. So a batch's counting,
# CRNs and opening cost one round trip; the caller opens the rest itself. Returns the attempt ids opened.
# KEYS: placing, open, day counters, then per attempt: attempt, case_attempts, calls key, case_crns.
# ARGV: now, ttl, day ttl, then per attempt the 10 FIELDS values (the crn's is not used).
_OPEN_RESERVED = (
    _OPEN_ONE
    + """
local now, ttl, n = ARGV[1], tonumber(ARGV[2]), 10
local opened = {}
for i = 0, (#KEYS - 3) / 4 - 1 do
  local a, id = 4 + i * n, ARGV[4 + i * n]
  local calls, crns = KEYS[6 + i * 4], KEYS[7 + i * 4]
  local crn = redis.call('HGET', crns, ARGV[a + 2])
  if crn and redis.call('ZSCORE', calls, id) then
    open_one(KEYS[1], KEYS[2], KEYS[4 + i * 4], KEYS[5 + i * 4], ARGV, a, crn, now, ttl)
    opened[#opened + 1] = id
  end
end
if #opened > 0 then
  redis.call('HINCRBY', KEYS[3], 'opened', #opened)
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return opened
"""
)

# Twilio accepted these calls. A status callback may have won the race and finalised one already: keep that.
# KEYS: placing, then per attempt: attempt, call_attempt. ARGV: ttl, then attempt_id, call_sid, … in the same order.
_PLACED = """
for i = 0, (#KEYS - 1) / 2 - 1 do
  local id, sid, key = ARGV[2 + i * 2], ARGV[3 + i * 2], KEYS[2 + i * 2]
  redis.call('ZREM', KEYS[1], id)
  local state = redis.call('HGET', key, 'state')
  if state then
    redis.call('HSETNX', key, 'call_sid', sid)
    redis.call('SET', KEYS[3 + i * 2], id, 'EX', ARGV[1])
    if state == 'placing' then redis.call('HSET', key, 'state', 'placed') end
  end
end
return (#KEYS - 1) / 2
"""

# A status callback before the final one names the call: keep its CallSid, so that an attempt whose worker died
# before it could write the CallSid down is still reconciled with the right call. KEYS: attempt, call_attempt.
# ARGV: attempt_id, call_sid, ttl, '1' to be answered the attempt's hash (else 1) when noted ({} when not).
_NOTE_SID = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'final' then return {} end
redis.call('HSETNX', KEYS[1], 'call_sid', ARGV[2])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])
if ARGV[4] == '1' then return redis.call('HGETALL', KEYS[1]) end
return 1
"""

# Twilio said "not now" (429/5xx): the call was not accepted, so the attempt may be sent again later.
# KEYS: attempt, placing. ARGV: attempt_id, error.
_PENDING = """
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], 'state') ~= 'placing' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'pending', 'last_error', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'api_retries', 1)
return 1
"""

# Note fields on an existing attempt (never create one from a forged id) and return all of it.
# KEYS: attempt. ARGV: field, value, ….
_NOTE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {} end
redis.call('HSET', KEYS[1], unpack(ARGV))
return redis.call('HGETALL', KEYS[1])
"""

# Record an attempt's outcome once and decide the case's next step, atomically.
# KEYS: attempt, case_dialing, cases_due, locks, case_history, placing, flagged, open, day counters, case[, the
#       person's conversations: noted with the outcome, so a conversation costs no round trips of its own].
# ARGV: attempt_id, case_id, call_sid, call_status, outcome, next_due ('' = stop), unanswered,
#       last_conversation ('' = unchanged), at, kind, actor, summary, detail, stop_reason, flag ('' = none), day ttl,
#       the unanswered streak the outcome was judged on ('' = any: else -2 and nothing written when it moved),
#       '1' when the outcome was judged on an attempt noted earlier (Attempts.seen: else ''), then its answered_by,
#       message_played and pressed as judged (-3 and nothing written when one of them changed since), '1' when the
#       conversations key was worked out from the case as read earlier (else ''), then the case's tin_ref as read
#       (-3 and nothing written when the case's person changed since)[, contact].
_FINISH = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state == 'final' then return 0 end
if ARGV[18] ~= '' then
  local seen = redis.call('HMGET', KEYS[1], 'answered_by', 'message_played', 'pressed')
  local played = seen[2] == '1' and '1' or ''
  if (seen[1] or '') ~= ARGV[19] or played ~= ARGV[20] or (seen[3] or '') ~= ARGV[21] then return -3 end
end
if ARGV[22] ~= '' and (redis.call('HGET', KEYS[10], 'tin_ref') or '') ~= ARGV[23] then return -3 end
if ARGV[17] ~= '' then
  local streak = redis.call('HGET', KEYS[2], 'unanswered')
  if not streak or streak == '' then streak = '0' end
  if streak ~= ARGV[17] then return -2 end
end
redis.call('HSET', KEYS[1], 'state', 'final', 'outcome', ARGV[5], 'call_status', ARGV[4], 'ended_at', ARGV[9])
if ARGV[3] ~= '' then redis.call('HSETNX', KEYS[1], 'call_sid', ARGV[3]) end
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('HSET', KEYS[2], 'unanswered', ARGV[7], 'last_outcome', ARGV[5], 'last_attempt', ARGV[1])
if ARGV[8] ~= '' then redis.call('HSET', KEYS[2], 'last_conversation_at', ARGV[8]) end
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[2])
  redis.call('HDEL', KEYS[2], 'stopped')
else
  redis.call('ZREM', KEYS[3], ARGV[2])
  redis.call('HSET', KEYS[2], 'stopped', ARGV[14])
end
if ARGV[15] ~= '' then redis.call('HSET', KEYS[7], ARGV[2], ARGV[15]) end
local mine = redis.call('HGET', KEYS[1], 'lock')
local held = redis.call('HGET', KEYS[4], ARGV[2])
if mine and held and string.sub(held, 1, #mine + 1) == mine .. '|' then redis.call('HDEL', KEYS[4], ARGV[2]) end
redis.call('XADD', KEYS[5], '*', 'at', ARGV[9], 'kind', ARGV[10], 'actor', ARGV[11], 'summary', ARGV[12],
  'detail', ARGV[13])
redis.call('HINCRBY', KEYS[9], 'outcome:' .. ARGV[5], 1)
redis.call('EXPIRE', KEYS[9], ARGV[16])
if KEYS[11] then redis.call('HSET', KEYS[11], ARGV[24], ARGV[8]) end
return 1
"""


@dataclass(frozen=True)
class Attempt:
    attempt_id: str
    case_id: str
    contact: str  # a CAF, or `taxpayer`
    contact_kind: str  # practitioner | taxpayer
    to: str
    crn: str
    state: str
    created_at: float
    lock: str = ""
    contact_name: str = ""
    call_sid: str | None = None
    answered_by: str | None = None
    message_played: bool = False
    pressed: str | None = None
    outcome: str | None = None
    placing_since: float = 0.0
    #: The case's unanswered streak when the dialer opened the attempt (None: not noted, or unreadable).
    unanswered_at_open: int | None = None
    #: Preview mode: the employee who clicked Call now, whom the live answer goes to ("" for every other call).
    employee: str = ""

    @property
    def for_practitioner(self) -> bool:
        return self.contact_kind == "practitioner"

    @property
    def who(self) -> str:
        """The callee as history lines name them."""
        if self.for_practitioner:
            return f"practitioner {self.contact_name} (CAF {self.contact})"
        return "the taxpayer"


@dataclass(frozen=True)
class Finish:
    """What `Attempts.finish` writes: the outcome, the next step and the history line."""

    call_status: str
    outcome: str
    next_due: float | None
    unanswered: int
    at: float
    summary: str
    call_sid: str = ""  # empty for an attempt Twilio never took
    conversation_at: float | None = None
    stop_reason: str = ""
    flag: str = ""
    detail: dict | None = None
    #: The person's conversations hash (facts.conversations_key): with conversation_at, noted there once, with it.
    conversations_key: str = ""
    #: The case's unanswered streak `unanswered` was judged on: written only if it still is (else STALE_STREAK).
    streak_was: int | None = None
    #: The attempt was noted earlier (Attempts.seen), not read now: written only if its answered_by, message_played
    #: and pressed are still that attempt's (else STALE_ATTEMPT).
    seen: Attempt | None = None
    #: conversations_key was worked out from the case as read earlier (Attempts.seen), whose tin_ref this was ('':
    #: none): written only if it still is (else STALE_ATTEMPT).
    case_ref: str | None = None


def utc_day(epoch: float) -> str:
    """The UTC date the day counters file an event under."""
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def new_attempt_id() -> str:
    return "AT" + secrets.token_hex(10)


def new_lock_token() -> str:
    return secrets.token_hex(8)


class Attempts:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys
        self._claim = client.register_script(_CLAIM)
        self._reserve = client.register_script(_RESERVE)
        self._take = client.register_script(_TAKE)
        self._placed = client.register_script(_PLACED)
        self._open = client.register_script(_OPEN)
        self._open_reserved = client.register_script(_OPEN_RESERVED)
        self._pending = client.register_script(_PENDING)
        self._finish = client.register_script(_FINISH)
        self._note = client.register_script(_NOTE)
        self._note_sid = client.register_script(_NOTE_SID)
        #: attempt id → the attempt as the answer or key-press webhook last noted it, so the final status callback
        #: writes its outcome without reading it again. Safe: an attempt's id is never reused and what the outcome
        #: is judged on never changes once it is opened, but for answered_by, message_played and pressed, which
        #: _FINISH compares with the hash (STALE_ATTEMPT: read again). Bounded by SEEN_LIMIT, oldest out first.
        self._seen: dict[str, Attempt] = {}
        #: attempt id (one of _seen's) → its case's hash as read at the answer: whose conversation it would be.
        #: Safe: _FINISH checks the case's tin_ref is still the one read (STALE_ATTEMPT: read again).
        self._seen_cases: dict[str, dict[str, str]] = {}

    # --- claiming and pacing -------------------------------------------------------------------------------
    def claim(
        self,
        now: float,
        limit: int,
        lease: float,
        token: str,
        case_ids: Sequence[str] = (),
        scan: int | None = None,
        pipe: redis.client.Pipeline | None = None,
    ) -> list[str]:
        """Lock up to `limit` cases (the given ones, or the due ones) for one tick (or queue that on `pipe`)."""
        return self._claim(
            keys=[self.keys.cases_due(), self.keys.dialer_locks()],
            args=[f"{now:.3f}", limit, lease, token, scan or limit * 2, *case_ids],
            client=pipe,
        )

    def reserve_slots(
        self, now: float, count: int, cps: float, pipe: redis.client.Pipeline | None = None
    ) -> float | redis.client.Pipeline:
        """First of `count` calls-per-second slots shared by every worker (a float, or queued on `pipe`)."""
        result = self._reserve(keys=[self.keys.dialer_pace()], args=[f"{now:.6f}", count, cps], client=pipe)
        return result if pipe is not None else float(result)

    # --- attempt lifecycle ---------------------------------------------------------------------------------
    def create(self, pipe: redis.client.Pipeline, attempt: Attempt, now: float) -> None:
        """Queue the writes that open an attempt in `placing` (the caller then sends the REST request)."""
        self.create_many(pipe, [attempt], now)

    def create_many(self, pipe: redis.client.Pipeline, attempts: Sequence[Attempt], now: float) -> None:
        """`create` for a whole batch, as one script call on `pipe`."""
        if not attempts:
            return
        keys = [self.keys.attempts_placing(), self.keys.attempts_open(), self.keys.dialer_day(utc_day(now))]
        args: list[str | int] = [f"{now:.3f}", ATTEMPT_TTL_SECONDS, DAY_COUNTERS_TTL_SECONDS]
        for a in attempts:
            keys += [self.keys.attempt(a.attempt_id), self.keys.case_attempts(a.case_id)]
            args += _open_values(a)
        self._open(keys=keys, args=args, client=pipe)

    def open_reserved(
        self, pipe: redis.client.Pipeline, attempts: Sequence[Attempt], now: float, calls_keys: Sequence[str]
    ) -> None:
        """Queue `create_many` for those of `attempts` whose call `calls_keys` (one per attempt: where
        CallCounts.reserve counts it) took and whose CRN was issued, both queued earlier on `pipe`; their `crn`
        is read from the case's CRNs. Its reply: the attempt ids opened."""
        keys = [self.keys.attempts_placing(), self.keys.attempts_open(), self.keys.dialer_day(utc_day(now))]
        args: list[str | int] = [f"{now:.3f}", ATTEMPT_TTL_SECONDS, DAY_COUNTERS_TTL_SECONDS]
        for a, calls_key in zip(attempts, calls_keys, strict=True):
            keys += [self.keys.attempt(a.attempt_id), self.keys.case_attempts(a.case_id)]
            keys += [calls_key, self.keys.case_crns(a.case_id)]
            args += _open_values(a)
        self._open_reserved(keys=keys, args=args, client=pipe)

    def take(self, attempt_id: str, now: float, from_state: str = "pending") -> bool:
        """Become the one sender of this attempt's REST request (False: someone else is or was)."""
        keys = [self.keys.attempt(attempt_id), self.keys.attempts_placing()]
        return bool(self._take(keys=keys, args=[from_state, f"{now:.3f}", attempt_id]))

    def placed(self, attempt_id: str, call_sid: str, pipe: redis.client.Pipeline | None = None) -> None:
        self.placed_many({attempt_id: call_sid}, pipe)

    def placed_many(self, call_sids: Mapping[str, str], pipe: redis.client.Pipeline | None = None) -> None:
        """Record the CallSids Twilio returned (attempt id → CallSid), as one script call."""
        if not call_sids:
            return
        keys = [self.keys.attempts_placing()]
        for attempt_id, call_sid in call_sids.items():
            keys += [self.keys.attempt(attempt_id), self.keys.call_attempt(call_sid)]
        args = [ATTEMPT_TTL_SECONDS, *(value for pair in call_sids.items() for value in pair)]
        self._placed(keys=keys, args=args, client=pipe)

    def note_employee(self, attempt_ids, username: str, pipe: redis.client.Pipeline) -> None:
        """Preview mode: these placed attempts' live answers go to `username` (queued on the placing record's
        pipeline, so it costs no round trip; the answer comes seconds after Twilio accepted the call)."""
        for attempt_id in attempt_ids:
            pipe.hset(self.keys.attempt(attempt_id), "employee", username)

    def note_call_sid(
        self, attempt_id: str, call_sid: str, pipe: redis.client.Pipeline | None = None, read: bool = False
    ) -> bool:
        """Keep the CallSid an early status callback names (False: unknown or already final attempt; with `pipe`,
        queued there and False). `read` (with `pipe`): its reply is the attempt's hash as a flat list, for `noted`
        (empty: not noted)."""
        keys = [self.keys.attempt(attempt_id), self.keys.call_attempt(call_sid)]
        args = [attempt_id, call_sid, ATTEMPT_TTL_SECONDS, "1" if read else ""]
        noted = self._note_sid(keys=keys, args=args, client=pipe)
        return bool(noted) and pipe is None

    def owner_of(self, call_sids: Sequence[str]) -> dict[str, str]:
        """The attempt that placed each call, where known (CallSid → attempt id)."""
        if not call_sids:
            return {}
        found = self.redis.mget([self.keys.call_attempt(sid) for sid in call_sids])
        return {sid: owner for sid, owner in zip(call_sids, found, strict=True) if owner}

    def back_to_pending(self, attempt_id: str, error: str, pipe: redis.client.Pipeline | None = None) -> None:
        keys = [self.keys.attempt(attempt_id), self.keys.attempts_placing()]
        self._pending(keys=keys, args=[attempt_id, error[:200]], client=pipe)

    def finish(
        self, attempt: Attempt, result: Finish, pipe: redis.client.Pipeline | None = None
    ) -> int | redis.client.Pipeline:
        """Write the outcome once: 1 written, 0 already final (a duplicate callback), -1 unknown attempt,
        STALE_STREAK nothing written (the case's streak is no longer `result.streak_was`)."""
        keys = [
            self.keys.attempt(attempt.attempt_id),
            self.keys.case_dialing(attempt.case_id),
            self.keys.cases_due(),
            self.keys.dialer_locks(),
            self.keys.case_history(attempt.case_id),
            self.keys.attempts_placing(),
            self.keys.dialer_flagged(),
            self.keys.attempts_open(),
            self.keys.dialer_day(utc_day(result.at)),
            self.keys.case(attempt.case_id),
        ]
        detail = {"attempt_id": attempt.attempt_id, "outcome": result.outcome, **(result.detail or {})}
        if result.call_sid:
            detail["call_sid"] = result.call_sid
        args = [
            attempt.attempt_id,
            attempt.case_id,
            result.call_sid,
            result.call_status,
            result.outcome,
            "" if result.next_due is None else f"{result.next_due:.3f}",
            result.unanswered,
            "" if result.conversation_at is None else f"{result.conversation_at:.3f}",
            f"{result.at:.3f}",
            "call_out",
            SYSTEM_ACTOR,
            result.summary,
            encode_detail(detail),
            result.stop_reason,
            result.flag,
            DAY_COUNTERS_TTL_SECONDS,
            "" if result.streak_was is None else str(result.streak_was),
            *_seen_values(result.seen),
            "" if result.case_ref is None else "1",
            result.case_ref or "",
        ]
        if result.conversations_key and result.conversation_at is not None:
            keys.append(result.conversations_key)
            args.append(attempt.contact)
        return self._finish(keys=keys, args=args, client=pipe)

    # --- answer webhook ------------------------------------------------------------------------------------
    def answered(
        self, attempt_id: str, answered_by: str, message_played: bool, pipe: redis.client.Pipeline | None = None
    ) -> Attempt | None:
        """Note who answered and return the attempt the answer belongs to (one round trip). With `pipe`, queued
        there: its reply goes to noted_attempt(attempt_id, reply)."""
        fields = ["answered_by", answered_by or "unknown"] + (["message_played", "1"] if message_played else [])
        if pipe is not None:
            self._note(keys=[self.keys.attempt(attempt_id)], args=fields, client=pipe)
            return None
        return self._note_fields(attempt_id, fields)

    def pressed(self, attempt_id: str, digits: str) -> Attempt | None:
        return self._note_fields(attempt_id, ["pressed", digits[:4]])

    def _note_fields(self, attempt_id: str, fields: list[str]) -> Attempt | None:
        return self.noted(attempt_id, self._note(keys=[self.keys.attempt(attempt_id)], args=fields))

    def noted(self, attempt_id: str, flat: list[str]) -> Attempt | None:
        """noted_attempt, remembered for the call's final status (see `seen`)."""
        attempt = noted_attempt(attempt_id, flat)
        if attempt is not None:
            seen = self._seen
            seen.pop(attempt_id, None)
            if len(seen) >= SEEN_LIMIT:
                with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # another thread took it first
                    oldest = next(iter(seen))
                    del seen[oldest]
                    self._seen_cases.pop(oldest, None)
            seen[attempt_id] = attempt
        return attempt

    def noted_case(self, attempt_id: str, case_hash: dict[str, str]) -> None:
        """Remember the case of an attempt noted here, as read at its answer, for the outcome (see `seen`)."""
        if attempt_id in self._seen:
            if len(self._seen_cases) >= SEEN_LIMIT:  # only if threads raced _seen's eviction: start over
                self._seen_cases.clear()
            self._seen_cases[attempt_id] = case_hash

    def noted_before(self, attempt_id: str) -> Attempt | None:
        """The attempt as this process last noted it, kept (see `seen`): only what never changes is to be relied on,
        and `employee`, if checked where it is used."""
        return self._seen.get(attempt_id)

    def seen(self, attempt_id: str) -> tuple[Attempt | None, dict[str, str] | None]:
        """The attempt as this process last noted it and its case's hash if read then (None: not here), forgotten
        now: a final status uses them once. Its outcome goes with Finish.seen and Finish.case_ref, so it is written
        only if the answer, key press and the case's person are still those."""
        return self._seen.pop(attempt_id, None), self._seen_cases.pop(attempt_id, None)

    # --- reads ---------------------------------------------------------------------------------------------
    def get(self, attempt_id: str) -> Attempt | None:
        return attempt_from_hash(attempt_id, self.redis.hgetall(self.keys.attempt(attempt_id)))

    def read(self, attempt_id: str, pipe: redis.client.Pipeline) -> None:
        """Queue `get`'s read on `pipe`; its reply goes to attempt_from_hash(attempt_id, reply)."""
        pipe.hgetall(self.keys.attempt(attempt_id))

    def for_case(self, case_id: str) -> list[Attempt]:
        """Every attempt on a case, oldest first."""
        ids = self.redis.zrange(self.keys.case_attempts(case_id), 0, -1)
        rows = read_hashes(self.redis, [self.keys.attempt(attempt_id) for attempt_id in ids])
        found = (attempt_from_hash(a, d) for a, d in zip(ids, rows, strict=True))
        return [attempt for attempt in found if attempt is not None]

    def dialing_state(self, case_id: str) -> dict[str, str]:
        return self.redis.hgetall(self.keys.case_dialing(case_id))

    def stale_placing(
        self, older_than: float, limit: int = REAP_BATCH, pipe: redis.client.Pipeline | None = None
    ) -> list[str]:
        """Up to `limit` attempts whose REST request started before `older_than` and never came back (a worker died);
        with `pipe`, queued there."""
        return (pipe or self.redis).zrangebyscore(self.keys.attempts_placing(), "-inf", older_than, 0, limit)

    def day_counts(self, day: str) -> dict[str, int]:
        """A UTC day's `opened` attempts and `outcome:{outcome}` counts: one small hash, not every case."""
        return {name: int(value) for name, value in self.redis.hgetall(self.keys.dialer_day(day)).items()}


def _seen_values(seen: Attempt | None) -> list[str]:
    """_FINISH's check of an attempt noted earlier: its answered_by, message_played and pressed as attempt_from_hash
    read them ('' for all four: no check)."""
    if seen is None:
        return ["", "", "", ""]
    return ["1", seen.answered_by or "", "1" if seen.message_played else "", seen.pressed or ""]


def _open_values(a: Attempt) -> list[str]:
    """An attempt's 10 values in the order _OPEN and _OPEN_RESERVED read them."""
    unanswered = "" if a.unanswered_at_open is None else str(a.unanswered_at_open)
    first = [a.attempt_id, a.case_id, a.contact, a.contact_kind, a.to, a.crn, f"{a.created_at:.3f}", a.lock]
    return [*first, a.contact_name, unanswered]


def noted_attempt(attempt_id: str, flat: list[str]) -> Attempt | None:
    """The attempt a _NOTE script returned (its hash as a flat list; empty when there is no such attempt)."""
    return attempt_from_hash(attempt_id, dict(zip(flat[::2], flat[1::2], strict=True)))


def attempt_from_hash(attempt_id: str, data: dict[str, str]) -> Attempt | None:
    if not data or "case_id" not in data:
        return None
    return Attempt(
        attempt_id=attempt_id,
        case_id=data["case_id"],
        contact=data.get("contact", ""),
        contact_kind=data.get("contact_kind", "taxpayer"),
        to=data.get("to", ""),
        crn=data.get("crn", ""),
        state=data.get("state", ""),
        created_at=float(data.get("created_at") or 0),
        lock=data.get("lock", ""),
        contact_name=data.get("contact_name", ""),
        call_sid=data.get("call_sid") or None,
        answered_by=data.get("answered_by") or None,
        message_played=data.get("message_played") == "1",
        pressed=data.get("pressed") or None,
        outcome=data.get("outcome") or None,
        placing_since=float(data.get("placing_since") or 0),
        unanswered_at_open=streak_of(data.get("unanswered_at_open")),
        employee=data.get("employee", ""),
    )


def streak_of(text: str | None) -> int | None:
    """A streak as the dialing state or an attempt keeps it ('' or absent: None; junk: None, so it is read)."""
    return int(text) if text and text.isascii() and text.isdigit() else None
