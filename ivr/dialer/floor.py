"""The floor: employee state (ready, on a call, wrap-up, away), live answers, and the figures pacing reads.

The state machine is a handful of pure rules (`next_state`); `Floor` is the small Redis repository that applies
them and keeps the counters the predictive pacer and the manager's floor view need: per campaign per day (placed,
human and machine answers, connected, abandoned, AMD false positives, talk seconds, waits) and per campaign per
hour (ring times, answer mix, talk and wrap-up times). Every read the pacer makes is one pipelined round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

import redis

from ivr.config import ConfigError, number_setting
from ivr.dialer.pacing import PREVIEW
from ivr.keys import KeySchema

DAY_TTL_SECONDS = 40 * 86_400
HOUR_TTL_SECONDS = 8 * 86_400
LINE_TTL_SECONDS = 86_400
ROLLING_DAYS = 30
DEFAULT_CAMPAIGN = "default"
#: A live answer not connected within this many seconds is abandoned (FTC TSR, 16 CFR 310.4(b)(4)(iii)).
ABANDON_AFTER_SECONDS = 2.0


@dataclass(frozen=True)
class FloorSettings:
    """The floor's knobs, read from ACS_* variables (README "The floor")."""

    wrap_seconds: float = 30.0
    campaign: str = DEFAULT_CAMPAIGN
    max_abandon_percent: float = 3.0
    lines_per_employee: float = 3.0
    renew_seconds: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FloorSettings:
        """The settings, or ConfigError naming the one bad setting (each read checks its own bound)."""
        d = cls()
        settings = cls(
            wrap_seconds=number_setting(env, "ACS_WRAP_UP_SECONDS", d.wrap_seconds, minimum=0),
            campaign=env.get("ACS_CAMPAIGN") or d.campaign,
            max_abandon_percent=number_setting(env, "ACS_MAX_ABANDON_PERCENT", d.max_abandon_percent),
            lines_per_employee=number_setting(env, "ACS_LINES_PER_EMPLOYEE", d.lines_per_employee, minimum=1),
            renew_seconds=number_setting(env, "ACS_AGENT_RENEW_SECONDS", d.renew_seconds, int, minimum=5),
        )
        if not 0 <= settings.max_abandon_percent <= 100:
            raise ConfigError(f"ACS_MAX_ABANDON_PERCENT must be between 0 and 100, not {settings.max_abandon_percent}")
        return settings

    def floor(self, client: redis.Redis, keys: KeySchema) -> Floor:
        return Floor(client, keys, self.wrap_seconds, self.campaign)


class State(StrEnum):
    READY = "ready"
    ON_CALL = "on-call"
    WRAP_UP = "wrap-up"
    AWAY = "away"


class Event(StrEnum):
    READY = "ready"  # the Ready button, or the phone leg waiting in the queue again
    AWAY = "away"  # the Away button, or the employee's phone hung up
    BRIDGED = "bridged"  # a caller was connected to the employee
    CALL_ENDED = "call-ended"  # the bridged caller hung up
    WRAP_TIMEOUT = "wrap-timeout"  # ACS_WRAP_UP_SECONDS passed


_TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.AWAY, Event.READY): State.READY,
    (State.READY, Event.READY): State.READY,
    (State.WRAP_UP, Event.READY): State.READY,
    (State.WRAP_UP, Event.WRAP_TIMEOUT): State.READY,
    (State.READY, Event.BRIDGED): State.ON_CALL,
    (State.WRAP_UP, Event.BRIDGED): State.ON_CALL,
    (State.AWAY, Event.BRIDGED): State.ON_CALL,
    (State.ON_CALL, Event.CALL_ENDED): State.WRAP_UP,
}


def next_state(current: State, event: Event) -> State:
    """The state after `event`; Away always wins, and an event that does not apply leaves the state alone."""
    if event is Event.AWAY:
        return State.AWAY
    return _TRANSITIONS.get((current, event), current)


@dataclass(frozen=True)
class EmployeeState:
    username: str
    state: State
    since: float
    line: str = ""  # CallSid of the employee's phone leg, when one is up
    kind: str = ""  # inbound | outbound, while on a call
    wrap_until: float | None = None
    call: Mapping[str, str] = field(default_factory=dict)  # the bridged case: case_id, crn, who, why, call_sid
    joining: bool = False  # Ready was clicked and the phone is ringing
    away_after: bool = False  # Away was clicked during a call: away when it ends
    own_until: float | None = None  # preview mode: Call now clicked, their leg keeps to their own queue till then

    def seconds_in_state(self, now: float) -> int:
        """0 for an employee the floor has never seen (no `since`), not the seconds since 1970."""
        return max(0, int(now - self.since)) if self.since > 0 else 0

    def to_json(self, now: float) -> dict:
        return {
            "username": self.username,
            "state": self.state.value,
            "since": self.since,
            "seconds": self.seconds_in_state(now),
            "kind": self.kind,
            "wrap_until": self.wrap_until,
            "call": dict(self.call),
            "joining": self.joining,
            "shown": self.shown,
        }

    @property
    def shown(self) -> str:
        """The state as the employee reads it: after Ready, their phone is ringing (still away to the pacing)."""
        return "ringing your phone" if self.state is State.AWAY and self.joining else self.state.value


