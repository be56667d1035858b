"""CSV import: every bad row reported with its line number, all rows or none, re-imports change nothing."""

from __future__ import annotations

import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis as redis_lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.us import ssn

from ivr.cases.history import History
from ivr.cases.importer import Importer, format_errors
from ivr.cases.store import Store

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "ivr" / "sample_data"
KINDS = ("practitioners", "cases", "authorizations")


def sample_rows(kind: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO((SAMPLE_DATA / f"{kind}.csv").read_text("utf-8"), newline="")))
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def snapshot(url: str) -> dict[bytes, tuple]:
    """Every key with its type, its exact bytes (sets sorted, hashes as dicts, streams entry by entry) and whether
    it expires. Not DUMP: a set's DUMP order changes when Redis rehashes it during a mere read."""
    raw = redis_lib.Redis.from_url(url)
    try:
        keys = sorted(raw.keys("*"))
        pipe = raw.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
            pipe.pttl(key)
        kinds_and_ttls = pipe.execute()
        readers = {
            b"string": lambda p, key: p.get(key),
            b"hash": lambda p, key: p.hgetall(key),
            b"set": lambda p, key: p.smembers(key),
            b"zset": lambda p, key: p.zrange(key, 0, -1, withscores=True),
            b"list": lambda p, key: p.lrange(key, 0, -1),
            b"stream": lambda p, key: p.xrange(key),
        }
        for i, key in enumerate(keys):
            readers[kinds_and_ttls[2 * i]](pipe, key)
        values = [sorted(v) if isinstance(v, set) else v for v in pipe.execute()]
        return {key: (kinds_and_ttls[2 * i], values[i], kinds_and_ttls[2 * i + 1] >= 0) for i, key in enumerate(keys)}
    finally:
        raw.close()


def import_samples(importer: Importer) -> None:
    for kind in KINDS:
        result = importer.import_file(kind, SAMPLE_DATA / f"{kind}.csv")
        assert result.ok, format_errors(result.errors)


@pytest.fixture
def importer(redis, keys) -> Importer:
    return Importer(redis, keys)


# --- corruptions: each one makes exactly its own row fail ---------------------------------------------------
def _set(column: str, value: str):
    def apply(header, row, earlier_clean):
        row[header.index(column)] = value
        return row

    return apply


def _extra_field(header, row, earlier_clean):
    return [*row, "surplus"]


def _missing_field(header, row, earlier_clean):
    return row[:-1]


def _duplicate_key(header, row, earlier_clean):
    """Copy the identifying columns of an earlier, untouched row (only such a row makes this one the duplicate)."""
    source = earlier_clean[-1]
    identity = {"cases": ["case_id"], "practitioners": ["caf"], "authorizations": ["caf", "tin", "form", "received"]}
    kind = "cases" if "case_id" in header else "authorizations" if "form" in header else "practitioners"
    for column in identity[kind]:
        row[header.index(column)] = source[header.index(column)]
    if kind == "authorizations":  # keep the copied row's own validity: same TIN needs its periods and revocation
        for column in ("periods", "revoked"):
            row[header.index(column)] = source[header.index(column)]
    return row


CORRUPTIONS = {
    "cases": [
        _set("tin", "000-12-3456"),
        _set("tin", "07-1234567"),
        _set("tin", "12345"),
        _set("tin", ""),
        _set("taxpayer_phone", "call me maybe"),
        _set("taxpayer_phone", "+1 555 01"),
        _set("case_type", "TDA"),
        _set("periods", "1040-2004"),
        _set("periods", "941:2005"),
        _set("periods", ""),
        _set("balance", "lots"),
        _set("balance", "-5.00"),
        _set("case_id", "bad id!"),
        _set("taxpayer_name", ""),
        _extra_field,
        _missing_field,
        _duplicate_key,
    ],
    "practitioners": [
        _set("caf", "0401-2345"),
        _set("caf", ""),
        _set("phone", "12"),
        _set("name", ""),
        _extra_field,
        _duplicate_key,
    ],
    "authorizations": [
        _set("caf", "9999-99999"),  # well formed, but nobody by that CAF was imported
        _set("caf", "99-99"),
        _set("tin", "666-12-3456"),
        _set("form", "2849"),
        _set("periods", "1040:2005Q2"),
        _set("received", "2025-13-01"),
        _set("received", "01/02/2025"),
        _set("revoked", "2020-01-01"),  # before every received date in the sample
        _missing_field,
        _duplicate_key,
    ],
}


