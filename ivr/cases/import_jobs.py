"""The Redis side of an import: one import of a kind at a time (a lease), and chunks committed exactly once.

A job is keyed by the file's SHA-256. Each chunk is written by one Lua script that also advances the job's
cursor, so a chunk is either wholly written and counted or not at all; a re-run of the same file after a crash
skips the committed chunks and writes the rest. Every write is idempotent too (HSET of the same values, ZADD NX,
set adds), so even a chunk replayed by hand changes nothing. A chunk is ~1,000 rows: a few milliseconds of
server time, never near the 50 ms a webhook could wait. No WATCH anywhere (Redis 6.2's WATCH is O(n²) in keys).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Sequence

import redis

from ivr.keys import KeySchema

LEASE_SECONDS = 30
JOB_TTL_SECONDS = 7 * 86_400


class ImportBusy(RuntimeError):
    """Another import of the same kind holds the lease."""


_RENEW = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ImportLease:
    """`acs import KIND` holds this while it runs; a second one is refused. Renewed by a thread; lapses on a crash."""

    def __init__(self, client: redis.Redis, keys: KeySchema, kind: str, seconds: int = LEASE_SECONDS):
        self.redis = client
        self.key = keys.import_lease(kind)
        self.kind = kind
        self.seconds = seconds
        self.token = f"{secrets.token_hex(8)}|{time.time():.0f}"
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def __enter__(self) -> ImportLease:
        if not self.redis.set(self.key, self.token, nx=True, ex=self.seconds):
            holder = self.redis.get(self.key) or ""
            since = holder.partition("|")[2]
            started = f" (started {time.strftime('%H:%M:%S', time.localtime(float(since)))})" if since else ""
            raise ImportBusy(
                f"another `acs import {self.kind}` is running{started}; wait for it to finish, then run this again"
            )
        self._thread = threading.Thread(target=self._keep, name=f"import-lease-{self.kind}", daemon=True)
        self._thread.start()
        return self

    def _keep(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                if not self._renew(keys=[self.key], args=[self.token, self.seconds * 1000]):
                    self.lost.set()
                    return
            except redis.RedisError:
                continue  # a blip: the lease outlives a few missed renewals

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with contextlib.suppress(redis.RedisError):  # it lapses by itself
            self._release(keys=[self.key], args=[self.token])


# Shared head and tail of every chunk script: skip a committed chunk, then advance the cursor and the count.
# KEYS[1]: the job. ARGV[1]: this chunk's number.
_HEAD = """
local job = KEYS[1]
local chunk = tonumber(ARGV[1])
if chunk <= tonumber(redis.call('HGET', job, 'committed') or '-1') then return -1 end
local created = 0
"""
_TAIL = """
redis.call('HSET', job, 'committed', chunk)
redis.call('HINCRBY', job, 'created', created)
redis.call('EXPIRE', job, ARGV[2])
return created
"""
# A case id listed in a space-separated bucket field (the taxpayer index).
_INDEX = """
local function index_add(key, field, id)
  local listed = redis.call('HGET', key, field)
  if not listed then redis.call('HSET', key, field, id)
  elseif not string.find(' ' .. listed .. ' ', ' ' .. id .. ' ', 1, true) then
    redis.call('HSET', key, field, listed .. ' ' .. id)
  end