def day_of(epoch: float) -> str:
    # A UTC day is exactly 86,400 s of epoch time, so its number names it; within a millisecond of midnight the
    # date is formatted directly (fromtimestamp rounds to the microsecond, which may carry into the next day).
    day = epoch // 86_400
    if 0.001 < epoch - day * 86_400 < 86_399.999:
        return _day_name(int(day))
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


@lru_cache(maxsize=64)
def _day_name(day: int) -> str:
    """The date of a UTC day number (every tick and call names today: formatted once a day, not each time)."""
    return datetime.fromtimestamp(day * 86_400, UTC).strftime("%Y-%m-%d")


def days_back(epoch: float, count: int) -> list[str]:
    """The `count` days ending with the day of `epoch` (today first)."""
    return [day_of(epoch - n * 86_400) for n in range(count)]


# First resolution of an in-flight call: count it (and its ring time) in the hour bucket exactly once; with a
# pickup noted, also its pickup time and (verdict_sample '1': AMD said human, not "unknown" after its timeout) the
# pickup-to-verdict time. Its ring time as a string, nil when the call was not in flight.
_RESOLVE_CALL = """
local function resolve(in_flight, hour, picked_up, attempt_id, now, kind, hour_ttl, verdict_sample)
  local picked = redis.call('ZSCORE', picked_up, attempt_id)
  if picked then redis.call('ZREM', picked_up, attempt_id) end
  local placed = redis.call('ZSCORE', in_flight, attempt_id)
  if not placed then return nil end
  redis.call('ZREM', in_flight, attempt_id)
  local ring = tonumber(now) - tonumber(placed)
  redis.call('HINCRBY', hour, 'resolved', 1)
  redis.call('HINCRBY', hour, kind, 1)
  if kind == 'human' then
    redis.call('HINCRBYFLOAT', hour, 'ring_human', ring)
    redis.call('HINCRBYFLOAT', hour, 'ring_human_sq', ring * ring)
    if picked and verdict_sample == '1' then
      local verdict = tonumber(now) - tonumber(picked)
      redis.call('HINCRBYFLOAT', hour, 'verdict_human', verdict)
      redis.call('HINCRBYFLOAT', hour, 'verdict_human_sq', verdict * verdict)
    end
  end
  if picked and (kind == 'human' or kind == 'machine') then
    local pickup = tonumber(picked) - tonumber(placed)
    redis.call('HINCRBY', hour, 'picked_' .. kind, 1)
    redis.call('HINCRBYFLOAT', hour, 'pickup_' .. kind, pickup)
    redis.call('HINCRBYFLOAT', hour, 'pickup_' .. kind .. '_sq', pickup * pickup)
  end
  redis.call('EXPIRE', hour, hour_ttl)
  return tostring(ring)
end
"""

# KEYS: in flight, hour, picked up. ARGV: attempt_id, now, kind, hour ttl, verdict sample ('1': yes).
_RESOLVE = (
    _RESOLVE_CALL
    + """
return resolve(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]) or -1
"""
)

# The callee picked up (Twilio's `answered` event, before the answering-machine verdict): note when, while the
# call is still in flight (an event arriving after the verdict changes nothing).
_PICKED_UP = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
return redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
"""

# Counting a live answer connected, once: its wait and the day's longest wait (nil when it is none or already
# counted). A Lua function both scripts below begin with.
_COUNT_CONNECTED = """
local function count_connected(live_key, waiting_key, day_key, sid, now, day_ttl)
  local live = redis.call('HGET', live_key, 'answered_at')
  if not live or redis.call('HSETNX', live_key, 'outcome', 'connected') == 0 then return nil end
  redis.call('ZREM', waiting_key, sid)
  local wait = tonumber(now) - tonumber(live)
  if wait < 0 then wait = 0 end
  redis.call('HINCRBY', day_key, 'connected', 1)
  redis.call('HINCRBYFLOAT', day_key, 'wait_seconds', wait)
  local longest = tonumber(redis.call('HGET', day_key, 'wait_max') or '0')
  if wait > longest then redis.call('HSET', day_key, 'wait_max', tostring(wait)) end
  redis.call('EXPIRE', day_key, day_ttl)
  return wait
end
"""

# A live answer is connected: count it and its wait, keep the day's longest wait.
_CONNECTED = (
    _COUNT_CONNECTED
    + """