@st.composite
def corrupted_files(draw):
    kind = draw(st.sampled_from(KINDS))
    header, rows = sample_rows(kind)
    chosen = sorted(draw(st.sets(st.integers(0, len(rows) - 1), min_size=1, max_size=6)))
    rows = [list(row) for row in rows]
    bad_lines = []
    for index in chosen:
        earlier_clean = [rows[i] for i in range(index) if i not in chosen]
        options = [c for c in CORRUPTIONS[kind] if c is not _duplicate_key or earlier_clean]
        corruption = draw(st.sampled_from(options))
        rows[index] = corruption(header, list(rows[index]), earlier_clean)
        bad_lines.append(index + 2)
    return kind, to_csv(header, rows), bad_lines


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corrupted_files())
def test_corrupted_rows_are_reported_and_nothing_changes(redis_url, importer, corrupted) -> None:
    kind, text, bad_lines = corrupted
    if importer.redis.dbsize() == 0:  # once per test run: a passing example leaves the data as it was
        import_samples(importer)
    before = snapshot(redis_url)
    result = importer.import_text(kind, text)
    assert sorted({error.line for error in result.errors}) == bad_lines, format_errors(result.errors)
    assert snapshot(redis_url) == before


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["cases", "authorizations"]), st.data())
def test_corrupted_rows_on_an_empty_database_write_nothing(redis_url, importer, kind, data) -> None:
    importer.redis.flushall()
    if kind == "authorizations":
        assert importer.import_file("practitioners", SAMPLE_DATA / "practitioners.csv").ok
    before = snapshot(redis_url)
    header, rows = sample_rows(kind)
    index = data.draw(st.integers(0, len(rows) - 1))
    rows[index] = data.draw(st.sampled_from([c for c in CORRUPTIONS[kind] if c is not _duplicate_key]))(
        header, list(rows[index]), []
    )
    result = importer.import_text(kind, to_csv(header, rows))
    assert [e.line for e in result.errors] == [index + 2]
    assert snapshot(redis_url) == before


def test_clean_files_import_and_reimport_is_idempotent(redis_url, redis, keys, importer) -> None:
    results = {kind: importer.import_file(kind, SAMPLE_DATA / f"{kind}.csv") for kind in KINDS}
    assert {k: (r.ok, r.rows, r.created) for k, r in results.items()} == {
        "practitioners": (True, 20, 20),
        "cases": (True, 72, 72),
        "authorizations": (True, 60, 60),
    }
    history = History(redis, keys)
    assert [e.kind for e in history.entries("ACS-000101")] == ["case_opened"]
    store = Store(redis, keys)
    redis.hset(keys.case("ACS-000101"), "status", "closed")  # an employee's change survives a re-import
    before = snapshot(redis_url)
    again = {kind: importer.import_file(kind, SAMPLE_DATA / f"{kind}.csv") for kind in KINDS}
    assert all(r.ok and r.created == 0 for r in again.values())
    assert snapshot(redis_url) == before
    assert store.get_case("ACS-000101").status.value == "closed"
    assert len(history.entries("ACS-000101")) == 1


