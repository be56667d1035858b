"""The first pass of an import, row by row: check each row, digest its key, keep its normalised record.

One loop (RowChecker) serves both ways of reading a file: streamed in this process, or cut into blocks at record
boundaries (FileBlocks) that worker processes check side by side (check_block), because checking a row (stdnum,
phonenumbers, sealing its TIN) is the import's largest cost and Python uses one core per process. Either way the
importer receives Batches in file order and decides duplicates, errors and the spill itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO

from ivr.cases.rows import (
    COLUMNS,
    ROW_ERRORS,
    AuthorizationRow,
    check_case_row,
    parse_authorization_row,
    parse_practitioner_row,
)
from ivr.cases.sealing import TinSeal
from ivr.cases.store import CASE_FIELDS, authorization_to_hash, case_values
from ivr.cases.tin import redact
from ivr.redis_conn import die_with_parent

SEP, END = "\x1f", "\x1e"  # unit and record separators: control characters no accepted value contains
# Appended to a block before parsing it: read back as a row of its own only if the block ended between records.
_SENTINEL = "\x1e\x1facs-import-block-end\x1f\x1e"

# What a record holds, in order (values only; the writers know the names). Cases: store.CASE_FIELDS.
AUTHORIZATION_FIELDS = ("caf", "tin_ref", "form", "periods", "received", "revoked", "tin_sealed")


_REF_AT = CASE_FIELDS.index("tin_ref")


def authorization_record(row: AuthorizationRow, seal: TinSeal) -> list[str]:
    values = {**authorization_to_hash(row.authorization), "tin_sealed": seal.seal(row.tin.digits)}
    return [row.authorization_id, *(values[name] for name in AUTHORIZATION_FIELDS)]


@dataclass
class Batch:
    """What checking some rows found, in file order: errors, and per clean row its key, digest, line and record."""

    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    digests: array = field(default_factory=lambda: array("Q"))
    lines: array = field(default_factory=lambda: array("L"))
    records: list[str] = field(default_factory=list)  # each SEP-joined
    cafs: list[tuple[int, str]] = field(default_factory=list)  # authorizations: (line, CAF) to check against Redis
    unsure: bool = False  # a block that may not have started and ended on record boundaries: check it streamed


class RowChecker:
    """The row loop. `flush(batch)` takes what it found every `flush_rows` clean rows (and at the end)."""

    def __init__(self, kind: str, header: tuple[str, ...], seal: TinSeal, flush: Callable[[Batch], None]):
        self.kind = kind
        self.header = header
        self.width = len(header)
        self.seal = seal
        self.flush = flush
        self.batch = Batch()
        self.columns = COLUMNS[kind]

    def _parser(self):
        seal = self.seal
        if self.kind == "cases":

            def keep_case(parts: tuple, line: int) -> tuple[str, list[str]]:
                values = case_values(*parts[1:], seal)
                return parts[0], [parts[0], values[_REF_AT], *values]

            return check_case_row, keep_case
        if self.kind == "practitioners":
            return parse_practitioner_row, lambda p, line: (p.caf, [p.caf, p.name, p.firm, p.phone])

        def keep(row: AuthorizationRow, line: int):
            self.batch.cafs.append((line, row.authorization.caf))
            return row.authorization_id, authorization_record(row, seal)

        return partial(parse_authorization_row, seal=seal), keep

    def run(self, reader, line: int, flush_rows: int = 1000, block: bool = False) -> None:
        """Check every row `reader` yields; `line` is the last line read before its next row.

        Streamed (block=False), an unreadable row (csv.Error) is reported and ends the check, as csv cannot go
        on; in a block it only marks the block unsure (the importer then checks the whole file streamed).
        """
        parse, keep = self._parser()
        header, width, batch = self.header, self.width, self.batch
        blake2b = hashlib.blake2b
        offset = line - reader.line_num
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                batch.unsure = block  # the end marker was swallowed: the block ended inside a quoted field
                break
            except csv.Error as exc:  # e.g. a field over the csv module's size limit: report it, never crash
                batch.unsure = block
                batch.errors.append((line + 1, f"unreadable CSV: {redact(str(exc))}"))
                break
            line_start, line = line + 1, offset + reader.line_num
            if block and fields == [_SENTINEL]:
                batch.unsure = next(reader, None) is not None
                break
            if not any(value.strip() for value in fields):
                continue
            if len(fields) != width:
                batch.errors.append((line_start, f"expected {width} fields, found {len(fields)}"))
                continue
            row = {k: v.strip() for k, v in zip(header, fields, strict=True)}
            batch.rows += 1
            try:
                record = parse(row)
            except ROW_ERRORS as exc:  # messages quote values: a TIN in the wrong column must not be echoed
                batch.errors.append((line_start, redact(str(exc))))
                continue
            key, values = keep(record, line_start)
            batch.keys.append(key)
            batch.digests.append(int.from_bytes(blake2b(key.encode(), digest_size=8).digest(), "little"))
            batch.lines.append(line_start)
            batch.records.append(SEP.join(values))
            if len(batch.records) >= flush_rows:
                self.flush(batch)
                self.batch = batch = Batch()
        self.flush(batch)
        self.batch = Batch()


_worker_seal: TinSeal | None = None


def init_worker(seal: TinSeal, parent: int) -> None:
    """In a forked worker: the importer's seal (inherited in memory, never sent), and death with the importer."""
    global _worker_seal
    _worker_seal = seal
    die_with_parent(parent)()