local wait = count_connected(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
if not wait then return -1 end
return tostring(wait)
"""
)

# A live answer leaves without an employee: abandoned, once. ARGV[3] '1': only if it is a live answer (the call's
# final status, which comes for every call: one whose live answer never left the queue by its action — the callee
# hung up while Twilio fetched the Enqueue, or the action failed — is abandoned too).
_ABANDONED = """
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], 'outcome', 'abandoned') == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'abandoned', 1)
redis.call('EXPIRE', KEYS[3], ARGV[2])
return 1
"""


# Away clicked: on a call, away when it ends (1); else nothing written (0), and the caller makes them away now.
# One script, so a call ending between the read and the write cannot leave "away after" on a wrap-up, which no
# call end reads (the wrap-up's end would make them ready). KEYS: employee.
_AWAY_AFTER = """
if redis.call('HGET', KEYS[1], 'state') ~= 'on-call' then return 0 end
redis.call('HSET', KEYS[1], 'away_after', '1')
return 1
"""


# A person answered a paced call: remember it (KEYS[1], for ARGV[1] seconds), wait in line, count it; then what
# Floor.live_answer decides on: ready employees, wrap-ups ending by ARGV[5], and with an employee (ARGV[6]: a
# preview call) the campaign's mode and that employee's ready and wrap-up scores. KEYS: live, waiting, day, ready,
# wrap, campaign. ARGV: call_sid, now, live ttl, day ttl, wrap-ups' horizon, employee, field/value pairs….
_LIVE_CALL = """
local function live(keys, sid, now, live_ttl, day_ttl, horizon, employee, fields)
  redis.call('HSET', keys[1], unpack(fields))
  redis.call('EXPIRE', keys[1], live_ttl)
  redis.call('ZADD', keys[2], now, sid)
  redis.call('HINCRBY', keys[3], 'human', 1)
  redis.call('EXPIRE', keys[3], day_ttl)
  local ready = redis.call('ZCARD', keys[4])
  local ending = redis.call('ZCOUNT', keys[5], '-inf', horizon)
  if employee == '' then return {ready, ending} end
  local mode = redis.call('HGET', keys[6], 'mode')
  return {ready, ending, mode, redis.call('ZSCORE', keys[4], employee), redis.call('ZSCORE', keys[5], employee)}
end
"""

_LIVE = (
    _LIVE_CALL
    + """
return live(KEYS, ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], {unpack(ARGV, 7)})
"""
)

# A paced call's answer, when the attempt was noted before it (the answered event): _RESOLVE and, if the call was
# in flight and the attempt (KEYS[10]) still names ARGV[11] as its employee, _LIVE, as the two scripts would one
# after the other. KEYS: _RESOLVE's, _LIVE's, attempt. ARGV: _RESOLVE's, then _LIVE's. Returns {-1} (not in
# flight), {ring} (live answer not made: not as noted) or {ring, _LIVE's reply}.
_RESOLVE_LIVE = (
    _RESOLVE_CALL
    + _LIVE_CALL
    + """
local ring = resolve(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if not ring then return {-1} end
if redis.call('EXISTS', KEYS[10]) == 0 or (redis.call('HGET', KEYS[10], 'employee') or '') ~= ARGV[11] then
  return {ring}
end
local keys = {KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]}
return {ring, live(keys, ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], {unpack(ARGV, 12)})}
"""
)

# An employee's state change itself (both scripts below begin with it): the hash's fields (`fields`, a flat
# field/value list that includes the state), the states hash, out of the ready/wrap/talking sets and into `into`
# (one of them, or nil) at `score`.
_CHANGE_STATE = """
local function change_state(employee, states, ready, wrap, talking, username, state, fields, into, score)
  redis.call('HSET', employee, unpack(fields))
  redis.call('HSET', states, username, state)
  redis.call('HDEL', employee, 'joining')
  redis.call('ZREM', ready, username)
  redis.call('ZREM', wrap, username)
  redis.call('ZREM', talking, username)
  if into then redis.call('ZADD', into, score, username) end
end
"""

# A live answer reaches an employee (the Queue noun's url): _CONNECTED, then, when it was a live answer taken by
# the employee's current leg, the employee's BRIDGED change exactly as Floor._write makes it (on a call, kind
# `outbound`, the live answer's case; `since` only if the state changed), all at once. A leg that is no longer the
# employee's (Away could not hang it up) changes nothing of theirs: no webhook of that leg would end the call.
# KEYS: live, waiting, day, employee, states, ready, wrap, talking. ARGV: call_sid, now, day ttl, username, now as
# the talking score, the leg's CallSid. Returns the live answer's record ({}: none).
_BRIDGE = (
    _COUNT_CONNECTED
    + _CHANGE_STATE
    + """
