"""Inbound caller context, kept by CallSid so the employee who takes the call knows who is on the line.

/voice/acs itself writes nothing (it is the busiest webhook and its TwiML is static): the context is created by
the first webhook that has something to record — keyed digits or entering the queue.

A caller is `silent` (never keyed an SSN/EIN, e.g. a practitioner returning our call), `matched` (keyed the
SSN/EIN of an open case) or `unmatched` (keyed something we could not match). Contexts expire after two days.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

import redis

from ivr.keys import KeySchema
from ivr.redis_conn import read_hashes

CONTEXT_TTL_SECONDS = 2 * 24 * 3600

# Twilio may deliver a callback more than once: the first queue result of a call is its result, counted once.
_LEFT_QUEUE = """
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZREM', KEYS[4], ARGV[3])
local first = redis.call('HSETNX', KEYS[1], 'queue_result', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
if first == 1 then
  redis.call('HINCRBY', KEYS[3], 'result:' .. ARGV[1], 1)
  redis.call('HINCRBY', KEYS[3], 'wait_seconds', ARGV[2])
end
return first
"""

# Blending: a caller goes straight to the floor's queue when a ready employee is spare (more ready than live
# answers and inbound callers already waiting for one); the floor's waiting set counts them until the bridge, so
# two callers arriving together never count on the same employee. 1 = to the floor, 0 = the inbound queue.
_ENQUEUE = """
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return 1 end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local spare = redis.call('ZCARD', KEYS[3]) - redis.call('ZCARD', KEYS[4]) - redis.call('ZCARD', KEYS[2])
if KEYS[5] and redis.call('HGET', KEYS[5], 'mode') == 'preview' then spare = 0 end
if spare > 0 then
  redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 0
"""


class CallerState(StrEnum):
    SILENT = "silent"
    MATCHED = "matched"
    UNMATCHED = "unmatched"


@dataclass(frozen=True)
class CallerContext:
    call_sid: str
    caller: str
    line: str
    state: CallerState
    case_id: str | None
    entered_at: float
    tin_attempts: int
    queued_at: float | None
    agent_call_sid: str | None
    crn: str | None = None
    queue_result: str | None = None  # set when the caller left the queue; after a bridge, when the call ended
    private: bool = False  # on a taxpayer's number (pressed 1 on our call): whoever it is hears no tax words


class Callers:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys
        self._left_queue = client.register_script(_LEFT_QUEUE)
        self._enqueue = client.register_script(_ENQUEUE)

    def _touch(self, pipe: redis.client.Pipeline, call_sid: str, caller: str, line: str) -> str:
        """Queue the arrival fields (first write wins) and refresh the TTL; return the context key."""
        key = self.keys.call(call_sid)
        pipe.hsetnx(key, "entered_at", f"{time.time():.3f}")
        pipe.hsetnx(key, "state", CallerState.SILENT.value)
        if caller:
            # First write wins here too: on a press-1 outbound leg /voice/acs/queue sees From = our caller ID.
            pipe.hsetnx(key, "caller", caller)
            pipe.hsetnx(key, "line", line)
        pipe.expire(key, CONTEXT_TTL_SECONDS)
        return key

    def tin_attempt_failed(self, call_sid: str, caller: str = "", line: str = "") -> int:
        """Count a wrong or unknown SSN/EIN entry; return how many there have been on this call."""
        pipe = self.redis.pipeline(transaction=False)
        key = self._touch(pipe, call_sid, caller, line)
        pipe.hincrby(key, "tin_attempts", 1)
        pipe.hset(key, "state", CallerState.UNMATCHED.value)
        return int(pipe.execute()[-2])

    def matched(
        self,
        call_sid: str,
        case_id: str,
        caller: str = "",
        line: str = "",
        crn: str | None = None,
        private: bool = False,
    ) -> None:
        """The caller is known to be about `case_id` (keyed its SSN/EIN, or pressed 1 on our call with `crn`).

        `private`: the call went to a taxpayer's number, and whoever answered may not be the taxpayer.
        """
        pipe = self.redis.pipeline(transaction=False)
        key = self._touch(pipe, call_sid, caller, line)
        fields = {"state": CallerState.MATCHED.value, "case_id": case_id} | ({"crn": crn} if crn else {})
        fields |= {"private": "1"} if private else {}
        pipe.hset(key, mapping=fields)
        pipe.execute()

    def attach_case(self, call_sid: str, case_id: str, crn: str | None = None) -> None:
        """Link a call to a case found another way (outbound call answered, CRN given to the employee)."""
        fields = {"case_id": case_id} | ({"crn": crn} if crn else {})
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(self.keys.call(call_sid), mapping=fields)
        pipe.expire(self.keys.call(call_sid), CONTEXT_TTL_SECONDS)
        pipe.execute()

    def _queued(self, pipe: redis.client.Pipeline, call_sid: str, caller: str, line: str, now: float) -> str:
        """Queue the arrival fields and the moment the caller was queued (first write wins); the context key."""
        key = self._touch(pipe, call_sid, caller, line)
        pipe.hsetnx(key, "queued_at", f"{now:.3f}")
        return key

    def enqueued(self, call_sid: str, queue_name: str, caller: str = "", line: str = "") -> bool:
        """Put the caller on the waiting list; True when the caller is `private` (hears no tax words on hold)."""
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        key = self._queued(pipe, call_sid, caller, line, now)
        pipe.zadd(self.keys.queue_waiting(queue_name), {call_sid: now}, nx=True)
        pipe.hget(key, "private")
        return pipe.execute()[-1] == "1"

    def enqueued_blended(
        self, call_sid: str, queue_name: str, caller: str = "", line: str = "", campaign: str | None = None
    ) -> tuple[bool, bool]:
        """`enqueued`, except that with a ready employee to spare the caller is sent to the floor's
        queue, where that employee's leg waits, instead of the inbound queue: (private, to the floor). One round
        trip; a caller sent to the floor is not on the inbound waiting list (a leg starting to wait would dial an
        empty inbound queue) but in the floor's waiting set until the bridge or their queue result. With
        `campaign` in preview mode, never to the floor: each leg waits on its employee's own queue there."""
        now = time.time()
        pipe = self.redis.pipeline(transaction=False)
        key = self._queued(pipe, call_sid, caller, line, now)
        keys = [key, self.keys.queue_waiting(queue_name), self.keys.floor_ready(), self.keys.floor_waiting()]
        if campaign is not None:
            keys.append(self.keys.floor_campaign(campaign))
        self._enqueue(keys=keys, args=[call_sid, f"{now:.3f}"], client=pipe)
        pipe.hget(key, "private")
        *_, to_floor, private = pipe.execute()
        return private == "1", bool(to_floor)

    def bridged(self, call_sid: str, agent_call_sid: str, queue_name: str) -> bool:
        """Record which employee leg took the caller; True the first time only (a repeated callback is a no-op)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hsetnx(self.keys.call(call_sid), "agent_call_sid", agent_call_sid)
        pipe.expire(self.keys.call(call_sid), CONTEXT_TTL_SECONDS)
        pipe.set(self.keys.agent_bridge(agent_call_sid), call_sid, ex=CONTEXT_TTL_SECONDS)
        pipe.zrem(self.keys.queue_waiting(queue_name), call_sid)
        pipe.zrem(self.keys.floor_waiting(), call_sid)  # a caller sent to the floor's queue (enqueued_blended)
        return bool(pipe.execute()[0])

    def left_queue(self, call_sid: str, queue_name: str, result: str, wait_seconds: int) -> bool:
        """Take the caller off the waiting list and count the result (bridged, hangup, …) for the dashboards.

        Once per call: the first result is final (a later `hangup` never overwrites `bridged`) and is counted
        once, however many times Twilio repeats the callback. True when this call recorded it.
        """
        keys = [self.keys.call(call_sid), self.keys.queue_waiting(queue_name), self.keys.queue_stats(queue_name)]
        keys.append(self.keys.floor_waiting())  # a caller sent to the floor's queue who left before the bridge
        args = [result, max(wait_seconds, 0), call_sid, CONTEXT_TTL_SECONDS]
        return bool(self._left_queue(keys=keys, args=args))

    def forget_waiting_older_than(self, queue_name: str, seconds: float) -> int:
        """Take off the waiting list the callers listed more than `seconds` ago (known to be gone from the queue:
        see ivr.voice.floor._forget_callers_gone), on the clock this list is stamped with; returns how many."""
        cutoff = time.time() - seconds
        return int(self.redis.zremrangebyscore(self.keys.queue_waiting(queue_name), "-inf", f"({cutoff:.3f}"))

    def get(self, call_sid: str) -> CallerContext | None:
        return context_from_hash(call_sid, self.redis.hgetall(self.keys.call(call_sid)))

    def waiting(self, queue_name: str) -> list[CallerContext]:
        """Callers in the queue, longest waiting first."""
        sids = self.redis.zrange(self.keys.queue_waiting(queue_name), 0, -1)
        rows = read_hashes(self.redis, [self.keys.call(sid) for sid in sids])
        found = (context_from_hash(sid, data) for sid, data in zip(sids, rows, strict=True))
        return [context for context in found if context is not None]

    def for_agent_call(self, agent_call_sid: str) -> CallerContext | None:
        """The caller an employee's leg was bridged to."""
        caller_sid = self.redis.get(self.keys.agent_bridge(agent_call_sid))
        return self.get(caller_sid) if caller_sid else None


def context_from_hash(call_sid: str, data: dict[str, str]) -> CallerContext | None:
    if not data or "entered_at" not in data:
        return None
    return CallerContext(
        call_sid=call_sid,
        caller=data.get("caller", ""),
        line=data.get("line", ""),
        state=CallerState(data.get("state", CallerState.SILENT.value)),
        case_id=data.get("case_id") or None,
        entered_at=float(data["entered_at"]),
        tin_attempts=int(data.get("tin_attempts", 0)),
        queued_at=float(data["queued_at"]) if data.get("queued_at") else None,
        agent_call_sid=data.get("agent_call_sid") or None,
        crn=data.get("crn") or None,
        queue_result=data.get("queue_result") or None,
        private=data.get("private") == "1",
    )