def check_block(kind: str, header: tuple[str, ...], data: bytes | str, first_line: int) -> Batch:
    """Check one block (a worker process runs this): whole records, its first line numbered `first_line`."""
    seal = _worker_seal
    assert seal is not None, "init_worker first"
    found: list[Batch] = []
    try:
        text = data if isinstance(data, str) else data.decode("utf-8")
    except UnicodeDecodeError:
        return Batch(unsure=True)
    ending = "" if not text or text.endswith(("\n", "\r")) else "\n"
    reader = csv.reader(io.StringIO(text + ending + _SENTINEL + "\n", newline=""))
    RowChecker(kind, header, seal, found.append).run(reader, first_line - 1, flush_rows=1 << 30, block=True)
    return found[0]


def line_ends(data: bytes) -> int:
    """Lines as csv counts them in `data`: each \\n, \\r or \\r\\n ends one."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


class FileBlocks:
    """A file cut into blocks of about `size` bytes, each ending on a line end outside any quoted field.

    A line end counts as a record boundary when the quotes before it are even in number; a stray quote inside
    an unquoted field can fool that, which check_block notices (its block then ends inside a quoted field) and
    the importer answers by checking the file streamed. `read(n)` is told every byte, in order (hashing, progress).
    """

    MAX_TRIES = 64  # line ends to try, from the end of a block backwards

    def __init__(self, source: BinaryIO, size: int, read: Callable[[bytes], None]):
        self.source = source
        self.size = size
        self.read = read
        self.unsplittable = False  # set when no boundary turned up in 16 MB (or 16 blocks): stream it instead
        self.carry_limit = max(16 * size, 16 << 20)

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        """(block, number of its first line)."""
        carry, line = b"", 1
        while data := self.source.read(self.size):
            self.read(data)
            buffer = carry + data
            cut = self._boundary(buffer)
            if cut < 0:
                carry = buffer
                if len(carry) > self.carry_limit:
                    self.unsplittable = True
                    return
                continue
            block, carry = buffer[:cut], buffer[cut:]
            yield block, line
            line += line_ends(block)
        if carry:
            yield carry, line

    def _boundary(self, buffer: bytes) -> int:
        end = len(buffer)
        for _ in range(self.MAX_TRIES):
            at = buffer.rfind(b"\n", 0, end)
            if at < 0:
                return -1
            if buffer.count(b'"', 0, at) % 2 == 0:
                return at + 1
            end = at
        return -1