end
local function index_remove(key, field, id)
  local listed = redis.call('HGET', key, field)
  if not listed then return end
  local kept = {}
  for other in string.gmatch(listed, '%S+') do if other ~= id then kept[#kept + 1] = other end end
  if #kept == 0 then redis.call('HDEL', key, field) else redis.call('HSET', key, field, table.concat(kept, ' ')) end
end
"""

# Cases. KEYS: job, case_ids, cases_due, then per row: case, its taxpayer bucket, the bucket of the ref it had.
# ARGV: chunk, job ttl, opened_at, field count n, n field names, then per row: case id, index field, old index
# field ('' when new or unchanged), tin_ref, n values.
_CASES = (
    _HEAD
    + _INDEX
    + """
local opened_at, n = ARGV[3], tonumber(ARGV[4])
local names = {}
for i = 1, n do names[i] = ARGV[4 + i] end
local a = 5 + n
for k = 4, #KEYS, 3 do
  local case, bucket, old_bucket = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  local id, field, old_field, ref = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local had = redis.call('HGET', case, 'tin_ref')
  if not had then
    created = created + 1
    redis.call('ZADD', KEYS[3], 'NX', 0, id)
    redis.call('HSET', case, 'opened_at', opened_at)
  elseif had ~= ref and old_field ~= '' then
    index_remove(old_bucket, old_field, id)
  end
  local pairs_ = {}
  for i = 1, n do pairs_[#pairs_ + 1] = names[i]; pairs_[#pairs_ + 1] = ARGV[a + 3 + i] end
  redis.call('HSET', case, unpack(pairs_))
  redis.call('HDEL', case, 'tin_digits')  -- written in the clear before sealing: never left behind
  redis.call('SADD', KEYS[2], id)
  index_add(bucket, field, id)
  a = a + 4 + n
end
"""
    + _TAIL
)

# Practitioners. KEYS: job, practitioner_cafs, then per row: practitioner. ARGV: chunk, ttl, then per row:
# caf, name, firm, phone.
_PRACTITIONERS = (
    _HEAD
    + """
local a = 3
for k = 3, #KEYS do
  redis.call('HSET', KEYS[k], 'name', ARGV[a + 1], 'firm', ARGV[a + 2], 'phone', ARGV[a + 3])
  created = created + redis.call('SADD', KEYS[2], ARGV[a])
  a = a + 4
end
"""
    + _TAIL
)

# Authorizations. KEYS: job, then per row: authorization, taxpayer's set, practitioner's set. ARGV: chunk, ttl,
# then per row: id, caf, tin_ref, form, periods, received, revoked, tin_sealed.
_AUTHORIZATIONS = (
    _HEAD
    + """
local a = 3
for k = 2, #KEYS, 3 do
  created = created + (1 - redis.call('EXISTS', KEYS[k]))
  redis.call('HSET', KEYS[k], 'caf', ARGV[a + 1], 'tin_ref', ARGV[a + 2], 'form', ARGV[a + 3],
    'periods', ARGV[a + 4], 'received', ARGV[a + 5], 'revoked', ARGV[a + 6], 'tin_sealed', ARGV[a + 7])
  redis.call('SADD', KEYS[k + 1], ARGV[a])
  redis.call('SADD', KEYS[k + 2], ARGV[a])
  a = a + 8
end
"""
    + _TAIL
)


class ImportJob:
    """Progress of one file's import in Redis: which chunks are committed and how many records they created."""

    def __init__(self, client: redis.Redis, keys: KeySchema, kind: str, file_digest: str, chunk_rows: int):
        self.redis = client
        self.keys = keys
        self.kind = kind
        self.key = keys.import_job(kind, file_digest)
        # A resumed job keeps the chunking it started with, so chunk numbers mean the same rows.
        self.redis.hsetnx(self.key, "chunk_rows", chunk_rows)
        self.redis.expire(self.key, JOB_TTL_SECONDS)
        state = self.redis.hgetall(self.key)
        self.chunk_rows = int(state["chunk_rows"])
        self.committed = int(state.get("committed", -1))
        self.created_before = int(state.get("created", 0))
        self._scripts = {
            "cases": client.register_script(_CASES),
            "practitioners": client.register_script(_PRACTITIONERS),
            "authorizations": client.register_script(_AUTHORIZATIONS),
        }

    @property
    def resumed(self) -> bool:
        return self.committed >= 0

    def created(self) -> int:
        return int(self.redis.hget(self.key, "created") or 0)

    def finish(self) -> None:
        """Forget the job: running the same file again re-applies it (harmlessly) rather than skipping it."""
        self.redis.delete(self.key)

    def write_cases(self, chunk: int, opened_at: float, names: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
        """rows: (case_id, tin_ref, values in `names` order); returns the cases created, -1 if already committed."""
        refs = [row[1] for row in rows]
        had = self._pre_read([self.keys.case(row[0]) for row in rows])
        keys = [self.key, self.keys.case_ids(), self.keys.cases_due()]
        args: list = [chunk, JOB_TTL_SECONDS, f"{opened_at:.3f}", len(names), *names]
        for row, ref, old_ref in zip(rows, refs, had, strict=True):
            moved = old_ref is not None and old_ref != ref
            keys += [
                self.keys.case(row[0]),
                self.keys.taxpayer_cases(ref),
                self.keys.taxpayer_cases(old_ref if moved else ref),
            ]
            old_field = self.keys.taxpayer_cases_field(old_ref) if moved else ""
            args += [row[0], self.keys.taxpayer_cases_field(ref), old_field, ref, *row[2:]]
        return int(self._scripts["cases"](keys=keys, args=args))

    def _pre_read(self, case_keys: list[str]) -> list[str | None]:
        """The TIN ref each case has now (to move it in the taxpayer index if the file changed it)."""
        pipe = self.redis.pipeline(transaction=False)
        for key in case_keys:
            pipe.hget(key, "tin_ref")
        return pipe.execute()

    def write_practitioners(self, chunk: int, rows: Sequence[Sequence[str]]) -> int:
        """rows: (caf, name, firm, phone)."""
        keys = [self.key, self.keys.practitioner_cafs(), *(self.keys.practitioner(row[0]) for row in rows)]
        args = [chunk, JOB_TTL_SECONDS, *(value for row in rows for value in row)]
        return int(self._scripts["practitioners"](keys=keys, args=args))

    def write_authorizations(self, chunk: int, rows: Sequence[Sequence[str]]) -> int:
        """rows: (id, caf, tin_ref, form, periods, received, revoked, tin_sealed)."""
        keys = [self.key]
        for row in rows:
            keys += [
                self.keys.authorization(row[0]),
                self.keys.taxpayer_authorizations(row[2]),
                self.keys.practitioner_authorizations(row[1]),
            ]
        args = [chunk, JOB_TTL_SECONDS, *(value for row in rows for value in row)]
        return int(self._scripts["authorizations"](keys=keys, args=args))
