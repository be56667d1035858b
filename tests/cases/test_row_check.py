"""The first pass on several processes: blocks cut only between records, and the same findings as streaming."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_importer import AUTH_HEADER, CASES_HEADER, GOOD_CASE, SAMPLE_DATA, csv_noise, import_samples, snapshot

from ivr.cases.importer import Importer
from ivr.cases.row_check import FileBlocks, line_ends

field_text = st.text(st.sampled_from('ab,"\n\r 1;'), max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(field_text, min_size=1, max_size=4), max_size=12), st.integers(1, 40))
def test_blocks_are_whole_records_with_their_line_numbers(rows, size) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    data = out.getvalue().encode()
    blocks = list(FileBlocks(io.BytesIO(data), size, lambda chunk: None))
    assert b"".join(block for block, _ in blocks) == data
    line = 1
    for block, first_line in blocks:
        assert first_line == line
        line += line_ends(block)
    parsed = [row for block, _ in blocks for row in csv.reader(io.StringIO(block.decode(), newline=""))]
    assert parsed == list(csv.reader(io.StringIO(data.decode(), newline="")))


def _findings(importer: Importer, kind: str, text: str) -> tuple:
    result = importer.import_text(kind, text)
    importer.redis.flushall()
    return result.rows, [(error.line, error.message) for error in result.errors], result.more_errors


@pytest.fixture
def pair(redis, keys) -> tuple[Importer, Importer]:
    """A streaming importer and one that checks every file in blocks of 64 bytes on two processes."""
    return Importer(redis, keys, workers=1), Importer(redis, keys, workers=2, parallel_bytes=0, block_bytes=64)


CASES = [
    f"{CASES_HEADER}\n{GOOD_CASE}\n"
    + "".join(f"C-{n},BAL_DUE,015-14-6380,Pat,+12065550148,1040:2019,1\n" for n in range(9)),
    f"{CASES_HEADER}\n{GOOD_CASE}\n" * 3,  # a repeated header and duplicate rows, across blocks
    f'{CASES_HEADER}\n{GOOD_CASE}\nC-2,BAL_DUE,015-14-6380,"Pat\nDoe, the ""elder""",+12065550148,1040:2019,1\n'
    + "C-3,TDA,x,P,+1,1040:2019,1\n" * 4,  # a quoted newline, then bad rows on their own lines
    f'{CASES_HEADER}\nC-2,BAL_DUE,015-14-6380,Pat 5" tall,+12065550148,1040:2019,1\n{GOOD_CASE}\n' * 3,  # stray quote
    "\ufeff" + f"{CASES_HEADER}\r\n{GOOD_CASE}\r\n\r\nC-2,TDA,015-14-6380,P,+12065550149,1040:2019,1\r\n",
    f"{CASES_HEADER}\n{GOOD_CASE}\n" + "C-9,BAL_DUE,015-14-6380,P\xe9,+12065550149,1040:2019,1\n" * 3,
]


@pytest.mark.parametrize("text", CASES)
def test_blocks_find_what_streaming_finds(pair, text: str) -> None:
    streamed, blocks = pair
    assert _findings(blocks, "cases", text) == _findings(streamed, "cases", text)


def test_a_file_that_is_not_utf8_in_a_later_block_names_the_line(pair) -> None:
    streamed, blocks = pair
    data = (f"{CASES_HEADER}\n{GOOD_CASE}\n" + "C-2,BAL_DUE,015-14-6380,P,+12065550149,1040:2019,1\n" * 5).encode()
    data += b"C-3,BAL_DUE,015-14-6380,P\xff,+12065550149,1040:2019,1\n"
    for importer in pair:
        result = importer.import_stream("cases", io.BytesIO(data))
        assert [(e.line, e.message) for e in result.errors] == [(8, "file is not UTF-8 text")]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["cases", "authorizations"]), csv_noise)
def test_any_text_gives_the_same_findings_in_blocks(pair, kind: str, noise: str) -> None:
    streamed, blocks = pair
    header = CASES_HEADER if kind == "cases" else AUTH_HEADER
    import_samples(streamed)  # authorizations name practitioners on file
    text = f"{header}\n{noise}"
    expected = _findings(streamed, kind, text)
    import_samples(streamed)
    assert _findings(blocks, kind, text) == expected


def test_a_clean_file_written_from_blocks_is_the_same_data(pair, redis_url) -> None:
    streamed, blocks = pair

    def imported(importer: Importer) -> dict:
        for kind in ("practitioners", "cases", "authorizations"):
            assert importer.import_file(kind, SAMPLE_DATA / f"{kind}.csv").ok
        data = snapshot(redis_url)
        importer.redis.flushall()
        return {key: value for key, value in data.items() if b":case:" not in key} | {
            key: (kind, {f: v for f, v in value.items() if f != b"opened_at"}, ttl)
            for key, (kind, value, ttl) in data.items()
            if b":case:" in key and kind == b"hash"
        }

    assert imported(blocks) == imported(streamed)