count_connected(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3])
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 or redis.call('HGET', KEYS[4], 'line') ~= ARGV[6] then return record end
local fields = {'state', 'on-call', 'kind', 'outbound', 'call_sid', ARGV[1]}
local found = {}
for i = 1, #record, 2 do found[record[i]] = record[i + 1] end
for _, name in ipairs({'case_id', 'crn', 'who', 'why'}) do
  local value = found[name]
  if value and value ~= '' then
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  end
end
if redis.call('HGET', KEYS[4], 'state') ~= 'on-call' then
  fields[#fields + 1] = 'since'
  fields[#fields + 1] = string.format('%.3f', tonumber(ARGV[2]))
end
change_state(KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], ARGV[4], 'on-call', fields, KEYS[8], ARGV[5])
redis.call('HDEL', KEYS[4], 'own_until')
return record
"""
)


# An employee's state change, as Floor._write decided it, in one command (its ~12 plain commands cost the client
# more than the script costs the server). KEYS: employee, states, ready, wrap, talking, day, hour. ARGV: username,
# state, the sorted set the employee joins (3/4/5: a KEYS index; 0: none) and their score there, day ttl, hour ttl,
# how many field/value pairs to set, fields to delete, day counters, hour counters; then those pairs, fields, and
# per counter its kind ('i': HINCRBY, else HINCRBYFLOAT), name and amount.
_WRITE_CHANGE = """
local function write_change(argv, elapsed)
  local sets, dels, days, hours = tonumber(argv[7]), tonumber(argv[8]), tonumber(argv[9]), tonumber(argv[10])
  local at = 11
  local into = tonumber(argv[3])
  change_state(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], argv[1], argv[2], {unpack(argv, at, at + sets * 2 - 1)},
    into > 0 and KEYS[into] or nil, argv[4])
  at = at + sets * 2
  if dels > 0 then redis.call('HDEL', KEYS[1], unpack(argv, at, at + dels - 1)) end
  at = at + dels
  for i, count in ipairs({days, hours}) do
    if count > 0 then
      local key = KEYS[5 + i]
      for _ = 1, count do
        local amount = argv[at + 2]
        if amount == '' then amount = elapsed end  -- _OWNED_CHANGE's elapsed time (a counter is never blank)
        redis.call(argv[at] == 'i' and 'HINCRBY' or 'HINCRBYFLOAT', key, argv[at + 1], amount)
        at = at + 3
      end
      redis.call('EXPIRE', key, argv[4 + i])
    end
  end
end
"""
_WRITE = _CHANGE_STATE + _WRITE_CHANGE + "write_change(ARGV)\nreturn 1\n"

# The employee's hash, a sorted set's size and the campaign's mode; and, when the read finds the employee on this
# leg (line = ARGV sid) in the state the change expects (and, if asked, not away after the call), the change
# _WRITE would make, in the same round trip. The change's time in the state before it (its `since`, read here) is
# worked out as Python works it out: now - since (clamped at 0 when asked, as max(0.0, ...)), written as repr()
# writes a float (the shortest digits that read back to the same double: HINCRBYFLOAT then adds the very same
# number). KEYS: _WRITE's, then the sorted set to count and the campaign hash. ARGV: _WRITE's (the elapsed amounts
# left blank), then sid, expected state, '1' to require no away_after, now and clamp ('1'/'0'). Returns {row,
# count, mode, 1 when changed, else 0}.
_OWNED_CHANGE = (
    _CHANGE_STATE
    + _WRITE_CHANGE
    + """
local row = redis.call('HGETALL', KEYS[1])
local count = redis.call('ZCARD', KEYS[8])
local mode = redis.call('HGET', KEYS[9], 'mode')
local found = {}
for i = 1, #row, 2 do found[row[i]] = row[i + 1] end
local base = #ARGV - 5
local sid, expected, plain, now, clamp = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4], ARGV[base + 5]
if found['state'] ~= expected or found['line'] ~= sid then return {row, count, mode, 0} end
if plain == '1' and found['away_after'] and found['away_after'] ~= '' then return {row, count, mode, 0} end
local since = tonumber((found['since'] and found['since'] ~= '') and found['since'] or '0')
if since == nil then return {row, count, mode, 0} end
local elapsed = tonumber(now) - since
if clamp == '1' and not (elapsed > 0) then elapsed = 0 end
local low, high = 1, 17  -- the fewest digits that read back (if some do, more do): a binary search
while low < high do
  local middle = math.floor((low + high) / 2)
  if tonumber(string.format('%.' .. middle .. 'g', elapsed)) == elapsed then high = middle else low = middle + 1 end