def test_imported_case_fields(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    case = store.get_case("ACS-000103")
    assert case.case_type.value == "NON_FILER" and case.balance is None
    assert case.taxpayer_name == "Jonah Núñez"
    assert case.periods == ("1040:2021", "1040:2022")
    assert case.tin.kind == "SSN" and case.tin.masked == "***-**-2798"
    assert str(store.get_case("ACS-000101").balance) == "45984.98"
    assert store.get_case("ACS-000102").tin.kind == "EIN"
    assert redis.zscore(keys.cases_due(), "ACS-000101") == 0
    assert store.open_case_for_keyed_tin("015146380").case_id == "ACS-000101"


def test_quoted_commas_and_caf_spellings(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    assert store.get_practitioner("0611-78903").firm == "Ortiz, Brennan & Associates CPAs"
    assert store.get_practitioner("1279-04006R").firm == "O'Malley, Prescott & Co"
    assert store.get_practitioner("061178903") is None  # one stored form only
    cafs = redis.smembers(keys.practitioner_cafs())
    assert len(cafs) == 20 and all(len(c) in (10, 11) and c[4] == "-" for c in cafs)


def test_caf_without_hyphen_in_authorizations_matches_practitioner(importer, redis, keys) -> None:
    importer.import_text("practitioners", "caf,name,firm,phone\n0401-23456r,Avery,Firm,+12125550101\n")
    assert importer.import_text(
        "cases", "case_id,case_type,tin,taxpayer_name,taxpayer_phone,periods,balance\n"
        "C-1,NON_FILER,015-14-6380,T,+12065550148,1040:2019,\n"
    ).ok  # fmt: skip
    result = importer.import_text(
        "authorizations", "caf,tin,form,periods,received,revoked\n040123456R,015146380,2848,1040:2019,2025-01-01,\n"
    )
    assert result.ok, result.errors
    store = Store(redis, keys)
    assert store.contact_poa(store.get_case("C-1")).caf == "0401-23456R"


CASES_HEADER = "case_id,case_type,tin,taxpayer_name,taxpayer_phone,periods,balance"
GOOD_CASE = "C-1,BAL_DUE,015-14-6380,Pat Doe,+12065550148,1040:2019,100.00"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("C-2,BAL_DUE,000-14-6380,Pat,+12065550149,1040:2019,1", "not a valid SSN"),
        ("C-2,BAL_DUE,00-1234567,Pat,+12065550149,1040:2019,1", "not a valid EIN"),
        ("C-2,BAL_DUE,015-14-6380,Pat,phone,1040:2019,1", "phone"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+1206555,1040:2019,1", "phone"),
        ("C-2,TDA,015-14-6380,Pat,+12065550149,1040:2019,1", "unknown case_type"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019Q1,1", "tax period"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,", "balance is required"),
        ("C-2,NON_FILER,015-14-6380,Pat,+12065550149,1040:2019,5", "balance must be empty"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1.005", "two decimals"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,NaN", "balance"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1e999999999", "too large"),
        ("C-1,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1", "duplicate case_id C-1 (first on line 2)"),
        ("C-2,BAL_DUE,015-14-6380,Pat,+12065550149", "expected 7 fields"),
        (".C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1", "case_id"),  # the console could not open it
        ("Ç-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1", "case_id"),  # it travels in URLs: ASCII only
    ],
)
def test_each_case_error_names_line_and_reason(importer, redis, row: str, reason: str) -> None:
    result = importer.import_text("cases", f"{CASES_HEADER}\n{GOOD_CASE}\n{row}\n")
    assert [e.line for e in result.errors] == [3]
    assert reason in result.errors[0].message
    assert "0151" not in result.errors[0].message and "146380" not in result.errors[0].message
    assert redis.dbsize() == 0


@pytest.mark.parametrize(
    "row",
    [
        "C-2,015-14-6380,BAL_DUE,Pat,+12065550149,1040:2019,1",  # tin and case_type swapped
        "C-2,BAL_DUE,015-14-6380,Pat,015-14-6380,1040:2019,1",  # the tin pasted into the phone column
        "C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,015 14 6380",
        "C-2,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,01-5146380",
        "015-14-6380,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1",  # the tin pasted as the case id
        "015146380,BAL_DUE,015-14-6380,Pat,+12065550149,1040:2019,1",
    ],
)
def test_an_ssn_or_ein_in_the_wrong_column_is_never_echoed(importer, redis, row: str) -> None:
    result = importer.import_text("cases", f"{CASES_HEADER}\n{GOOD_CASE}\n{row}\n")
    assert [e.line for e in result.errors] == [3], result.errors
    for fragment in ("0151", "015-14", "146380", "015 14", "5146380"):
        assert fragment not in result.errors[0].message


def test_a_file_without_its_header_row_never_echoes_the_first_rows_tin(importer, redis) -> None:
    result = importer.import_text("cases", f"{GOOD_CASE}\n")
    assert [e.line for e in result.errors] == [1] and "unexpected column" in result.errors[0].message
    assert "015-14-6380" not in result.errors[0].message and "***-**-6380" in result.errors[0].message
    result = importer.import_text("authorizations", "0401-23456R,015146380,2848,1040:2019,2025-01-01,\n")
    assert "015146380" not in result.errors[0].message
    assert redis.dbsize() == 0


AUTH_HEADER = "caf,tin,form,periods,received,revoked"


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("0401-23456R,015-14-6380,2849,1040:2019,2025-01-01,", "unknown form"),
        ("0401-23456R,015-14-6380,2848,1040:2019,2025-02-30,", "received date"),
        ("0401-23456R,015-14-6380,2848,1040:2019,2025-01-01,tomorrow", "revoked date"),
        ("0401-23456R,015-14-6380,2848,1040:2019,2025-01-01,2024-12-31", "before the received date"),
        ("0401-23456R,015-14-638,2848,1040:2019,2025-01-01,", "SSN or EIN"),
        ("9999-99999,015-14-6380,2848,1040:2019,2025-01-01,", "unknown CAF ***-**-9999"),
        ("0401-2345,015-14-6380,2848,1040:2019,2025-01-01,", "CAF"),
    ],
)
def test_each_authorization_error_names_line_and_reason(importer, redis_url, row: str, reason: str) -> None:
    importer.import_text("practitioners", "caf,name,firm,phone\n0401-23456R,Avery,Firm,+12125550101\n")
    before = snapshot(redis_url)
    good = "0401-23456R,015-14-6380,2848,1040:2020,2025-01-01,"
    result = importer.import_text("authorizations", f"{AUTH_HEADER}\n{good}\n{row}\n")
    assert [e.line for e in result.errors] == [3], result.errors
    assert reason in result.errors[0].message
    assert snapshot(redis_url) == before


