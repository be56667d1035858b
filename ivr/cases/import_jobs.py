"""The Redis side of an import: one import of a kind at a time (a lease), and chunks committed exactly once.

A job is keyed by the file's SHA-256. Each chunk is written by one Lua script that also advances the job's
cursor, so a chunk is either wholly written and counted or not at all; a re-run of the same file after a crash
skips the committed chunks and writes the rest. Every write is idempotent too (HSET of the same values, ZADD NX,
set adds), so even a chunk replayed by hand changes nothing. A chunk is 200 rows: a few milliseconds of
server time, never near the 50 ms a webhook could wait. No WATCH anywhere (Redis 6.2's WATCH is O(n²) in keys).
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence

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

# Cases. KEYS: job, case_ids, cases_due, then per row: case, its taxpayer bucket, then per moved row (a re-import
# that changed a case's TIN) the bucket of the ref it had. ARGV: chunk, job ttl, opened_at, field count n, n field
# names, the position of tin_ref among them, the number of rows, then per row: case id, index field, n values, then
# per moved row: its row number and old index field. Redis builds a Lua string per argument (~0.2 µs each, over
# half a chunk's time), so each is sent once; per new row three commands (HGET, HSET, HSETNX), and the set and
# sorted-set adds go in one command per thousand ids.
_CASES = (
    _HEAD
    + _INDEX
    + """
local opened_at, n = ARGV[3], tonumber(ARGV[4])
local ref_at, rows = tonumber(ARGV[5 + n]), tonumber(ARGV[6 + n])
local fields = {'opened_at', opened_at}  -- then name, value pairs: one table for every row of the chunk
for i = 1, n do fields[2 * i + 1] = ARGV[4 + i] end
local first = 7 + n
local moved_at = first + rows * (2 + n)
for m = moved_at, #ARGV, 2 do
  local row = tonumber(ARGV[m])
  local case, id = KEYS[2 + 2 * row], ARGV[first + (row - 1) * (2 + n)]
  local had = redis.call('HGET', case, 'tin_ref')
  if had and had ~= ARGV[first + (row - 1) * (2 + n) + 1 + ref_at] then
    index_remove(KEYS[4 + 2 * rows + (m - moved_at) / 2], ARGV[m + 1], id)
  end
