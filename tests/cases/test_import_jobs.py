"""Chunk writes sent back to back: every chunk lands once, in order, whatever the count; committed ones are skipped."""

from __future__ import annotations

import io

import pytest

from ivr.cases.importer import Importer

HEADER = "case_id,case_type,tin,taxpayer_name,taxpayer_phone,periods,balance"


def cases(count: int) -> str:
    return HEADER + "\n" + "".join(f"C-{n},BAL_DUE,015-14-6380,Pat,+12065550148,1040:2019,1\n" for n in range(count))


@pytest.mark.parametrize("count", [1, 2, 3, 5, 6, 7, 11])
def test_every_chunk_lands(redis, keys, count: int) -> None:
    progress = []

    class Seen:
        def read(self, size): ...
        def writing(self, rows): ...
        def wrote(self, rows):
            progress.append(rows)

    result = Importer(redis, keys, chunk_rows=2).import_stream("cases", io.BytesIO(cases(count).encode()), Seen())
    assert result.ok and result.created == count
    assert redis.scard(keys.case_ids()) == redis.zcard(keys.cases_due()) == count
    assert sum(progress) == count
    listed = redis.hget(
        keys.taxpayer_cases(redis.hget(keys.case("C-0"), "tin_ref")),
        keys.taxpayer_cases_field(redis.hget(keys.case("C-0"), "tin_ref")),
    )
    assert sorted(listed.split()) == sorted(f"C-{n}" for n in range(count))