end
write_change(ARGV, string.format('%.' .. low .. 'g', elapsed))
return {row, count, mode, 1}
"""
)


class Floor:
    """Employee state and floor counters in Redis (one campaign's figures; employees are shared)."""

    def __init__(self, client: redis.Redis, keys: KeySchema, wrap_seconds: float = 30.0, campaign: str = ""):
        self.redis = client
        self.keys = keys
        self.wrap_seconds = wrap_seconds
        self.campaign = campaign or DEFAULT_CAMPAIGN
        self._resolve = client.register_script(_RESOLVE)
        self._picked_up = client.register_script(_PICKED_UP)
        self._connected = client.register_script(_CONNECTED)
        self._abandoned = client.register_script(_ABANDONED)
        self._write_state = client.register_script(_WRITE)
        self._bridge = client.register_script(_BRIDGE)
        self._live = client.register_script(_LIVE)
        self._resolve_live = client.register_script(_RESOLVE_LIVE)
        self._owned_change = client.register_script(_OWNED_CHANGE)
        self._away_after = client.register_script(_AWAY_AFTER)
        #: CallSid of an employee's phone leg → username. A CallSid is never reused, so what was read stays true.
        self._owners: dict[str, str] = {}

    # --- employee state ------------------------------------------------------------------------------------
    def get(self, username: str) -> EmployeeState:
        return _employee_from_hash(username, self.redis.hgetall(self.keys.floor_employee(username)))

    def expect_own_call(self, username: str, until: float) -> None:
        """Preview mode: the employee asked for a call; until `until` (or their next call) their leg waits on their
        own queue even with inbound callers waiting, so the person they chose does not find them busy."""
        self.redis.hset(self.keys.floor_employee(username), "own_until", f"{until:.3f}")

    def away_after_call(self, username: str) -> bool:
        """Away clicked during a call: away when it ends (True). False: not on a call (any more), nothing written."""
        return bool(self._away_after(keys=[self.keys.floor_employee(username)]))

    def everyone(self) -> dict[str, str]:
        """username → state of every employee the floor has seen (bounded by the staff list)."""
        return self.redis.hgetall(self.keys.floor_states())

    def many(self, usernames: list[str]) -> list[EmployeeState]:
        pipe = self.redis.pipeline(transaction=False)
        for username in usernames:
            pipe.hgetall(self.keys.floor_employee(username))
        return [_employee_from_hash(u, row) for u, row in zip(usernames, pipe.execute(), strict=True)]

    def apply(self, username: str, event: Event, now: float, **fields: str) -> EmployeeState:
        """Apply one event to an employee (two round trips: read, then the pipelined writes)."""
        current = self.get(username)
        return self._write(current, next_state(current.state, event), now, event, fields)

    def apply_to(
        self, current: EmployeeState, event: Event, now: float, pipe: redis.client.Pipeline | None = None, **fields
    ) -> EmployeeState:
        """`apply` to an employee the caller has just read (one round trip; none if queued on `pipe`)."""
        return self._write(current, next_state(current.state, event), now, event, fields, pipe)

    def owned_change(
        self, username: str, sid: str, sorted_set: str, expected: State, event: Event, now: float
    ) -> tuple[EmployeeState, int, str | None, bool]:
        """`get`, how many wait in a sorted set (a queue) and the campaign's pacing mode (which queue a leg waits
        on); and in the same round trip `apply_to` of `event` when the employee read is on leg `sid` in the
        `expected` state (for CALL_ENDED: and not away after it): True when it was applied. The change is the one
        _write makes from that state; only its elapsed time waits for the read (_OWNED_CHANGE)."""
        current = EmployeeState(username, expected, _UNKNOWN_SINCE)
        keys, args = self._change(current, next_state(expected, event), now, {})
        clamp = "1" if expected is State.ON_CALL else "0"
        args += [sid, expected.value, "1" if event is Event.CALL_ENDED else "0", now, clamp]
        keys += [sorted_set, self.keys.floor_campaign(self.campaign)]
        row, count, mode, applied = self._owned_change(keys=keys, args=args)
        row = dict(zip(row[::2], row[1::2], strict=True))
        return _employee_from_hash(username, row), int(count), mode, applied == 1

    def _write(
        self,
        current: EmployeeState,
        state: State,
        now: float,
        event: Event,
        fields: dict,
        pipe: redis.client.Pipeline | None = None,
    ) -> EmployeeState:
        """One script call (see _WRITE), as atomic as the pipeline it replaces was not: the hash, the state sets and
        the counters change together. The commands, their order and their values are the pipeline's."""
        keys, args = self._change(current, state, now, fields)
        self._write_state(keys=keys, args=args, client=pipe)
        since = now if state is not current.state else current.since
        return EmployeeState(
            current.username, state, since, fields.get("line", current.line), wrap_until=self._wrap_until(state, now)
        )

    def _wrap_until(self, state: State, now: float) -> float | None:
        return now + self.wrap_seconds if state is State.WRAP_UP else None

    def _change(self, current: EmployeeState, state: State, now: float, fields: dict) -> tuple[list, list]:
        """_WRITE's keys and arguments for the change from `current` to `state`; the amounts that depend on how
        long `current` lasted are left blank ("") when its `since` is _UNKNOWN_SINCE."""
        username = current.username
        known = current.since is not _UNKNOWN_SINCE
        mapping: dict[str, str] = {"state": state.value, **fields}
        if state is not current.state:
            mapping["since"] = f"{now:.3f}"
        into, score, deleted = 0, "", []
        day: dict[str, float] = {}
        hour: dict[str, float] = {}
        if state is State.READY:
            into, score = 3, now
            if current.state is State.WRAP_UP:
                hour = {"wraps": 1, "wrap_seconds": now - current.since if known else _BLANK}
        elif state is State.WRAP_UP:
            wrap_until = self._wrap_until(state, now)
            into, score = 4, wrap_until
            mapping["wrap_until"] = f"{wrap_until:.3f}"
            if current.state is State.ON_CALL:
                talk = max(0.0, now - current.since) if known else _BLANK
                day = {"talk_seconds": talk, "calls_handled": 1}
                hour = {"talks": 1, "talk_seconds": talk}
        elif state is State.ON_CALL:
            into, score = 5, now
            deleted.append("own_until")
        if state is not State.ON_CALL and current.state is State.ON_CALL:
            deleted += ["kind", "case_id", "crn", "who", "why", "call_sid"]
        if state is State.AWAY:
            deleted += ["line", "wrap_until", "away_after", "own_until"]
        keys = [
            self.keys.floor_employee(username),
            self.keys.floor_states(),
            self.keys.floor_ready(),
            self.keys.floor_wrap(),
            self.keys.floor_talking(),
            self._day_key(now),
            self._hour_key(now),
        ]
        args: list = [username, state.value, into, score, DAY_TTL_SECONDS, HOUR_TTL_SECONDS]
        args += [len(mapping), len(deleted), len(day), len(hour), *(x for pair in mapping.items() for x in pair)]
        args += deleted
        for name, amount in day.items():  # as _day sends them: an int by HINCRBY, a float by HINCRBYFLOAT
            args += ["i" if isinstance(amount, int) else "f", name, amount]
        for name, amount in hour.items():  # the hour's sums: all by HINCRBYFLOAT
            args += ["f", name, amount]
        if not known:
            args = ["" if amount is _BLANK else amount for amount in args]
        return keys, args

    def bind_line(self, username: str, agent_call_sid: str, joining: bool = True) -> None:
        """The employee's phone is being rung: webhooks on that leg now know whose it is (ready once it answers)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.keys.floor_line(agent_call_sid), username, ex=LINE_TTL_SECONDS)
        fields = {"line": agent_call_sid} | ({"joining": "1"} if joining else {})
        pipe.hset(self.keys.floor_employee(username), mapping=fields)
        pipe.hsetnx(self.keys.floor_employee(username), "state", State.AWAY.value)
        pipe.hsetnx(self.keys.floor_states(), username, State.AWAY.value)
        pipe.execute()

    def line_owner(self, agent_call_sid: str) -> str | None:
        owner = self._owners.get(agent_call_sid)
        if owner is None:
            owner = self.redis.get(self.keys.floor_line(agent_call_sid))
            if owner is not None:
                if len(self._owners) > 10_000:
                    self._owners.clear()
                self._owners[agent_call_sid] = owner
        return owner

    # --- live answers --------------------------------------------------------------------------------------
    def resolved(
        self,
        attempt_id: str,
        now: float,
        kind: str,
        pipe: redis.client.Pipeline | None = None,
        verdict_sample: bool = True,
    ) -> float | None:
        """An in-flight call resolved (human, machine, busy, none); its ring time, or None if counted already.
        With `pipe`, the script is queued there (the webhook's other reads share its round trip): see ring_time.
        `verdict_sample=False`: a person's verdict that is no measure of AMD's usual delay (AnsweredBy "unknown"
        after the detection timeout)."""
        keys, args = self._resolve_call(attempt_id, now, kind, verdict_sample)
        ring = self._resolve(keys=keys, args=args, client=pipe)
        return None if pipe is not None else ring_time(ring)

    def _resolve_call(self, attempt_id: str, now: float, kind: str, verdict_sample: bool) -> tuple[list, list]:
        keys = [self.keys.floor_in_flight(self.campaign), self._hour_key(now), self.keys.floor_picked_up(self.campaign)]
        return keys, [attempt_id, f"{now:.3f}", kind, HOUR_TTL_SECONDS, "1" if verdict_sample else "0"]

    def resolved_live(
        self,
        pipe: redis.client.Pipeline,
        attempt_id: str,
        now: float,
        verdict_sample: bool,
        call_sid: str,
        context: Mapping[str, str],
        wait: float = 1.0,
        employee: str = "",
    ) -> None:
        """`resolved` (a person answered) and, if the call was in flight and the attempt still names `employee`,
        `live_answer`, in one script queued on `pipe`: its reply goes to resolved_live_reply."""
        keys, args = self._resolve_call(attempt_id, now, "human", verdict_sample)
        live_keys, live_args = self._live_call(call_sid, attempt_id, now, context, wait, employee)
        keys += [*live_keys, self.keys.attempt(attempt_id)]
        self._resolve_live(keys=keys, args=args + live_args, client=pipe)

    @staticmethod
    def resolved_live_reply(reply: list, now: float, wait: float = 1.0, employee: str = ""):
        """`resolved_live`'s reply: the ring time (None: not in flight) and live_answer's answer (None: not made,
        the attempt no longer names that employee)."""
        ring = ring_time(reply[0])
        return ring, Floor.live_answer_reply(reply[1], now, wait, employee) if len(reply) > 1 else None

    def picked_up(self, attempt_id: str, now: float, pipe: redis.client.Pipeline | None = None) -> bool:
        """The callee of an in-flight call picked up; the verdict (person or machine) follows in a few seconds.
        The pacer then knows when a person, if it is one, will be heard, and that calls still ringing are less
        likely to be people. False: the call was not in flight (resolved already, or not paced), or its pickup
        was noted already (the first one counts). With `pipe`, queued there (returns False)."""
        keys = [self.keys.floor_in_flight(self.campaign), self.keys.floor_picked_up(self.campaign)]
        return bool(self._picked_up(keys=keys, args=[attempt_id, f"{now:.3f}"], client=pipe)) and pipe is None

    def live_answer(
        self,
        call_sid: str,
        attempt_id: str,
        now: float,
        context: Mapping[str, str] | None = None,
        wait: float = 1.0,
        employee: str = "",
    ) -> tuple[int, bool]:
        """A person answered (AMD said human): remember it (with the case the employee will see), count it; return
        how many employees are ready, or will be within `wait` seconds (wrap-ups ending by then), and whether the
        answer goes to `employee`'s own queue. With `employee` (a preview call: only the employee who clicked may
        take it) while the campaign is still in preview mode, (1, True) if that employee is ready, else (0, True);
        out of preview by now (the manager changed the mode while it rang: their leg waits on the shared queue
        again), as any live answer."""
        reply = self.queue_live_answer(None, call_sid, attempt_id, now, context, wait, employee)
        return self.live_answer_reply(reply, now, wait, employee)

    def queue_live_answer(
        self,
        pipe: redis.client.Pipeline | None,
        call_sid: str,
        attempt_id: str,
        now: float,
        context: Mapping[str, str] | None = None,
        wait: float = 1.0,
        employee: str = "",
    ) -> list | redis.client.Pipeline:
        """`live_answer`'s script queued on `pipe` (the caller's reads share its round trip; None: run now): its
        reply goes to live_answer_reply, with the same `now`, `wait` and `employee`."""
        keys, args = self._live_call(call_sid, attempt_id, now, context, wait, employee)
        return self._live(keys=keys, args=args, client=pipe)  # one script call: see _LIVE

    def _live_call(
        self, call_sid: str, attempt_id: str, now: float, context: Mapping[str, str] | None, wait: float, employee: str
    ) -> tuple[list, list]:
        mapping = {"attempt_id": attempt_id, "answered_at": f"{now:.3f}", "campaign": self.campaign}
        keys = [self.keys.floor_live(call_sid), self.keys.floor_waiting(), self._day_key(now)]
        keys += [self.keys.floor_ready(), self.keys.floor_wrap(), self.keys.floor_campaign(self.campaign)]
        args = [call_sid, now, LINE_TTL_SECONDS, DAY_TTL_SECONDS, now + wait, employee]
        args += [x for pair in (mapping | dict(context or {})).items() for x in pair]
        return keys, args

    @staticmethod
    def live_answer_reply(reply: list, now: float, wait: float = 1.0, employee: str = "") -> tuple[int, bool]:
        """What `live_answer` returns, from its script's reply."""
        if employee:
            ready, ending, mode, own_ready, wrap_until = reply
            if mode == PREVIEW:
                ends = wrap_until is not None and float(wrap_until) <= now + wait
                return int(own_ready is not None or ends), True
            return int(ready) + int(ending), False
        ready, ending = reply
        return int(ready) + int(ending), False

    def live(self, call_sid: str) -> dict[str, str]:
        return self.redis.hgetall(self.keys.floor_live(call_sid))

    def connected(self, call_sid: str, now: float) -> float | None:
        """The live answer reached an employee: its wait in seconds (None if it was not a waiting live answer)."""
        keys = [self.keys.floor_live(call_sid), self.keys.floor_waiting(), self._day_key(now)]
        wait = self._connected(keys=keys, args=[call_sid, f"{now:.3f}", DAY_TTL_SECONDS])
        return None if wait in (-1, None) else float(wait)

    def bridged(self, call_sid: str, username: str, now: float, agent_call_sid: str) -> dict[str, str]:
        """At the bridge, in one script call (_BRIDGE): count the live answer connected and, when there is one and
        `agent_call_sid` is still `username`'s leg, put them on the call with its case (Event.BRIDGED, kind
        outbound); its record ({}: an inbound caller, and nothing was written)."""
        keys = [self.keys.floor_live(call_sid), self.keys.floor_waiting(), self._day_key(now)]
        keys += [self.keys.floor_employee(username), self.keys.floor_states(), self.keys.floor_ready()]
        keys += [self.keys.floor_wrap(), self.keys.floor_talking()]
        args = [call_sid, f"{now:.3f}", DAY_TTL_SECONDS, username, now, agent_call_sid]
        flat = self._bridge(keys=keys, args=args)
        return dict(zip(flat[::2], flat[1::2], strict=True))

    def abandoned(self, call_sid: str, now: float) -> bool:
        """Count a live answer that heard the abandonment message instead of an employee (once per call)."""
        keys = [self.keys.floor_live(call_sid), self.keys.floor_waiting(), self._day_key(now)]
        return bool(self._abandoned(keys=keys, args=[call_sid, DAY_TTL_SECONDS, "0"]))

    def call_ended(self, call_sid: str, now: float, pipe: redis.client.Pipeline) -> None:
        """The call's final status: a live answer it made that was neither connected nor abandoned by then (its
        queue action never came) is abandoned now, and no longer waits (the pacers would keep an employee for it
        for ever). Queued on `pipe`; nothing for a call that made no live answer."""
        keys = [self.keys.floor_live(call_sid), self.keys.floor_waiting(), self._day_key(now)]
        self._abandoned(keys=keys, args=[call_sid, DAY_TTL_SECONDS, "1"], client=pipe)

    def count(self, now: float, **amounts: float) -> None:
        """Add to today's counters (placed, machine, amd_false_positive, …)."""
        pipe = self.redis.pipeline(transaction=False)
        self._day(pipe, now, **amounts)
        pipe.execute()

    def placed(
        self,
        placed: Mapping[str, float],
        now: float,
        pipe: redis.client.Pipeline | None = None,
        count: int | None = None,
    ) -> None:
        """Calls the dialer placed for this campaign (attempt id → when): in flight until answered or ended.
        With `pipe`, queued there (the dialer's own record of the calls), else sent at once. `count`: the calls
        placed, when some of them were put in flight ahead (in_flight_ahead) and are not in `placed`."""
        count = len(placed) if count is None else count
        if not placed and not count:
            return
        own = pipe is None
        pipe = self.redis.pipeline(transaction=False) if own else pipe
        if placed:
            pipe.zadd(self.keys.floor_in_flight(self.campaign), dict(placed))
        self._day(pipe, now, placed=count)
        if own:
            pipe.execute()

    def in_flight_ahead(self, planned: Mapping[str, float]) -> None:
        """Calls about to be placed (attempt id → when each goes out), in flight before the first goes out: a batch
        of several goes out over up to a tick, and a person may answer its first call before its last is placed.
        Those not placed after all leave with not_placed."""
        if planned:
            self.redis.zadd(self.keys.floor_in_flight(self.campaign), dict(planned))

    def not_placed(self, attempt_ids: list[str], pipe: redis.client.Pipeline) -> None:
        """Calls put in flight ahead that Twilio did not take (refused, retried, too late): queued on `pipe`."""
        if attempt_ids:
            pipe.zrem(self.keys.floor_in_flight(self.campaign), *attempt_ids)

    # --- reads for the pacer and the floor view -------------------------------------------------------------
    def day_stats(self, now: float, days: int = 1) -> list[dict[str, str]]:
        pipe = self.redis.pipeline(transaction=False)
        for day in days_back(now, days):
            pipe.hgetall(self.keys.floor_day(self.campaign, day))
        return pipe.execute()

    def mode(self) -> str | None:
        return self.redis.hget(self.keys.floor_campaign(self.campaign), "mode")

    def set_mode(self, mode: str) -> None:
        self.redis.hset(self.keys.floor_campaign(self.campaign), "mode", mode)

    # --- plumbing ------------------------------------------------------------------------------------------
    def _day_key(self, now: float) -> str:
        return self.keys.floor_day(self.campaign, day_of(now))

    def _day(self, pipe: redis.client.Pipeline, now: float, **amounts: float) -> None:
        key = self._day_key(now)
        for name, amount in amounts.items():
            if isinstance(amount, int):
                pipe.hincrby(key, name, amount)
            else:
                pipe.hincrbyfloat(key, name, amount)
        pipe.expire(key, DAY_TTL_SECONDS)

    def _hour_key(self, now: float) -> str:
        return self.keys.floor_hour(self.campaign, int(now // 3600))


#: An elapsed amount _OWNED_CHANGE works out from the `since` it reads; and the `since` that asks for it.
_BLANK = object()
_UNKNOWN_SINCE = float("nan")


def ring_time(reply) -> float | None:
    """Floor.resolved's script reply: the ring time, or None when the call was not in flight (counted already)."""
    return None if reply in (-1, None) else float(reply)


def _employee_from_hash(username: str, row: Mapping[str, str]) -> EmployeeState:
    try:
        state = State(row.get("state", State.AWAY.value))
    except ValueError:
        state = State.AWAY
    call = {k: row[k] for k in ("case_id", "crn", "who", "why", "call_sid") if row.get(k)}
    wrap, own = row.get("wrap_until"), row.get("own_until")
    return EmployeeState(
        username,
        state,
        float(row.get("since") or 0.0),
        row.get("line", ""),
        row.get("kind", ""),
        float(wrap) if wrap and state is State.WRAP_UP else None,
        call,
        row.get("joining") == "1",
        bool(row.get("away_after")),
        float(own) if own else None,
    )
