"""Reading ahead for the next claim: what load uses is read after the claim, and a stale look-ahead is never used."""

from __future__ import annotations

from decimal import Decimal

from ivr.cases.models import Case, CaseType
from ivr.cases.sealing import person_ref
from ivr.cases.store import case_to_hash
from ivr.cases.tin import Tin


def seed(redis, keys, case_id: str, digits: str, phone: str, due: float) -> Case:
    case = Case(case_id, CaseType.BAL_DUE, Tin("SSN", digits), "Taxpayer", phone, ("1040:2022",), Decimal("1.00"))
    redis.hset(keys.case(case_id), mapping=case_to_hash(case))
    redis.zadd(keys.cases_due(), {case_id: due})
    return case


def test_a_case_whose_person_changed_after_the_look_ahead_is_read_again(app, emu, dialer, redis, keys):
    redis.delete(keys.cases_due())
    seed(redis, keys, "PF-1", "123456781", "+12025550141", 0)
    seed(redis, keys, "PF-2", "123456782", "+12025550142", 1)
    first = dialer.tick(limit=1)
    assert first.claimed == ["PF-1"] and len(first.placed) == 1
    # PF-2 was first in line: its record was read ahead. It changes (a re-import) before the next claim.
    moved = seed(redis, keys, "PF-2", "123456783", "+12025550143", 1)
    second = dialer.tick(limit=1)
    assert second.claimed == ["PF-2"] and len(second.placed) == 1
    assert [r.to for r in emu.store.calls.values() if r.to.startswith("+120255501")][-1] == moved.taxpayer_phone
    attempt_id = next(iter(second.placed))
    assert redis.zscore(keys.contact_calls(person_ref(moved.tin), "taxpayer"), attempt_id) is not None
    assert redis.zscore(keys.contact_calls(person_ref(Tin("SSN", "123456782")), "taxpayer"), attempt_id) is None


def test_the_look_ahead_reads_the_next_case_and_its_person_with_the_claim(app, emu, dialer, redis, keys, monkeypatch):
    redis.delete(keys.cases_due())
    seed(redis, keys, "PF-3", "123456784", "+12025550144", 0)
    seed(redis, keys, "PF-4", "123456785", "+12025550145", 1)
    dialer.tick(limit=1)
    executed = []
    pipeline_class = type(dialer.redis.pipeline())
    original = pipeline_class.execute

    def counting(self, *args, **kwargs):
        executed.append([args[0] for args, _options in self.command_stack])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pipeline_class, "execute", counting)
    report = dialer.tick(limit=1)
    assert report.claimed == ["PF-4"] and len(report.placed) == 1
    claim = executed[0]
    assert "HGETALL" in claim and "ZRANGEBYSCORE" in claim  # the case and its person, in the claim's round trip
    assert not any("SMEMBERS" in commands for commands in executed[1:])  # load read nothing again
