"""CRNs: ten digits with a Luhn check digit, random, one per (case, contact), never two cases on one number."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis as redis_lib
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

import ivr.cases.crn
from ivr.cases.crn import CRN_LENGTH, clean_crn, is_well_formed, new_crn, spoken
from ivr.cases.store import Store

crns = st.builds(
    lambda first, rest: (body := first + rest) + luhn.calc_check_digit(body),
    st.sampled_from("123456789"),
    st.text("0123456789", min_size=CRN_LENGTH - 2, max_size=CRN_LENGTH - 2),
)


def test_generated_crns_are_well_formed_and_varied() -> None:
    drawn = [new_crn() for _ in range(2000)]
    assert all(len(c) == CRN_LENGTH and c.isdigit() and c[0] != "0" and is_well_formed(c) for c in drawn)
    assert len(set(drawn)) == len(drawn)
    assert {c[i] for c in drawn for i in range(1, CRN_LENGTH)} == set("0123456789")


@given(crns)
def test_every_single_digit_change_is_rejected(crn: str) -> None:
    assert is_well_formed(crn)
    for position, digit in itertools.product(range(CRN_LENGTH), "0123456789"):
        if digit != crn[position]:
            assert not is_well_formed(crn[:position] + digit + crn[position + 1 :])


@given(crns)
def test_adjacent_transpositions_luhn_catches_are_rejected(crn: str) -> None:
    for i in range(CRN_LENGTH - 1):
        a, b = crn[i], crn[i + 1]
        swapped = crn[:i] + b + a + crn[i + 2 :]
        if a != b and {a, b} != {"0", "9"}:  # 09 <-> 90 is the one swap Luhn cannot see
            assert not is_well_formed(swapped)


@given(st.text(max_size=14))
def test_well_formed_only_for_ten_ascii_digits(text: str) -> None:
    if is_well_formed(text):
        assert len(text) == 10 and all(ch in "0123456789" for ch in text) and luhn.is_valid(text)


@pytest.mark.parametrize("text", ["", "123456789", "12345678901", "0000000000", "١٢٣٤٥٦٧٨٩٠", "²" * 10])
def test_malformed(text: str) -> None:
    assert not is_well_formed(text)


def test_clean_and_spoken() -> None:
    assert clean_crn(" 401-234 5678\t") == "4012345678"
    assert spoken("4012345678") == "4 0 1, 2 3 4, 5 6 7 8"


def test_issuing_is_unique_per_pair_and_stable(redis, keys) -> None:
    store = Store(redis, keys)
    pairs = [
        (f"ACS-{case:06d}", contact) for case in range(60) for contact in ("taxpayer", "0401-23456R", "1279-04006")
    ]
    issued = {pair: store.issue_crn(*pair) for pair in pairs}
    assert len(set(issued.values())) == len(pairs)
    assert all(is_well_formed(crn) for crn in issued.values())
    for pair, crn in issued.items():
        assert store.issue_crn(*pair) == crn
        record = store.resolve_crn(crn)
        assert (record.case_id, record.contact, record.crn) == (pair[0], pair[1], crn)
    assert store.crns_for_case("ACS-000007") == {c: issued[("ACS-000007", c)] for c in ("taxpayer", "0401-23456R",
                                                                                         "1279-04006")}  # fmt: skip


def test_collision_draws_another_number(redis, keys, monkeypatch) -> None:
    store = Store(redis, keys)
    taken = store.issue_crn("ACS-000001", "taxpayer")
    fresh = next(c for c in iter(new_crn, None) if c != taken)
    sequence = iter([taken, taken, taken, fresh])
    monkeypatch.setattr(ivr.cases.crn, "new_crn", lambda: next(sequence))
    assert store.issue_crn("ACS-000002", "0401-23456R") == fresh
    assert store.resolve_crn(taken).case_id == "ACS-000001"
    assert store.resolve_crn(fresh).case_id == "ACS-000002"
    assert store.crns_for_case("ACS-000001") == {"taxpayer": taken}


def test_reuse_never_draws(redis, keys, monkeypatch) -> None:
    store = Store(redis, keys)
    crn = store.issue_crn("ACS-000001", "taxpayer")
    monkeypatch.setattr(ivr.cases.crn, "new_crn", lambda: crn)  # would collide with itself if reuse drew a number
    assert store.issue_crn("ACS-000001", "taxpayer") == crn


def test_gives_up_when_every_draw_collides(redis, keys, monkeypatch) -> None:
    store = Store(redis, keys)
    taken = store.issue_crn("ACS-000001", "taxpayer")
    monkeypatch.setattr(ivr.cases.crn, "new_crn", lambda: taken)
    with pytest.raises(RuntimeError):
        store.issue_crn("ACS-000002", "taxpayer")
    assert store.crns_for_case("ACS-000002") == {}
    assert store.resolve_crn(taken).case_id == "ACS-000001"


def test_resolve_rejects_typos_and_unknown_numbers(redis, keys) -> None:
    store = Store(redis, keys)
    crn = store.issue_crn("ACS-000001", "taxpayer")
    assert store.resolve_crn(f"{crn[:3]} {crn[3:6]}-{crn[6:]}").case_id == "ACS-000001"
    typo = crn[:4] + str((int(crn[4]) + 1) % 10) + crn[5:]
    assert store.resolve_crn(typo) is None
    unused = next(c for c in iter(new_crn, None) if c != crn)
    assert store.resolve_crn(unused) is None
    assert store.resolve_crn("") is None


def test_racing_issuers_agree_on_one_crn(redis_url, keys) -> None:
    clients = [redis_lib.Redis.from_url(redis_url, decode_responses=True) for _ in range(6)]
    clients[0].flushall()
    pairs = [(f"ACS-{n:06d}", "taxpayer") for n in range(30)]
    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            issued = list(pool.map(lambda c: [Store(c, keys).issue_crn(*pair) for pair in pairs], clients))
        assert all(run == issued[0] for run in issued)
        assert len(set(issued[0])) == len(pairs)
        assert len(list(clients[0].scan_iter(keys.crn("*")))) == len(pairs)
    finally:
        for client in clients:
            client.close()
