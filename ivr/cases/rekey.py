"""`acs rekey`: move every sealed SSN/EIN and taxpayer index entry from the previous data key to the current one.

With each case its taxpayer's compliance records move too (Reg F counts, conversations, wrong numbers, stop-calling:
ivr.cases.rekey_persons), so retiring the old key resets none of them.

Offline maintenance that runs beside live traffic: processes holding both keys read a record under whichever sealed
it and look taxpayers up under both index digests, so each record only has to change atomically on its own (one
small Lua script per record, pipelined by chunk: no command near 50 ms). A record an import rewrites meanwhile is
already under the current key and is left alone (compare-and-set on its sealed value). Progress (phase and SCAN
cursor) is kept in Redis, so a run killed midway resumes where it stopped; re-doing a chunk changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import redis

from ivr.cases.rekey_persons import PersonMover
from ivr.cases.sealing import TinSeal
from ivr.keys import KeySchema

# KEYS: case, old taxpayer bucket, new taxpayer bucket. ARGV: case_id, expected sealed value, new sealed value,
# new ref, old index field, new index field.
_MOVE_CASE = """
if redis.call('HGET', KEYS[1], 'tin_sealed') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'tin_sealed', ARGV[3], 'tin_ref', ARGV[4])
local function listed_without(text, id)
  local kept = {}
  for other in string.gmatch(text or '', '%S+') do if other ~= id then kept[#kept + 1] = other end end
  return kept
end
local old = listed_without(redis.call('HGET', KEYS[2], ARGV[5]), ARGV[1])
if #old == 0 then redis.call('HDEL', KEYS[2], ARGV[5])
else redis.call('HSET', KEYS[2], ARGV[5], table.concat(old, ' ')) end
local new = listed_without(redis.call('HGET', KEYS[3], ARGV[6]), ARGV[1])
new[#new + 1] = ARGV[1]
redis.call('HSET', KEYS[3], ARGV[6], table.concat(new, ' '))
return 1
"""

# KEYS: old authorization, new authorization, old index set, new index set, practitioner's set.
# ARGV: old id, new id, expected sealed value, new sealed value, new ref.
# The id is a keyed digest too, so the record moves to its new id; one an import already wrote there is newer: kept.
_MOVE_AUTHORIZATION = """
if redis.call('HGET', KEYS[1], 'tin_sealed') ~= ARGV[3] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], unpack(redis.call('HGETALL', KEYS[1])))
  redis.call('HSET', KEYS[2], 'tin_sealed', ARGV[4], 'tin_ref', ARGV[5])
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('SADD', KEYS[5], ARGV[2])
return 1
"""

PHASES = ("cases", "authorizations", "done")


class RekeyError(RuntimeError):
    """A record this run cannot move (sealed under a key that is not loaded); never names a TIN."""


@dataclass
class RekeyReport:
    to_key: str
    from_key: str | None
    moved: dict[str, int]
    resumed: bool = False
    persons: int = 0  # taxpayers whose compliance records moved (this run)

    def summary(self) -> str:
        moved = ", ".join(f"{count} {kind}" for kind, count in self.moved.items())
        if self.persons:
            moved += f", {self.persons} persons' compliance records"
        start = "resumed; " if self.resumed else ""
        return f"{start}moved {moved} to data key {self.to_key}"


class Rekey:
    def __init__(self, client: redis.Redis, keys: KeySchema, seal: TinSeal, chunk: int = 200):
        self.redis = client
        self.keys = keys
        self.seal = seal
        self.chunk = chunk
        self._move_case = client.register_script(_MOVE_CASE)
        self._move_authorization = client.register_script(_MOVE_AUTHORIZATION)
        self._persons = PersonMover(client, keys)
        self.persons_moved = 0

    def run(self, progress: Callable[[str], None] = lambda _line: None) -> RekeyReport:
        """Move everything under the previous key to the current one, from where an earlier run stopped."""
        current, previous = self.seal.current, self.seal.previous
        state = self.redis.hgetall(self.keys.rekey_progress())
        resumed = state.get("to") == current.id and state.get("phase") not in (None, "done")
        if not resumed:
            state = {"to": current.id, "from": previous.id if previous else "", "phase": "cases", "cursor": "0"}
            self.redis.delete(self.keys.rekey_progress())
            self.redis.hset(self.keys.rekey_progress(), mapping=state)
        moved = {kind: int(state.get(f"moved_{kind}", 0)) for kind in PHASES[:2]}
        for phase in PHASES[PHASES.index(state["phase"]) : 2]:
            cursor = int(state["cursor"]) if phase == state["phase"] else 0
            step = self._case_chunk if phase == "cases" else self._authorization_chunk
            while True:
                cursor, count = step(cursor)
                moved[phase] += count
                done = cursor == 0
                self.redis.hset(
                    self.keys.rekey_progress(),
                    mapping={
                        "phase": PHASES[PHASES.index(phase) + 1] if done else phase,
                        "cursor": "0" if done else str(cursor),
                        f"moved_{phase}": moved[phase],
                    },
                )
                if done:
                    break
            progress(f"{phase}: {moved[phase]} moved to data key {current.id}")
        return RekeyReport(current.id, previous.id if previous else None, moved, resumed, self.persons_moved)

    def _case_chunk(self, cursor: int) -> tuple[int, int]:
        cursor, case_ids = self.redis.sscan(self.keys.case_ids(), cursor, count=self.chunk)
        pipe = self.redis.pipeline(transaction=False)
        for case_id in case_ids:
            pipe.hmget(self.keys.case(case_id), "tin_sealed", "tin_ref")
        pipe_moves = self.redis.pipeline(transaction=False)
        count = 0
        previous = self.seal.previous
        persons: dict[str, str] = {}  # old ref → new ref: each person's compliance records move once per chunk
        for case_id, (sealed, old_ref) in zip(case_ids, pipe.execute(), strict=True):
            if not sealed:
                continue
            if TinSeal.key_id_of(sealed) == self.seal.current.id:
                if previous is not None:  # re-imported under the new key meanwhile: its person's records still move
                    digits = self._unseal(sealed, f"case {case_id}")
                    persons[previous.digest("tin", digits)] = self.seal.ref(digits)
                continue
            digits = self._unseal(sealed, f"case {case_id}")
            if previous is not None:
                persons[previous.digest("tin", digits)] = self.seal.ref(digits)
            new_ref = self.seal.ref(digits)
            self._move_case(
                keys=[
                    self.keys.case(case_id),
                    self.keys.taxpayer_cases(old_ref or ""),
                    self.keys.taxpayer_cases(new_ref),
                ],
                args=[
                    case_id,
                    sealed,
                    self.seal.seal(digits),
                    new_ref,
                    self.keys.taxpayer_cases_field(old_ref or ""),
                    self.keys.taxpayer_cases_field(new_ref),
                ],
                client=pipe_moves,
            )
            count += 1
        moved = sum(pipe_moves.execute()) if count else 0
        person_moves = self.redis.pipeline(transaction=False)
        if self._persons.queue([(old, new) for old, new in persons.items() if old != new], person_moves):
            self.persons_moved += sum(person_moves.execute())
        return cursor, moved

    def _authorization_chunk(self, cursor: int) -> tuple[int, int]:
        cursor, names = self.redis.scan(cursor, match=self.keys.authorization_pattern(), count=self.chunk)
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(name)
        pipe_moves = self.redis.pipeline(transaction=False)
        count = 0
        prefix = self.keys.authorization("")
        for name, data in zip(names, pipe.execute(), strict=True):
            sealed = data.get("tin_sealed")
            if not sealed or TinSeal.key_id_of(sealed) == self.seal.current.id:
                continue
            old_id = name[len(prefix) :]
            digits = self._unseal(sealed, f"authorization {old_id}")
            new_id = self.seal.authorization_id(f"{data['caf']}|{digits}|{data['form']}|{data['received']}")
            new_ref = self.seal.ref(digits)
            self._move_authorization(
                keys=[
                    name,
                    self.keys.authorization(new_id),
                    self.keys.taxpayer_authorizations(data.get("tin_ref", "")),
                    self.keys.taxpayer_authorizations(new_ref),
                    self.keys.practitioner_authorizations(data["caf"]),
                ],
                args=[old_id, new_id, sealed, self.seal.seal(digits), new_ref],
                client=pipe_moves,
            )
            count += 1
        return cursor, sum(pipe_moves.execute()) if count else 0

    def _unseal(self, sealed: str, what: str) -> str:
        try:
            return self.seal.unseal(sealed)
        except ValueError:
            key_id = TinSeal.key_id_of(sealed)
            raise RekeyError(
                f"{what} is sealed under data key {key_id!r}, which is neither the current nor the previous key"
            ) from None
