"""`acs rekey`'s second move per taxpayer: the person's compliance records, from the old key's reference to the new.

Reg F call counts, conversations (the quiet week), wrong numbers and a person-level stop-calling request are keyed by
the taxpayer's reference under the data key; left behind, a rotation would silently reset them once the old key is
retired. Each person moves in one small script that merges the old records into the new (a worker may already have
written under the new key) and deletes the old, so a reader that looks old-first never misses them. Re-running it
finds nothing left under the old reference and changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from ivr.cases.models import TAXPAYER_CONTACT
from ivr.keys import KeySchema

#: The Reg F counts' TTL (ivr.dialer.persons.CALLS_TTL_SECONDS, which cases may not import).
CALLS_TTL_SECONDS = 31 * 86_400

# KEYS: dnc_persons, old/new conversations, old/new wrong numbers, old/new called, then old/new calls per contact.
# ARGV: old ref, new ref, ttl. Returns 1 when anything was under the old reference.
_MOVE_PERSON = """
local moved = 0
local stop = redis.call('HGET', KEYS[1], ARGV[1])
if stop then
  redis.call('HSETNX', KEYS[1], ARGV[2], stop)
  redis.call('HDEL', KEYS[1], ARGV[1])
  moved = 1
end
local old = redis.call('HGETALL', KEYS[2])
for i = 1, #old, 2 do
  local kept = tonumber(redis.call('HGET', KEYS[3], old[i]) or '')
  local theirs = tonumber(old[i + 1])
  if not kept or (theirs and theirs > kept) then redis.call('HSET', KEYS[3], old[i], old[i + 1]) end
end
old = redis.call('HGETALL', KEYS[4])
for i = 1, #old, 2 do redis.call('HSETNX', KEYS[5], old[i], old[i + 1]) end
if redis.call('EXISTS', KEYS[6]) == 1 then
  redis.call('SUNIONSTORE', KEYS[7], KEYS[7], KEYS[6])
  redis.call('EXPIRE', KEYS[7], ARGV[3])
end
for i = 8, #KEYS - 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('ZUNIONSTORE', KEYS[i + 1], 2, KEYS[i + 1], KEYS[i], 'AGGREGATE', 'MAX')
    redis.call('EXPIRE', KEYS[i + 1], ARGV[3])
    redis.call('DEL', KEYS[i])
    moved = 1
  end
end
for _, i in ipairs({2, 4, 6}) do
  if redis.call('DEL', KEYS[i]) == 1 then moved = 1 end
end
return moved
"""


class PersonMover:
    def __init__(self, client: redis.Redis, keys: KeySchema):
        self.redis = client
        self.keys = keys
        self._move = client.register_script(_MOVE_PERSON)

    def queue(self, moves: Sequence[tuple[str, str]], pipe: redis.client.Pipeline) -> int:
        """Queue on `pipe` the move of each (old ref, new ref), after one round trip for their contacts."""
        if not moves:
            return 0
        read = self.redis.pipeline(transaction=False)
        for old_ref, _new in moves:
            read.smembers(self.keys.taxpayer_called(old_ref))  # one person's contacts: the taxpayer and a few CAFs
        keys = self.keys
        for (old_ref, new_ref), called in zip(moves, read.execute(), strict=True):
            person_keys = [
                keys.dnc_persons(),
                keys.taxpayer_conversations(old_ref),
                keys.taxpayer_conversations(new_ref),
                keys.taxpayer_wrong_numbers(old_ref),
                keys.taxpayer_wrong_numbers(new_ref),
                keys.taxpayer_called(old_ref),
                keys.taxpayer_called(new_ref),
            ]
            for contact in sorted({TAXPAYER_CONTACT, *called}):
                person_keys += [keys.contact_calls(old_ref, contact), keys.contact_calls(new_ref, contact)]
            self._move(keys=person_keys, args=[old_ref, new_ref, CALLS_TTL_SECONDS], client=pipe)
        return len(moves)
