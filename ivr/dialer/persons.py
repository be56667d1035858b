"""A person's compliance records under every loaded data key, and Reg F calls counted and reserved atomically.

Per-person records (Reg F call counts, conversations, wrong numbers, stop-calling) are keyed by the taxpayer's
reference, a digest under the data key. Writes go under the current key; during a rotation some records still sit
under the previous one until `acs rekey` moves them, so reads look under both and merge: a rotation never resets a
count nor forgets a request. Reads go previous-first: rekey merges a person's old records into the new ones and
deletes the old in one script, so in that order a read sees them on one side or the other, never on neither.

Reservation closes the race between workers: the per-case lock keeps one case from being dialed twice, but two
cases of one person may be dialed by two workers at the same moment. Each worker counts the person's calls when
it reads the facts; the reservation script adds the call only if nobody added one since (the engine judged on that
count), so the call that would break the limit is refused rather than placed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import redis

from ivr.cases.sealing import current_seal
from ivr.cases.tin import Tin
from ivr.keys import KeySchema

#: Calls are read back this far: the longest frequency window any rule may use.
LOOKBACK_SECONDS = 30 * 86_400
#: Calls older than the lookback by this much are trimmed, so a count over the lookback only grows while workers
#: whose clocks differ by less than this compare it (the reservation relies on that).
TRIM_MARGIN_SECONDS = 86_400
CALLS_TTL_SECONDS = LOOKBACK_SECONDS + TRIM_MARGIN_SECONDS

# Reserve calls: add each unless the person's calls to that contact in the window grew since the engine counted them.
# KEYS per call: calls key (current ref), the person's `called` set (current ref), calls key under the previous ref
# (the first key again outside a rotation). ARGV: since, trim_before, ttl, then per call: attempt id, at, counted,
# contact. Returns the attempt ids refused.
_RESERVE = """
local since, trim, ttl = ARGV[1], '(' .. ARGV[2], tonumber(ARGV[3])
local added, refused = {}, {}
for i = 0, #KEYS / 3 - 1 do
  local key, called, old = KEYS[1 + i * 3], KEYS[2 + i * 3], KEYS[3 + i * 3]
  local id, at, counted, contact = ARGV[4 + i * 4], ARGV[5 + i * 4], tonumber(ARGV[6 + i * 4]), ARGV[7 + i * 4]
  local count = redis.call('ZCOUNT', key, since, '+inf')
  if old ~= key then count = count + redis.call('ZCOUNT', old, since, '+inf') end
  if count - (added[key] or 0) > counted then
    refused[#refused + 1] = id
  else
    redis.call('ZADD', key, at, id)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', trim)
    redis.call('EXPIRE', key, ttl)
    redis.call('SADD', called, contact)
    redis.call('EXPIRE', called, ttl)
    added[key] = (added[key] or 0) + 1
  end
end
return refused
"""


def read_refs(tin: Tin) -> list[str]:
    """The person's references to read, the previous key's first (just one outside a rotation)."""
    return list(reversed(current_seal().refs(tin.digits)))


def merge_calls(rows: Iterable[Sequence[tuple[str, float]]]) -> list[tuple[str, float]]:
    """Calls read under several refs, each attempt once."""
    merged: dict[str, float] = {}
    for row in rows:
        for member, score in row:
            merged[member] = score
    return list(merged.items())


def merge_latest(rows: Iterable[dict[str, str]]) -> dict[str, str]:
    """contact → latest epoch over several refs (an unreadable value is kept, so the engine says so)."""
    merged: dict[str, str] = {}
    for row in rows:
        for contact, value in row.items():
            kept = merged.get(contact)
            if kept is None or (_epoch(kept) is not None and (_epoch(value) is None or _epoch(value) > _epoch(kept))):
                merged[contact] = value
    return merged


def _epoch(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def merge_records(rows: Iterable[dict[str, str]]) -> dict[str, str]:
    """Records (wrong numbers) over several refs; the current key's record wins where both have one."""
    merged: dict[str, str] = {}
    for row in rows:
        merged.update(row)
    return merged


def first_record(values: Iterable[str | None]) -> str | None:
    """A stop-calling record under any ref (the current key's if both)."""
    found = None
    for value in values:
        found = value or found
    return found


@dataclass(frozen=True)
class Reservation:
    """One planned call: the person's refs (previous first), whom, the attempt, and the calls the engine counted."""

    refs: Sequence[str]
    contact: str
    attempt_id: str
    at: float
    counted: int


class CallCounts:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.keys = keys
        self._reserve = client.register_script(_RESERVE)

    def calls_key(self, call: Reservation) -> str:
        """Where `reserve` adds the call (its attempt id is a member there once the call is counted)."""
        return self.keys.contact_calls(call.refs[-1], call.contact)

    def reserve(
        self, calls: Sequence[Reservation], now: float, pipe: redis.client.Pipeline | None = None
    ) -> set[str] | None:
        """Count these calls against their persons in one script; returns the attempt ids refused (someone else
        called the person meanwhile: the engine must judge again). With `pipe` (and calls), queued there: its
        reply, as a set, is the refused ids."""
        if not calls:
            return set()
        keys: list[str] = []
        args: list[str | int] = [f"{now - LOOKBACK_SECONDS:.3f}", f"{now - CALLS_TTL_SECONDS:.3f}", CALLS_TTL_SECONDS]
        for call in calls:
            current, previous = call.refs[-1], call.refs[0]
            key = self.calls_key(call)
            keys += [key, self.keys.taxpayer_called(current), self.keys.contact_calls(previous, call.contact)]
            args += [call.attempt_id, f"{call.at:.3f}", call.counted, call.contact]
        if pipe is not None:
            self._reserve(keys=keys, args=args, client=pipe)
            return None
        return set(self._reserve(keys=keys, args=args))