def test_unknown_caf_is_reported_alongside_other_errors(importer) -> None:
    importer.import_text("practitioners", "caf,name,firm,phone\n0401-23456R,Avery,Firm,+12125550101\n")
    rows = ["9999-99999,015-14-6380,2848,1040:2019,2025-01-01,", "0401-23456R,bad,2848,1040:2019,2025-01-01,"]
    text = "\n".join([AUTH_HEADER, *rows]) + "\n"
    assert [e.line for e in importer.import_text("authorizations", text).errors] == [2, 3]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("\n", "empty file"),
        (f"{CASES_HEADER}\n", "no data rows"),
        ("case_id,case_type,tin,taxpayer_name,taxpayer_phone,periods\nC-1,BAL_DUE,015-14-6380,P,+12065550148,1040:2019\n",
         "missing column(s) balance"),
        (f"{CASES_HEADER},notes\n{GOOD_CASE},x\n", "unexpected column(s) notes"),
        ("caf,name,firm,phone\n", "missing column(s) case_id"),
        (f"{CASES_HEADER},balance\n{GOOD_CASE},1\n", "repeated column"),
    ],
)  # fmt: skip
def test_header_and_empty_file_errors(importer, redis, text: str, reason: str) -> None:
    result = importer.import_text("cases", text)
    assert not result.ok
    assert reason in format_errors(result.errors)
    assert result.errors[0].line in (1, 2)
    assert redis.dbsize() == 0


def test_header_with_spaces_and_bom_is_accepted(importer, tmp_path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("\ufeff" + CASES_HEADER.replace(",", ", ") + "\n" + GOOD_CASE + "\n", encoding="utf-8")
    assert importer.import_file("cases", path).ok


def test_non_utf8_file_names_the_line(importer, redis, tmp_path) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(f"{CASES_HEADER}\n{GOOD_CASE}\n".encode() + "C-2,BAL_DUE,015-14-6380,Zoë".encode("latin-1"))
    result = importer.import_file("cases", path)
    assert [(e.line, e.message) for e in result.errors] == [(3, "file is not UTF-8 text")]
    assert redis.dbsize() == 0


def test_blank_lines_do_not_shift_line_numbers(importer) -> None:
    text = f"{CASES_HEADER}\n\n{GOOD_CASE}\n\n\nC-2,TDA,015-14-6380,P,+12065550149,1040:2019,1\n"
    assert [e.line for e in importer.import_text("cases", text).errors] == [6]


def test_quoted_newline_keeps_later_line_numbers(importer) -> None:
    text = f'{CASES_HEADER}\nC-1,BAL_DUE,015-14-6380,"Pat\nDoe",+12065550148,1040:2019,1\nC-2,TDA,x,P,+1,1040:2019,1\n'
    # The name itself is refused (control characters), and the next record is still reported on its own line.
    assert [e.line for e in importer.import_text("cases", text).errors] == [2, 4]


def test_oversized_field_is_an_error_not_a_crash(importer, redis) -> None:
    text = f'{CASES_HEADER}\n{GOOD_CASE}\nC-2,BAL_DUE,015-14-6380,"{"x" * 200_000}",+12065550149,1040:2019,1\n'
    result = importer.import_text("cases", text)
    assert [e.line for e in result.errors] == [3]
    assert redis.dbsize() == 0


def test_changed_tin_moves_the_case_between_taxpayers(importer, redis, keys) -> None:
    assert importer.import_text("cases", f"{CASES_HEADER}\n{GOOD_CASE}\n").ok
    store = Store(redis, keys)
    assert store.open_case_for_keyed_tin("015146380").case_id == "C-1"
    moved = GOOD_CASE.replace("015-14-6380", "586-80-2798")
    result = importer.import_text("cases", f"{CASES_HEADER}\n{moved}\n")
    assert result.ok and result.created == 0
    assert store.open_case_for_keyed_tin("015146380") is None
    assert store.open_case_for_keyed_tin("586802798").case_id == "C-1"


def test_unknown_kind_is_refused(importer) -> None:
    with pytest.raises(ValueError, match="unknown import kind"):
        importer.import_text("payments", "x\n")


ssn_digits = st.builds(
    lambda area, group, serial: f"{area:03d}-{group:02d}-{serial:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
).filter(ssn.is_valid)
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).map(str.strip).filter(bool)
balances = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False)
periods = st.lists(st.sampled_from(["1040:2004", "1040:2005", "941:2005Q3", "720:2006Q1", "1120:2019"]), min_size=1,
                   max_size=4, unique=True)  # fmt: skip