end
local ids, due = {}, {}
local a = first
for k = 4, 3 + 2 * rows, 2 do
  local case, bucket, id, field = KEYS[k], KEYS[k + 1], ARGV[a], ARGV[a + 1]
  for i = 1, n do fields[2 * i + 2] = ARGV[a + 1 + i] end
  if not redis.call('HGET', case, 'tin_ref') then
    created = created + 1
    due[#due + 1] = 0
    due[#due + 1] = id
    redis.call('HSET', case, unpack(fields))
  else
    redis.call('HSET', case, unpack(fields, 3))
    redis.call('HDEL', case, 'tin_digits')  -- written in the clear before sealing: never left behind
  end
  ids[#ids + 1] = id
  if redis.call('HSETNX', bucket, field, id) == 0 then index_add(bucket, field, id) end
  a = a + 2 + n
end
for i = 1, #ids, 1000 do redis.call('SADD', KEYS[2], unpack(ids, i, math.min(i + 999, #ids))) end
for i = 1, #due, 1000 do redis.call('ZADD', KEYS[3], 'NX', unpack(due, i, math.min(i + 999, #due))) end
"""
    + _TAIL
)

# The TIN ref each case of a chunk has now (false when new), read in one call ahead of its write.
_REFS = """
local refs = {}
for i, key in ipairs(KEYS) do refs[i] = redis.call('HGET', key, 'tin_ref') end
return refs
"""

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
        script = {"cases": _CASES, "practitioners": _PRACTITIONERS, "authorizations": _AUTHORIZATIONS}[kind]
        self._write_sha = client.script_load(script)
        self._refs_sha = client.script_load(_REFS)

    @property
    def resumed(self) -> bool:
        return self.committed >= 0

    def created(self) -> int:
        return int(self.redis.hget(self.key, "created") or 0)

    def finish(self) -> None:
        """Forget the job: running the same file again re-applies it (harmlessly) rather than skipping it."""
        self.redis.delete(self.key)

    def write(
        self,
        chunks: Iterable[Sequence[Sequence[str]]],
        opened_at: float = 0.0,
        names: Sequence[str] = (),
        wrote: Callable[[int], None] = lambda rows: None,
        stop: Callable[[], None] = lambda: None,
    ) -> None:
        """Write the file's chunks in order, skipping committed ones; `wrote(rows)` as each is in Redis.

        One chunk script at a time, its reply awaited before the next is built: keeping Redis busy back to back
        (pipelining the writes) was no faster on a loaded 2-core machine and let the scheduler preempt Redis
        mid-script, stretching a 3 ms script past 100 ms for every other client (SLOWLOG, bench/scale.py). Cases'
        TIN-ref pre-reads are sent two chunks ahead, behind the writes, so they cost no round trip. Cases: rows are
        (case_id, tin_ref, values in `names` order); practitioners (caf, name, firm, phone); authorizations
        (id, caf, tin_ref, form, periods, received, revoked, tin_sealed). `stop()` may raise to abandon the import.
        """
        with _Pipeline(self.redis) as pipe:
            refs: deque = deque()  # cases: the pre-read of each chunk's TIN refs, sent two chunks ahead

            def ahead() -> Iterator[tuple[int, Sequence[Sequence[str]]]]:
                waiting: deque = deque()
                for number, rows in enumerate(chunks):
                    if self.kind == "cases" and number > self.committed:
                        refs.append(pipe.send(self._refs_sha, [self.keys.case(row[0]) for row in rows], []))
                    waiting.append((number, rows))
                    if len(waiting) > 2:
                        yield waiting.popleft()
                while waiting:
                    yield waiting.popleft()

            for number, rows in ahead():
                stop()
                if number <= self.committed:
                    wrote(len(rows))
                    continue
                if self.kind == "cases":
                    keys, args = self._cases_request(number, opened_at, names, rows, pipe.result(refs.popleft()))
                elif self.kind == "practitioners":
                    keys = [self.key, self.keys.practitioner_cafs(), *(self.keys.practitioner(row[0]) for row in rows)]
                    args = [number, JOB_TTL_SECONDS, *(value for row in rows for value in row)]
                else:
                    keys = [self.key]
                    for row in rows:
                        keys += [
                            self.keys.authorization(row[0]),
                            self.keys.taxpayer_authorizations(row[2]),
                            self.keys.practitioner_authorizations(row[1]),
                        ]
                    args = [number, JOB_TTL_SECONDS, *(value for row in rows for value in row)]
                count = len(rows)
                pipe.send(self._write_sha, keys, args, then=lambda _, n=count: wrote(n))
                pipe.settle(keep=0)
            pipe.settle(keep=0)

    def _cases_request(
        self, number: int, opened_at: float, names: Sequence[str], rows: Sequence[Sequence[str]], had: list
    ) -> tuple[list[str], list]:
        keys = [self.key, self.keys.case_ids(), self.keys.cases_due()]
        args: list = [number, JOB_TTL_SECONDS, f"{opened_at:.3f}", len(names), *names, names.index("tin_ref") + 1]
        args.append(len(rows))
        moved_keys, moved_args = [], []
        case_key, bucket, field = self.keys.case, self.keys.taxpayer_cases, self.keys.taxpayer_cases_field
        for number_in_chunk, (row, old_ref) in enumerate(zip(rows, had, strict=True), start=1):
            ref = row[1]
            keys += (case_key(row[0]), bucket(ref))
            args += (row[0], field(ref), *row[2:])
            if isinstance(old_ref, bytes):
                old_ref = old_ref.decode()
            if old_ref is not None and old_ref != ref:
                moved_keys.append(bucket(old_ref))
                moved_args += (number_in_chunk, field(old_ref))
        return keys + moved_keys, args + moved_args


class _Pipeline:
    """EVALSHA requests sent on one connection without waiting; replies are read in order, later.

    Lets small reads go ahead of the writes that need them, and packs each request with hiredis in one call
    (redis-py checks every argument's type in Python: ~5 µs a row). Any error closes the connection (unread
    replies die with it).
    """

    def __init__(self, client: redis.Redis):
        self.pool = client.connection_pool
        self.connection = self.pool.get_connection()
        self.pending: deque = deque()  # [callback, result slot] per request sent, in order
        self.pack = _pack or (lambda request: self.connection.pack_command(*request))

    def __enter__(self) -> _Pipeline:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None or self.pending:
            self.connection.disconnect()
        self.pool.release(self.connection)

    def send(self, sha: str, keys: list[str], args: list, then: Callable | None = None) -> list:
        """Send EVALSHA; returns a slot that holds the reply once read (see result)."""
        request = ("EVALSHA", sha, len(keys), *keys, *args)
        packed = self.pack(tuple(str(part) if isinstance(part, int | float) else part for part in request))
        self.connection.send_packed_command(packed)
        slot = [then, _UNREAD]
        self.pending.append(slot)
        return slot

    def settle(self, keep: int) -> None:
        """Read replies until at most `keep` requests are in flight."""
        while len(self.pending) > keep:
            self._read_one()

    def result(self, slot: list):
        while slot[1] is _UNREAD:
            self._read_one()
        return slot[1]

    def _read_one(self) -> None:
        slot = self.pending.popleft()
        slot[1] = self.connection.read_response()
        if slot[0] is not None:
            slot[0](slot[1])


_UNREAD = object()
try:
    from hiredis import pack_command as _hiredis_pack

    def _pack(request: tuple) -> list[bytes]:
        return [_hiredis_pack(request)]
except ImportError:  # pragma: no cover - hiredis is a dependency (redis[hiredis])
    _pack = None
