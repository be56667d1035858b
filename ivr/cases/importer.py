"""CSV import of cases, practitioners and authorizations at any size: validate every row, then write in chunks.

Two passes with bounded memory. The first reads the file once, checks every row (each bad one is reported with
its line number; with any, nothing is written), keeps an 8-byte digest per row to find duplicates, and spills the
normalised records to an anonymous temporary file encrypted with a key that lives only in this process; a large
file is checked on every core, a block per worker process (ivr.cases.row_check). The second reads the spill back
and writes it in chunks (ivr.cases.import_jobs): idempotent, resumable after a crash, one import of a kind at a
time, never blocking Redis.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import multiprocessing
import os
import struct
import tempfile
import time
from array import array
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import redis
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ivr.cases.import_jobs import LEASE_SECONDS, ImportBusy, ImportJob, ImportLease
from ivr.cases.row_check import CASE_FIELDS, END, SEP, Batch, FileBlocks, RowChecker, check_block, init_worker
from ivr.cases.rows import (
    AUTHORIZATION_COLUMNS,
    CASE_COLUMNS,
    COLUMNS,
    KINDS,
    PRACTITIONER_COLUMNS,
    RowError,
    format_errors,
)
from ivr.cases.sealing import TinSeal, current_seal
from ivr.cases.tin import redact
from ivr.keys import KeySchema

__all__ = [
    "AUTHORIZATION_COLUMNS",
    "CASE_COLUMNS",
    "KINDS",
    "PRACTITIONER_COLUMNS",
    "ImportBusy",
    "ImportResult",
    "Importer",
    "RowError",
    "format_errors",
]

#: Rows per chunk: ~2-4 ms of Redis time each on this machine (a Lua script), far from the 50 ms a webhook may wait.
CHUNK_ROWS = 200
#: Bad rows kept for the report; beyond this only their number is (a file of a million bad rows stays small).
MAX_REPORTED_ERRORS = 1000
#: Files this size or larger are checked by worker processes, a block each (forking costs ~50 ms).
PARALLEL_BYTES = 4 << 20
BLOCK_BYTES = 1 << 20
_READ_BYTES = 1 << 20


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    more_errors: int = 0  # bad rows beyond MAX_REPORTED_ERRORS
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_error(self, line: int, message: str) -> None:
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, message))
        else:
            self.more_errors += 1


class Progress:
    """What an import reports as it goes (the CLI draws tqdm bars from it); the base class ignores it all."""

    def read(self, size: int) -> None:
        """`size` more bytes of the file were validated."""

    def writing(self, rows: int) -> None:
        """Validation passed; `rows` records will now be written."""

    def wrote(self, rows: int) -> None:
        """`rows` more records are in Redis (or were already, for a resumed import)."""


class Importer:
    def __init__(
        self,
        client: redis.Redis,
        keys: KeySchema,
        seal: TinSeal | None = None,
        chunk_rows: int = CHUNK_ROWS,
        lease_seconds: int = LEASE_SECONDS,
        workers: int | None = None,
        parallel_bytes: int = PARALLEL_BYTES,
        block_bytes: int = BLOCK_BYTES,
    ):
        self.redis = client
        self.keys = keys
        self.seal = seal or current_seal()
        self.chunk_rows = chunk_rows
        self.lease_seconds = lease_seconds
        # Processes checking rows: one per core (on one core, streaming in this process is as fast).
        self.workers = workers if workers is not None else _cores()
        self.parallel_bytes = parallel_bytes
        self.block_bytes = block_bytes

    def import_file(self, kind: str, path: str | Path, progress: Progress | None = None) -> ImportResult:
        """Import one CSV file; raises ImportBusy when another import of `kind` is running."""
        with open(path, "rb") as source:
            return self.import_stream(kind, source, progress)

    def import_text(self, kind: str, text: str) -> ImportResult:
        return self.import_stream(kind, io.BytesIO(text.encode("utf-8")))

    def import_stream(self, kind: str, source: BinaryIO, progress: Progress | None = None) -> ImportResult:
        """Validate `source` (a seekable binary file) whole, then write it; see the module docstring."""
        progress = progress or Progress()
        if kind not in KINDS:
            raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
        with ImportLease(self.redis, self.keys, kind, self.lease_seconds) as lease, Spill() as spill:
            result, digest = _Validator(self, kind, spill, progress).run(source)
            if not result.ok:
                return result
            job = ImportJob(self.redis, self.keys, kind, digest, self.chunk_rows)
            result.resumed = job.resumed
            progress.writing(spill.records)
            self._write(kind, job, spill, lease, progress)
            result.created = job.created()
            job.finish()
            return result

    # --- the second pass ---------------------------------------------------------------------------------
    def _write(self, kind: str, job: ImportJob, spill: Spill, lease: ImportLease, progress: Progress) -> None:
        def check_lease() -> None:
            if lease.lost.is_set():
                raise ImportBusy(f"the `acs import {kind}` lease lapsed (Redis unreachable?); run it again to resume")

        job.write(spill.chunks(job.chunk_rows), time.time(), CASE_FIELDS, progress.wrote, check_lease)


class _Validator:
    """The first pass: every row checked, duplicates found by digest, clean records spilled.

    Rows are checked by RowChecker, here or (files of PARALLEL_BYTES and more) in worker processes a block each;
    either way the batches arrive here in file order, so line numbers, duplicates ("first on line N") and the
    error list come out the same.
    """

    def __init__(self, importer: Importer, kind: str, spill: Spill, progress: Progress):
        self.importer = importer
        self.kind = kind
        self.columns = COLUMNS[kind]
        self.spill = spill
        self.progress = progress
        self.result = ImportResult(kind)
        self.digests = array("Q")  # 8 bytes a row: a million rows cost 8 MB, not the rows themselves
        self.lines = array("L")
        self.seen: set[int] = set()
        self.pending_cafs: list[tuple[int, str]] = []  # authorizations: (line, CAF) to check against Redis

    def run(self, source: BinaryIO) -> tuple[ImportResult, str]:
        workers = self.importer.workers
        if workers > 1 and _size(source) >= self.importer.parallel_bytes:
            done = self._run_blocks(source, workers)
            if done is not None:
                return done
            self.__init__(self.importer, self.kind, self.spill.reset(), self.progress)  # check it streamed instead
            source.seek(0)
        return self._run_streamed(source)

    def _run_streamed(self, source: BinaryIO) -> tuple[ImportResult, str]:
        hashing = _Hashing(source, self.progress)
        text = io.TextIOWrapper(io.BufferedReader(hashing, _READ_BYTES), encoding="utf-8-sig", newline="")
        result = self.result
        try:
            reader = csv.reader(text)
            header = self._header(reader)
            if header is not None:
                RowChecker(self.kind, header, self.importer.seal, self._take).run(reader, reader.line_num)
            self._check_cafs()
        except UnicodeDecodeError:
            result.errors = [RowError(_first_bad_line(source), "file is not UTF-8 text")]
            result.more_errors = 0
        finally:
            text.detach()
        return self._finish(), hashing.sha.hexdigest()

    def _run_blocks(self, source: BinaryIO, workers: int) -> tuple[ImportResult, str] | None:
        """Check the file in blocks on `workers` processes; None when it must be checked streamed instead."""
        sha = hashlib.sha256()

        def read(data: bytes) -> None:
            sha.update(data)
            self.progress.read(len(data))

        blocks = FileBlocks(source, self.importer.block_bytes, read)
        seal, kind = self.importer.seal, self.kind
        with _worker_pool(workers, seal) as pool:
            in_flight: deque = deque()
            header = None
            for data, first_line in blocks:
                if header is None:
                    try:
                        text = data.decode("utf-8-sig")
                    except UnicodeDecodeError:
                        return None
                    lines = io.StringIO(text, newline="")
                    reader = csv.reader(lines)
                    try:
                        header = self._header(reader)
                    except csv.Error:
                        return None
                    if header is None:
                        return self._finish(), _rest_hashed(source, sha)
                    skip = io.StringIO(text, newline="")
                    for _ in range(reader.line_num):
                        skip.readline()
                    data, first_line = skip.read(), reader.line_num + 1
                in_flight.append(pool.apply_async(check_block, (kind, header, data, first_line)))
                if len(in_flight) > 2 * workers and not self._merge(in_flight.popleft().get()):
                    return None
            while in_flight:
                if not self._merge(in_flight.popleft().get()):
                    return None
        if blocks.unsplittable:
            return None
        if header is None:  # an empty file
            self._header(iter(()))
        self._check_cafs()
        return self._finish(), sha.hexdigest()

    def _merge(self, batch: Batch) -> bool:
        if batch.unsure:
            return False
        self._take(batch)
        return True

    def _header(self, reader) -> tuple[str, ...] | None:
        """The header row, checked: None (with the error recorded) when it does not name the kind's columns."""
        result, columns = self.result, self.columns
        header = tuple(name.strip() for name in next(reader, ()))
        if not header:
            result.add_error(1, "empty file: expected a header row " + ",".join(columns))
            return None
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        if missing or extra:
            parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
                # a file without its header row gets here with a data row: never echo its SSN/EIN
                [f"unexpected column(s) {redact(', '.join(extra))}"] if extra else []
            )
            result.add_error(1, "; ".join(parts) + " — expected " + ",".join(columns))
            return None
        if len(set(header)) != len(header):
            result.add_error(1, "repeated column in the header — expected " + ",".join(columns))
            return None
        return header

    def _take(self, batch: Batch) -> None:
        """A batch of checked rows, in file order: record its errors, find duplicates, spill the rest."""
        result = self.result
        result.rows += batch.rows
        for line, message in batch.errors:
            result.add_error(line, message)
        seen, digests, lines = self.seen, self.digests, self.lines
        for index, digest in enumerate(batch.digests):
            if digest in seen:
                first = lines[digests.index(digest)]
                message = (
                    "duplicate authorization (same CAF, taxpayer, form and received date)"
                    if self.kind == "authorizations"
                    else f"duplicate {self.columns[0]} {batch.keys[index]}"
                )
                result.add_error(batch.lines[index], f"{message} (first on line {first})")
                continue
            seen.add(digest)
            digests.append(digest)
            lines.append(batch.lines[index])
        if batch.cafs:
            self.pending_cafs += batch.cafs
            if len(self.pending_cafs) >= CHUNK_ROWS:
                self._check_cafs()
        if not result.errors:  # with any error nothing will be written: stop spilling, keep checking
            self.spill.add_many(batch.records)

    def _finish(self) -> ImportResult:
        result = self.result
        if result.rows == 0 and not result.errors:
            result.add_error(2, "no data rows")
        result.errors.sort(key=lambda error: error.line)
        return result

    def _check_cafs(self) -> None:
        """Authorizations must name practitioners on file (import them first): one SMISMEMBER per 200 rows."""
        if not self.pending_cafs:
            return
        redis_client, keys = self.importer.redis, self.importer.keys
        known = redis_client.smismember(keys.practitioner_cafs(), [caf for _, caf in self.pending_cafs])
        for (line, caf), is_known in zip(self.pending_cafs, known, strict=True):
            if not is_known:
                self.result.add_error(line, f"authorization for unknown CAF {caf} (import practitioners first)")
        self.pending_cafs = []


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _size(source: BinaryIO) -> int:
    position = source.seek(0, io.SEEK_END)
    source.seek(0)
    return position


