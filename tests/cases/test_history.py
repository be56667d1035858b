"""A case's history: append-only, oldest first, details kept as JSON, optionally part of a pipeline."""

from __future__ import annotations

import time

from ivr.cases.history import SYSTEM_ACTOR, History


def test_append_and_read_back(redis, keys) -> None:
    history = History(redis, keys)
    before = time.time()
    history.append("C-1", "call_out", "Called the practitioner", call_sid="CA1", attempt=2, note=None)
    history.append("C-1", "note", "Promised to pay", actor="emp-7")
    entries = history.entries("C-1")
    assert [(e.kind, e.actor, e.summary) for e in entries] == [
        ("call_out", SYSTEM_ACTOR, "Called the practitioner"),
        ("note", "emp-7", "Promised to pay"),
    ]
    assert entries[0].detail == {"call_sid": "CA1", "attempt": 2}
    assert entries[1].detail == {}
    assert before - 1 <= entries[0].at <= time.time() + 1
    assert history.entries("C-1", count=1) == entries[:1]
    assert history.entries("C-2") == []


def test_append_inside_a_transaction(redis, keys) -> None:
    history = History(redis, keys)
    pipe = redis.pipeline()
    history.append("C-1", "note", "queued", pipe=pipe)
    assert history.entries("C-1") == []
    pipe.execute()
    assert [e.summary for e in history.entries("C-1")] == ["queued"]
