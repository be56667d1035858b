"""SSNs/EINs at rest: a keyed index digest and a sealed copy, so a copy of the Redis data reveals no TIN."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.cases.sealing import DataKey, TinSeal, UnreadableTin
from ivr.cases.store import Store
from ivr.config import Config
from ivr.data_key import DataKeys, generate_key, parse_key
from ivr.redis_conn import EmbeddedRedis
from ivr.sample_data import DIRECTORY as SAMPLE_DATA
from ivr.sample_data import load_sample_data
from ivr.services import Services

nine_digits = st.text("0123456789", min_size=9, max_size=9)


def a_seal(previous: bool = False) -> TinSeal:
    return TinSeal.from_keys(
        DataKeys(parse_key(generate_key(), "new"), parse_key(generate_key(), "old") if previous else None)
    )


def sample_tins() -> set[str]:
    tins = set()
    for kind in ("cases", "authorizations"):
        with (SAMPLE_DATA / f"{kind}.csv").open(encoding="utf-8") as handle:
            tins |= {"".join(ch for ch in row["tin"] if ch.isdigit()) for row in csv.DictReader(handle)}
    return tins


def any_layout(digits: str) -> re.Pattern[bytes]:
    """The nine digits in order with up to two other characters between each (dashes, spaces, dots, quotes…)."""
    return re.compile(rb"\D{0,2}".join(d.encode() for d in digits))


def find_tins(blob: bytes, tins: set[str]) -> list[str]:
    return [digits for digits in sorted(tins) if any_layout(digits).search(blob)]


@settings(max_examples=50)
@given(nine_digits)
def test_seal_opens_under_its_key_only(digits: str) -> None:
    seal, other = a_seal(), a_seal()
    token = seal.seal(digits)
    assert seal.unseal(token) == digits
    assert not any_layout(digits).search(token.encode()) and len(token) <= 36
    with pytest.raises(UnreadableTin):
        other.unseal(token)
    assert seal.ref(digits) != other.ref(digits) and len(seal.ref(digits)) == 32


def test_a_tampered_token_is_refused_without_echoing_it() -> None:
    seal = a_seal()
    token = seal.seal("015146380")
    forged = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(UnreadableTin) as caught:
        seal.unseal(forged)
    assert forged not in str(caught.value)


def test_during_a_rotation_both_keys_read_and_the_current_one_writes() -> None:
    old = a_seal()
    rotating = TinSeal(DataKey(b"n" * 32), old.current)
    assert rotating.unseal(old.seal("123456789")) == "123456789"
    assert rotating.refs("123456789") == [rotating.ref("123456789"), old.ref("123456789")]
    assert TinSeal.key_id_of(rotating.seal("123456789")) == rotating.current.id != old.current.id


def test_no_tin_in_any_key_or_value_after_the_sample_import(redis, keys, sample_data) -> None:
    tins = sample_tins()
    assert len(tins) > 50 and find_tins(b"ACS 015-14-6380 and 75 7986364", tins) == ["015146380", "757986364"]
    dump = []
    for key in redis.scan_iter(count=1000):
        kind = redis.type(key)
        value = {
            "hash": lambda k: redis.hgetall(k),
            "set": lambda k: redis.smembers(k),
            "zset": lambda k: redis.zrange(k, 0, -1, withscores=True),
            "list": lambda k: redis.lrange(k, 0, -1),
            "string": lambda k: redis.get(k),
            "stream": lambda k: redis.xrange(k),
        }[kind](key)
        dump.append(f"{key} {value!r}")
    assert len(dump) > 200
    assert find_tins("\n".join(dump).encode(), tins) == []
    # …and yet every case still reads back whole, and a keyed TIN still finds its case
    store = Store(redis, keys)
    case = store.get_case("ACS-000101")
    assert case.tin.formatted == "015-14-6380" and store.open_case_for_keyed_tin("015146380").case_id == "ACS-000101"


def test_the_embedded_aof_and_rdb_hold_no_tin(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    server = EmbeddedRedis(data_dir)
    try:
        server.ensure_running()
        config = Config.from_env({"REDIS_URL": "", "ACS_DATA_DIR": str(data_dir), "ACS_DATA_KEY": generate_key()})
        svc = Services.from_config(config)
        load_sample_data(svc.redis, svc.keys)
        svc.redis.config_set("rdbcompression", "no")  # so the test reads the bytes as stored
        svc.redis.save()
        svc.redis.close()
        files = [path for path in data_dir.rglob("*") if path.is_file() and path.suffix in (".aof", ".rdb")]
        assert {path.suffix for path in files} == {".aof", ".rdb"}
        tins = sample_tins()
        for path in files:
            blob = path.read_bytes()
            assert b"Emeka Drummond" in blob  # the file does hold the data…
            assert find_tins(blob, tins) == [], path.name  # …but no SSN/EIN
    finally:
        server.stop()