def _rest_hashed(source: BinaryIO, sha) -> str:
    while data := source.read(_READ_BYTES):
        sha.update(data)
    return sha.hexdigest()


@contextmanager
def _worker_pool(workers: int, seal: TinSeal) -> Iterator:
    """Forked workers (they inherit the data key; nothing is sent them but file blocks) that die with us.

    Always closed and joined, never terminated: Pool.terminate() SIGTERMs workers, and an idle one holds the task
    queue's lock while it waits, which can leave terminate() waiting for that lock forever. Joining waits for the
    blocks already handed out (a second or so) and is safe.
    """
    pool = multiprocessing.get_context("fork").Pool(workers, init_worker, (seal, os.getpid()))
    try:
        yield pool
    finally:
        pool.close()
        pool.join()


class _Hashing(io.RawIOBase):
    """The file's bytes on their way to the decoder: hashed (the job's identity) and counted (the progress bar)."""

    def __init__(self, source: BinaryIO, progress: Progress):
        self.source = source
        self.progress = progress
        self.sha = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        self.sha.update(data)
        self.progress.read(len(data))
        return len(data)


def _first_bad_line(source: BinaryIO) -> int:
    """The line holding the first byte that is not UTF-8 (read again from the start: only on that error)."""
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    line = 1
    while block := source.read(_READ_BYTES):
        try:
            decoder.decode(block)
        except UnicodeDecodeError as exc:
            return line + block[: max(0, exc.start)].count(b"\n")
        line += block.count(b"\n")
    return line