case_rows = st.lists(
    st.tuples(st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,11}\Z"), ssn_digits, names, balances | st.none(), periods),
    min_size=1,
    max_size=8,
    unique_by=lambda row: row[0],
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case_rows)
def test_valid_rows_round_trip(importer, redis, keys, rows) -> None:
    redis.flushall()
    header, body = CASES_HEADER.split(","), []
    for case_id, tin, name, balance, case_periods in rows:
        kind = "NON_FILER" if balance is None else "BAL_DUE"
        body.append(
            [
                case_id,
                kind,
                tin,
                f" {name} ",
                "+1 (206) 555-0148",
                ";".join(case_periods),
                "" if balance is None else balance,
            ]
        )
    result = importer.import_text("cases", to_csv(header, [[str(v) for v in row] for row in body]))
    assert result.ok, format_errors(result.errors)
    store = Store(redis, keys)
    for case_id, tin, name, balance, case_periods in rows:
        case = store.get_case(case_id)
        assert (case.tin.formatted, case.taxpayer_name, case.periods) == (tin, name, tuple(case_periods))
        assert case.balance == balance and case.taxpayer_phone == "+12065550148"


def test_concurrent_imports_of_one_kind_are_refused_and_each_case_opens_once(redis_url, keys) -> None:
    """A lease serialises imports of a kind: racing ones are refused with one line, never write twice."""
    from ivr.cases.importer import ImportBusy

    clients = [redis_lib.Redis.from_url(redis_url, decode_responses=True) for _ in range(4)]
    clients[0].flushall()
    text = (SAMPLE_DATA / "cases.csv").read_text("utf-8")

    def run(client):
        try:
            return Importer(client, keys).import_text("cases", text)
        except ImportBusy as busy:
            return str(busy)

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            results = list(pool.map(run, clients))
        done = [r for r in results if not isinstance(r, str)]
        refused = [r for r in results if isinstance(r, str)]
        assert done and all(r.ok for r in done)
        assert sum(r.created for r in done) == 72
        assert all("another `acs import cases` is running" in r and "\n" not in r for r in refused)
        history = History(clients[0], keys)
        assert all(len(history.entries(f"ACS-{n:06d}")) == 1 for n in range(101, 173))
    finally:
        for client in clients:
            client.close()


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_other_line_endings_keep_line_numbers(importer, newline: str) -> None:
    text = newline.join([CASES_HEADER, GOOD_CASE, "", "C-2,TDA,015-14-6380,P,+12065550149,1040:2019,1"]) + newline
    assert [e.line for e in importer.import_text("cases", text).errors] == [4]


def test_utf16_file_is_refused_on_line_1(importer, redis, tmp_path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(f"{CASES_HEADER}\n{GOOD_CASE}\n", encoding="utf-16")
    assert [(e.line, e.message) for e in importer.import_file("cases", path).errors] == [(1, "file is not UTF-8 text")]
    assert redis.dbsize() == 0


csv_noise = st.lists(
    st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
        st.sampled_from(['"', '""', ",", ";", "\n", "\r\n", "\x00", "\ufeff", "1040:2004", "+12065550148", "2848",
                         "015-14-6380", "0401-23456R", "BAL_DUE", "2025-01-01", "1e9", "NaN", "-0"]),
    ),
    max_size=40,
).map("".join)  # fmt: skip


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(KINDS), st.booleans(), csv_noise)
def test_any_text_gives_a_result_never_an_exception(redis_url, importer, kind, with_header, noise) -> None:
    if importer.redis.dbsize() == 0:
        import_samples(importer)
    before = snapshot(redis_url)
    header = {"cases": CASES_HEADER, "authorizations": AUTH_HEADER, "practitioners": "caf,name,firm,phone"}[kind]
    result = importer.import_text(kind, (header + "\n" if with_header else "") + noise)
    assert all(error.line >= 1 and error.message for error in result.errors)
    if not result.ok:
        assert snapshot(redis_url) == before
    else:  # whatever it was, it was valid: put the samples back for the next example
        importer.redis.flushall()
