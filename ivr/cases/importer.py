"""CSV import of cases, practitioners and authorizations at any size: validate every row, then write in chunks.

Two streaming passes with bounded memory. The first reads the file once, checks every row (each bad one is
reported with its line number; with any, nothing is written), keeps an 8-byte digest per row to find duplicates,
and spills the normalised records to an anonymous temporary file encrypted with a key that lives only in this
process. The second reads the spill back and writes it in chunks (ivr.cases.import_jobs): idempotent,
resumable after a crash, one import of a kind at a time, never blocking Redis.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import struct
import tempfile
import time
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO

import redis
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ivr.cases.import_jobs import LEASE_SECONDS, ImportBusy, ImportJob, ImportLease
from ivr.cases.models import Case
from ivr.cases.rows import (
    AUTHORIZATION_COLUMNS,
    CASE_COLUMNS,
    COLUMNS,
    KINDS,
    PRACTITIONER_COLUMNS,
    ROW_ERRORS,
    AuthorizationRow,
    RowError,
    format_errors,
    parse_authorization_row,
    parse_case_row,
    parse_practitioner_row,
)
from ivr.cases.sealing import TinSeal, current_seal
from ivr.cases.store import authorization_to_hash, case_to_hash
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
_READ_BYTES = 1 << 20
_SEP, _END = "\x1f", "\x1e"  # unit and record separators: control characters no accepted value contains


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
    ):
        self.redis = client
        self.keys = keys
        self.seal = seal or current_seal()
        self.chunk_rows = chunk_rows
        self.lease_seconds = lease_seconds

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


# What the spill holds per record, in order (values only; the writers know the names).
CASE_FIELDS = (
    "case_type", "tin_kind", "tin_last4", "tin_sealed", "tin_ref", "taxpayer_name", "taxpayer_phone", "periods",
    "balance",
)  # fmt: skip
AUTHORIZATION_FIELDS = ("caf", "tin_ref", "form", "periods", "received", "revoked", "tin_sealed")


def case_record(case: Case, seal: TinSeal) -> list[str]:
    """A case as the chunk writer takes it: id, index ref, then the hash values (TIN handling: case_to_hash)."""
    values = case_to_hash(case, seal)
    return [case.case_id, values["tin_ref"], *(values[name] for name in CASE_FIELDS)]


def authorization_record(row: AuthorizationRow, seal: TinSeal) -> list[str]:
    values = {**authorization_to_hash(row.authorization), "tin_sealed": seal.seal(row.tin.digits)}
    return [row.authorization_id, *(values[name] for name in AUTHORIZATION_FIELDS)]


class _Validator:
    """The first pass: every row checked, duplicates found by digest, clean records spilled."""

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
        self.line = 0

    def run(self, source: BinaryIO) -> tuple[ImportResult, str]:
        hashing = _Hashing(source, self.progress)
        text = io.TextIOWrapper(io.BufferedReader(hashing, _READ_BYTES), encoding="utf-8-sig", newline="")
        result = self.result
        try:
            self._rows(csv.reader(text))
            self._check_cafs()
        except UnicodeDecodeError:
            result.errors = [RowError(_first_bad_line(source), "file is not UTF-8 text")]
            result.more_errors = 0
        finally:
            text.detach()
        if result.rows == 0 and not result.errors:
            result.add_error(2, "no data rows")
        result.errors.sort(key=lambda error: error.line)
        return result, hashing.sha.hexdigest()

    def _rows(self, reader) -> None:
        result, columns = self.result, self.columns
        header = tuple(name.strip() for name in next(reader, ()))
        if not header:
            result.add_error(1, "empty file: expected a header row " + ",".join(columns))
            return
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        if missing or extra:
            parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
                # a file without its header row gets here with a data row: never echo its SSN/EIN
                [f"unexpected column(s) {redact(', '.join(extra))}"] if extra else []
            )
            result.add_error(1, "; ".join(parts) + " — expected " + ",".join(columns))
            return
        if len(set(header)) != len(header):
            result.add_error(1, "repeated column in the header — expected " + ",".join(columns))
            return
        parse, keep = self._parser()
        width = len(header)
        line = reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # e.g. a field over the csv module's size limit: report it, never crash
                result.add_error(line + 1, f"unreadable CSV: {redact(str(exc))}")
                break
            line_start, line = line + 1, reader.line_num
            if not any(value.strip() for value in fields):
                continue
            if len(fields) != width:
                result.add_error(line_start, f"expected {len(columns)} fields, found {len(fields)}")
                continue
            row = {k: v.strip() for k, v in zip(header, fields, strict=True)}
            result.rows += 1
            self.line = line_start
            try:
                record = parse(row)
            except ROW_ERRORS as exc:  # messages quote values: a TIN in the wrong column must not be echoed
                result.add_error(line_start, redact(str(exc)))
                continue
            key, values = keep(record)
            if self._duplicate(key, line_start):
                continue
            if result.errors:
                continue  # nothing will be written: stop spilling, keep checking
            self.spill.add(values)

    def _duplicate(self, key: str, line: int) -> bool:
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
        if digest in self.seen:
            first = self.lines[self.digests.index(digest)]
            message = (
                "duplicate authorization (same CAF, taxpayer, form and received date)"
                if self.kind == "authorizations"
                else f"duplicate {self.columns[0]} {key}"
            )
            self.result.add_error(line, f"{message} (first on line {first})")
            return True
        self.seen.add(digest)
        self.digests.append(digest)
        self.lines.append(line)
        return False

    def _parser(self):
        seal = self.importer.seal
        if self.kind == "cases":
            return parse_case_row, lambda case: (case.case_id, case_record(case, seal))
        if self.kind == "practitioners":
            return parse_practitioner_row, lambda p: (p.caf, [p.caf, p.name, p.firm, p.phone])

        def keep(row: AuthorizationRow):
            self.pending_cafs.append((self.line, row.authorization.caf))
            if len(self.pending_cafs) >= CHUNK_ROWS:
                self._check_cafs()
            return row.authorization_id, authorization_record(row, seal)

        return partial(parse_authorization_row, seal=seal), keep

    def _check_cafs(self) -> None:
        """Authorizations must name practitioners on file (import them first): one SMISMEMBER per 1,000 rows."""
        if not self.pending_cafs:
            return
        redis_client, keys = self.importer.redis, self.importer.keys
        known = redis_client.smismember(keys.practitioner_cafs(), [caf for _, caf in self.pending_cafs])
        for (line, caf), is_known in zip(self.pending_cafs, known, strict=True):
            if not is_known:
                self.result.add_error(line, f"authorization for unknown CAF {caf} (import practitioners first)")
        self.pending_cafs = []


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

    def add(self, values: list[str]) -> None:
        self._block.append(_SEP.join(values))
        self.records += 1
        if len(self._block) >= self.BLOCK:
            self._flush()

    def _flush(self) -> None:
        if not self._block:
            return
        nonce = struct.pack(">4xQ", self._count)
        sealed = self._aead.encrypt(nonce, _END.join(self._block).encode("utf-8"), None)
        self._file.write(struct.pack(">I", len(sealed)) + sealed)
        self._count += 1
        self._block = []

    def _blocks(self) -> Iterator[list[list[str]]]:
        self._flush()
        self._file.seek(0)
        for number in range(self._count):
            (size,) = struct.unpack(">I", self._file.read(4))
            plain = self._aead.decrypt(struct.pack(">4xQ", number), self._file.read(size), None).decode("utf-8")
            yield [record.split(_SEP) for record in plain.split(_END)]

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