class Spill:
    """Normalised records on their way from the first pass to the second: an anonymous temporary file (gone when
    the process ends, however it ends), each block sealed with a key only this process holds, because records
    carry SSN/EINs."""

    BLOCK = 1000

    def __init__(self):
        self._file = tempfile.TemporaryFile(dir=os.environ.get("ACS_IMPORT_TMPDIR"))  # noqa: SIM115 - closed in __exit__
        self._aead = AESGCM(AESGCM.generate_key(bit_length=128))
        self._block: list[str] = []
        self._count = 0
        self.records = 0

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def add_many(self, records: list[str]) -> None:
        """Records already joined (row_check.SEP between values)."""
        self._block += records
        self.records += len(records)
        if len(self._block) >= self.BLOCK:
            self._flush()

    def reset(self) -> Spill:
        """Empty it (the first pass starts over)."""
        self._file.seek(0)
        self._file.truncate()
        self._block, self._count, self.records = [], 0, 0
        return self

    def _flush(self) -> None:
        if not self._block:
            return
        nonce = struct.pack(">4xQ", self._count)
        sealed = self._aead.encrypt(nonce, END.join(self._block).encode("utf-8"), None)
        self._file.write(struct.pack(">I", len(sealed)) + sealed)
        self._count += 1
        self._block = []

    def _blocks(self) -> Iterator[list[list[str]]]:
        self._flush()
        self._file.seek(0)
        for number in range(self._count):
            (size,) = struct.unpack(">I", self._file.read(4))
            plain = self._aead.decrypt(struct.pack(">4xQ", number), self._file.read(size), None).decode("utf-8")
            yield [record.split(SEP) for record in plain.split(END)]

    def chunks(self, rows: int) -> Iterator[list[list[str]]]:
        """The records in file order, `rows` at a time."""
        buffer: list[list[str]] = []
        for records in self._blocks():
            buffer.extend(records)
            while len(buffer) >= rows:
                yield buffer[:rows]
                buffer = buffer[rows:]
        if buffer:
            yield buffer
