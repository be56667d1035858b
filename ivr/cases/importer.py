"""CSV import of cases, practitioners and authorizations: validate every row, then write all or nothing.

Each file is read completely and every bad row is reported with its line number before anything is written;
a clean file is written in one MULTI/EXEC transaction guarded by WATCH, so a reader never sees half a file and a
re-import of the same file changes nothing (history and status of existing cases are left alone).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path

import redis

from ivr.cases.caf import InvalidCaf, normalize_caf
from ivr.cases.history import History
from ivr.cases.models import CASE_ID_RULE, Case, CaseStatus, CaseType, Practitioner, is_case_id
from ivr.cases.periods import InvalidPeriod, parse_periods
from ivr.cases.phones import InvalidPhone, normalize_phone
from ivr.cases.poa import FORMS, Authorization
from ivr.cases.sealing import TinSeal, current_seal
from ivr.cases.store import authorization_to_hash, case_to_hash
from ivr.cases.tin import InvalidTin, Tin, parse_tin, redact
from ivr.keys import KeySchema

CASE_COLUMNS = ("case_id", "case_type", "tin", "taxpayer_name", "taxpayer_phone", "periods", "balance")
PRACTITIONER_COLUMNS = ("caf", "name", "firm", "phone")
AUTHORIZATION_COLUMNS = ("caf", "tin", "form", "periods", "received", "revoked")
KINDS = ("cases", "practitioners", "authorizations")

MAX_BALANCE = Decimal(10) ** 12
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ROW_ERRORS = (InvalidTin, InvalidCaf, InvalidPeriod, InvalidPhone, ValueError)


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __post_init__(self) -> None:
        # Every message quotes what the row held (a CAF, a phone, a duplicate key): a TIN in the wrong column
        # must not be echoed, whichever message carries it.
        object.__setattr__(self, "message", redact(self.message))

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class AuthorizationRow:
    authorization: Authorization
    tin: Tin
    authorization_id: str  # keyed digest of (CAF, TIN, form, received): stable across re-imports, not reversible


class Importer:
    def __init__(self, client: redis.Redis, keys: KeySchema, seal: TinSeal | None = None):
        self.redis = client
        self.keys = keys
        self.seal = seal or current_seal()
        self.history = History(client, keys)

    def import_file(self, kind: str, path: str | Path) -> ImportResult:
        try:
            text = Path(path).read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = Path(path).read_bytes()[: exc.start].count(b"\n") + 1
            return ImportResult(kind, errors=[RowError(line, "file is not UTF-8 text")])
        return self.import_text(kind, text)

    def import_text(self, kind: str, text: str) -> ImportResult:
        if kind not in KINDS:
            raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}")
        return getattr(self, f"_import_{kind}")(text)

    # --- cases -------------------------------------------------------------------------------------------
    def _import_cases(self, text: str) -> ImportResult:
        result, cases = _parse(text, "cases", CASE_COLUMNS, parse_case_row, key=lambda c: c.case_id)
        seal = self.seal
        if not result.ok:
            return result

        def write(pipe: redis.client.Pipeline) -> None:
            case_keys = [self.keys.case(c.case_id) for c in cases]
            existing = [pipe.hmget(key, "tin_ref") for key in case_keys]
            pipe.multi()
            result.created = 0
            for case, (old_ref,) in zip(cases, existing, strict=True):
                key = self.keys.case(case.case_id)
                fields = case_to_hash(case, seal)
                if old_ref and old_ref != fields["tin_ref"]:
                    pipe.srem(self.keys.taxpayer_cases(old_ref), case.case_id)
                pipe.hset(key, mapping=fields)
                pipe.hdel(key, "tin_digits")  # written in the clear before sealing: never left behind
                pipe.hsetnx(key, "status", CaseStatus.OPEN.value)
                pipe.sadd(self.keys.case_ids(), case.case_id)
                pipe.sadd(self.keys.taxpayer_cases(fields["tin_ref"]), case.case_id)
                if old_ref is None:
                    result.created += 1
                    pipe.zadd(self.keys.cases_due(), {case.case_id: 0}, nx=True)
                    self.history.append(case.case_id, "case_opened", f"{case.case_type.value} case imported", pipe=pipe)

        self._transaction(write, [self.keys.case(c.case_id) for c in cases])
        return result

    # --- practitioners -------------------------------------------------------------------------------------
    def _import_practitioners(self, text: str) -> ImportResult:
        result, practitioners = _parse(
            text, "practitioners", PRACTITIONER_COLUMNS, parse_practitioner_row, key=lambda p: p.caf
        )
        if not result.ok:
            return result

        def write(pipe: redis.client.Pipeline) -> None:
            known = pipe.smismember(self.keys.practitioner_cafs(), [p.caf for p in practitioners])
            pipe.multi()
            result.created = sum(1 for was_known in known if not was_known)
            for p in practitioners:
                pipe.hset(self.keys.practitioner(p.caf), mapping={"name": p.name, "firm": p.firm, "phone": p.phone})
                pipe.sadd(self.keys.practitioner_cafs(), p.caf)

        self._transaction(write, [self.keys.practitioner_cafs()])
        return result

    # --- authorizations ------------------------------------------------------------------------------------
    def _import_authorizations(self, text: str) -> ImportResult:
        result, rows = _parse(
            text,
            "authorizations",
            AUTHORIZATION_COLUMNS,
            partial(parse_authorization_row, seal=self.seal),
            key=lambda row: row.authorization_id,
            duplicate_message="duplicate authorization (same CAF, taxpayer, form and received date)",
        )
        if not result.ok:
            # Report unknown CAFs among the rows that did parse too, so one run lists every bad line.
            result.errors.extend(self._unknown_cafs(self.redis, result.lines, rows))
            result.errors.sort(key=lambda error: error.line)
            return result

        def write(pipe: redis.client.Pipeline) -> None:
            unknown = self._unknown_cafs(pipe, result.lines, rows)
            if unknown:
                result.errors = unknown
                pipe.reset()
                return
            existing = [pipe.exists(self.keys.authorization(row.authorization_id)) for row in rows]
            pipe.multi()
            result.created = sum(1 for found in existing if not found)
            for row in rows:
                auth = row.authorization
                fields = {**authorization_to_hash(auth), "tin_sealed": self.seal.seal(row.tin.digits)}
                pipe.hset(self.keys.authorization(row.authorization_id), mapping=fields)
                pipe.sadd(self.keys.taxpayer_authorizations(auth.tin_ref), row.authorization_id)
                pipe.sadd(self.keys.practitioner_authorizations(auth.caf), row.authorization_id)

        self._transaction(write, [self.keys.practitioner_cafs()])
        return result

    def _unknown_cafs(self, client, lines: list[int], rows: list[AuthorizationRow]) -> list[RowError]:
        cafs = [row.authorization.caf for row in rows]
        known = client.smismember(self.keys.practitioner_cafs(), cafs) if cafs else []
        return [
            RowError(line, f"authorization for unknown CAF {row.authorization.caf} (import practitioners first)")
            for line, row, is_known in zip(lines, rows, known, strict=True)
            if not is_known
        ]

    def _transaction(self, write: Callable[[redis.client.Pipeline], None], watch: list[str]) -> None:
        """Run `write` under WATCH until it commits; it queues commands after calling pipe.multi()."""
        while True:
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(*watch)
                    write(pipe)
                    if pipe.explicit_transaction:
                        pipe.execute()
                    return
                except redis.WatchError:
                    continue


@dataclass
class _ParseResult(ImportResult):
    lines: list[int] = field(default_factory=list)


def _parse(
    text: str,
    kind: str,
    columns: tuple[str, ...],
    parse_row: Callable[[dict[str, str]], object],
    key: Callable[[object], str],
    duplicate_message: str | None = None,
) -> tuple[_ParseResult, list]:
    """Parse every row, collecting all errors; rows come back in file order with their line numbers."""
    result = _ParseResult(kind)
    # csv.reader rather than DictReader: DictReader silently skips blank lines, which would shift the line
    # numbers reported for every later row (a record starts on the line after the previous one ended).
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(name.strip() for name in next(reader, ()))
    if not header:
        result.errors.append(RowError(1, "empty file: expected a header row " + ",".join(columns)))
        return result, []
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    if missing or extra:
        parts = ([f"missing column(s) {', '.join(missing)}"] if missing else []) + (
            # a file without its header row gets here with a data row: never echo its SSN/EIN
            [f"unexpected column(s) {redact(', '.join(extra))}"] if extra else []
        )
        result.errors.append(RowError(1, "; ".join(parts) + " — expected " + ",".join(columns)))
        return result, []
    records: list = []
    first_seen: dict[str, int] = {}
    if len(set(header)) != len(header):
        result.errors.append(RowError(1, "repeated column in the header — expected " + ",".join(columns)))
        return result, []
    line = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # e.g. a field over the csv module's size limit: report it, never crash
            result.errors.append(RowError(line + 1, f"unreadable CSV: {exc}"))
            break
        line_start, line = line + 1, reader.line_num
        if not any(value.strip() for value in fields):
            continue
        if len(fields) != len(header):
            result.errors.append(RowError(line_start, f"expected {len(columns)} fields, found {len(fields)}"))
            continue
        row = dict(zip(header, fields, strict=True))
        result.rows += 1
        try:
            record = parse_row({k: v.strip() for k, v in row.items()})
        except _ROW_ERRORS as exc:  # messages quote values: a TIN in the wrong column must not be echoed
            result.errors.append(RowError(line_start, redact(str(exc))))
            continue
        record_key = key(record)
        if record_key in first_seen:
            message = duplicate_message or f"duplicate {columns[0]} {record_key}"
            result.errors.append(RowError(line_start, f"{message} (first on line {first_seen[record_key]})"))
            continue
        first_seen[record_key] = line_start
        records.append(record)
        result.lines.append(line_start)
    if result.rows == 0 and not result.errors:
        result.errors.append(RowError(2, "no data rows"))
    return result, records


def _required(row: dict[str, str], column: str) -> str:
    if not row[column]:
        raise ValueError(f"{column} is empty")
    return row[column]


def parse_case_row(row: dict[str, str]) -> Case:
    case_id = _required(row, "case_id")
    if not is_case_id(case_id):
        raise ValueError(f"case_id {redact(case_id)!r} must be {CASE_ID_RULE}")
    if redact(case_id) != case_id:
        # A case id travels in URLs, key names and logs; one shaped like an SSN/EIN would leak it there.
        raise ValueError(f"case_id {redact(case_id)!r} is shaped like an SSN/EIN; use the office's case number")
    try:
        case_type = CaseType(row["case_type"].upper())
    except ValueError:
        raise ValueError(f"unknown case_type {row['case_type']!r}; expected BAL_DUE or NON_FILER") from None
    tin = parse_tin(_required(row, "tin"))
    balance = _parse_balance(row["balance"], case_type)
    return Case(
        case_id=case_id,
        case_type=case_type,
        tin=tin,
        taxpayer_name=_required(row, "taxpayer_name"),
        taxpayer_phone=normalize_phone(_required(row, "taxpayer_phone")),
        periods=parse_periods(row["periods"]),
        balance=balance,
    )


def _parse_balance(text: str, case_type: CaseType) -> Decimal | None:
    if case_type is CaseType.NON_FILER:
        if text:
            raise ValueError("balance must be empty for a NON_FILER case")
        return None
    if not text:
        raise ValueError("balance is required for a BAL_DUE case")
    try:
        balance = Decimal(text.replace(",", "").lstrip("$"))
    except InvalidOperation:
        raise ValueError(f"balance {text!r} is not an amount in dollars") from None
    if not balance.is_finite() or balance < 0 or balance.as_tuple().exponent < -2:
        raise ValueError(f"balance {text!r} must be a non-negative amount with at most two decimals")
    if balance >= MAX_BALANCE:  # also keeps `1e999999999` from being written out as a billion digits
        raise ValueError(f"balance {text!r} is too large (at most {MAX_BALANCE - 1:,} dollars)")
    return balance


def parse_practitioner_row(row: dict[str, str]) -> Practitioner:
    return Practitioner(
        caf=normalize_caf(row["caf"]),
        name=_required(row, "name"),
        firm=row["firm"],
        phone=normalize_phone(_required(row, "phone")),
    )


def parse_authorization_row(row: dict[str, str], seal: TinSeal | None = None) -> AuthorizationRow:
    seal = seal or current_seal()
    caf = normalize_caf(row["caf"])
    tin = parse_tin(_required(row, "tin"))
    form = row["form"]
    if form not in FORMS:
        raise ValueError(f"unknown form {form!r}; expected 2848 or 8821")
    received = _parse_date(row["received"], "received")
    revoked = _parse_date(row["revoked"], "revoked") if row["revoked"] else None
    if revoked and revoked < received:
        raise ValueError("revoked date is before the received date")
    authorization = Authorization(
        caf=caf,
        tin_ref=seal.ref(tin.digits),
        form=form,
        periods=frozenset(parse_periods(row["periods"])),
        received=received,
        revoked=revoked,
    )
    seed = f"{caf}|{tin.digits}|{form}|{received.isoformat()}"
    return AuthorizationRow(authorization, tin, seal.authorization_id(seed))


def _parse_date(text: str, column: str) -> date:
    if not _ISO_DATE.match(text):
        raise ValueError(f"{column} date {text!r} is not YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{column} date {text!r} is not YYYY-MM-DD") from None


def format_errors(errors: Iterable[RowError]) -> str:
    return "\n".join(str(error) for error in errors)
