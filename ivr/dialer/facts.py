"""Gathering the compliance engine's facts from Redis for a batch of cases, with bounded, pipelined reads.

Four round trips for the whole batch, whatever its size: the cases (with their dialing state and stated times);
then per taxpayer their authorizations, stop-calling record, wrong numbers, conversations and calls; then the
authorization records; then the practitioners, their numbers' DNC records and the calls to them. Every read is
a single key or field of one person or case: no SCAN, no SMEMBERS of a global set (nor of a practitioner's
authorizations, which may run to a big firm's 100k). Per-person records are read under every loaded data key and
merged (ivr.dialer.persons), so a key rotation never resets a count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import redis

from ivr.cases.models import TAXPAYER_CONTACT, Case
from ivr.cases.sealing import person_ref
from ivr.cases.store import authorization_from_hash, case_from_hash
from ivr.dialer import compliance
from ivr.dialer.compliance import Facts, PractitionerFacts
from ivr.dialer.dnc import describe
from ivr.dialer.persons import (
    LOOKBACK_SECONDS,
    first_record,
    merge_calls,
    merge_latest,
    merge_records,
    read_refs,
)
from ivr.dialer.stated_times import StatedTimes
from ivr.keys import KeySchema


@dataclass
class Loaded:
    case: Case
    facts: Facts
    dialing: dict[str, str] = field(default_factory=dict)


def queue_case_rows(pipe: redis.client.Pipeline, keys: KeySchema, case_ids: Sequence[str]) -> None:
    """Queue load's first round (each case, its dialing state, its stated times) on the caller's pipeline."""
    for case_id in case_ids:
        pipe.hgetall(keys.case(case_id))
        pipe.hgetall(keys.case_dialing(case_id))
        pipe.hgetall(keys.case_stated_times(case_id))


def queue_person_rows(
    pipe: redis.client.Pipeline,
    keys: KeySchema,
    refs: list[str],
    phone: str,
    since: float,
    until: float | str = "+inf",
) -> int:
    """Queue facts.load's second round for one case (its person's references and number); returns how many."""
    for ref in refs:
        pipe.smembers(keys.taxpayer_authorizations(ref))  # one taxpayer's authorizations: a handful
        pipe.hget(keys.dnc_persons(), ref)
        pipe.hgetall(keys.taxpayer_wrong_numbers(ref))
        pipe.hgetall(keys.taxpayer_conversations(ref))
        pipe.zrangebyscore(keys.contact_calls(ref, TAXPAYER_CONTACT), since, until, withscores=True)
    pipe.hget(keys.dnc_numbers(), phone)
    return 5 * len(refs) + 1


def case_rows_from(case_ids: Sequence[str], replies: Sequence) -> dict[str, tuple]:
    """queue_case_rows' replies, by case id: what load's `case_rows` takes."""
    return {case_id: tuple(replies[i * 3 : i * 3 + 3]) for i, case_id in enumerate(case_ids)}


def load(
    client: redis.Redis,
    keys: KeySchema,
    case_ids: Sequence[str],
    now: float,
    exclude: Collection[str] = (),
    case_rows: dict[str, tuple] | None = None,
    person_rows: dict[str, tuple] | None = None,
    history_until: float | None = None,
) -> tuple[dict[str, Loaded], dict[str, str]]:
    """(facts by case id, why each unloadable case could not be read). Closed cases load (the engine says no).

    `exclude`: attempt ids not to count (an attempt being re-checked is not a call made before it).
    `case_rows`: the first round already read (case_rows_from), used when it holds every case asked for.
    `person_rows`: case id → (references, phone, replies) of the second round already read (ivr.dialer.prefetch),
    used for a case whose record names that very person and number.
    `history_until`: count only the calls placed at or before it (`acs why --at` judging a past instant). None, the
    dialer's way: every call, even one stamped after `now` by a worker whose clock runs ahead (ivr.dialer.frequency).
    """
    errors: dict[str, str] = {}
    if case_rows is None or any(case_id not in case_rows for case_id in case_ids):
        pipe = client.pipeline(transaction=False)
        queue_case_rows(pipe, keys, case_ids)
        case_rows = case_rows_from(case_ids, pipe.execute())
    cases: dict[str, tuple[Case, dict, dict]] = {}
    for case_id in case_ids:
        case_hash, dialing, stated = case_rows[case_id]
        try:
            case = case_from_hash(case_id, case_hash)
        except (KeyError, ValueError) as exc:
            errors[case_id] = f"unreadable case record ({type(exc).__name__})"
            continue
        if case is None:
            errors[case_id] = "no such case"
            continue
        cases[case_id] = (case, dialing, stated)

    since = now - LOOKBACK_SECONDS
    until = "+inf" if history_until is None else history_until
    refs = {case_id: read_refs(case.tin) for case_id, (case, _d, _s) in cases.items()}  # two during a rotation
    read_ahead = {
        case_id: iter(found[2])
        for case_id, (case, _d, _s) in cases.items()
        if (found := (person_rows or {}).get(case_id)) and found[0] == refs[case_id] and found[1] == case.taxpayer_phone
    }
    to_read = [case_id for case_id in cases if case_id not in read_ahead]
    rows = iter(())
    if to_read:
        pipe = client.pipeline(transaction=False)
        for case_id in to_read:
            queue_person_rows(pipe, keys, refs[case_id], cases[case_id][0].taxpayer_phone, since, until)
        rows = iter(pipe.execute())
    per_person: dict[str, tuple] = {}
    for case_id in cases:
        rows_here = read_ahead.get(case_id, rows)
        read = [[next(rows_here) for _ in range(5)] for _ref in refs[case_id]]
        per_person[case_id] = (
            set().union(*(r[0] for r in read)),
            first_record(r[1] for r in read),
            merge_records(r[2] for r in read),
            merge_latest(r[3] for r in read),
            merge_calls(r[4] for r in read),
            next(rows_here),
        )

    every_auth = sorted({a for row in per_person.values() for a in row[0]})
    pipe = client.pipeline(transaction=False)
    for authorization_id in every_auth:
        pipe.hgetall(keys.authorization(authorization_id))
    auth_rows = dict(zip(every_auth, pipe.execute() if every_auth else [], strict=True))

    authorizations: dict[str, tuple] = {}
    for case_id in list(cases):
        try:
            authorizations[case_id] = tuple(
                authorization_from_hash(auth_rows[a]) for a in sorted(per_person[case_id][0]) if auth_rows.get(a)
            )
        except (KeyError, ValueError) as exc:
            # It may be the valid POA: calling the taxpayer instead would break the contact rule.
            errors[case_id] = f"unreadable authorization record ({type(exc).__name__})"
            del cases[case_id]

    # Every practitioner an authorization names (the engine picks which one; reading them all keeps it the judge).
    # In each person's read order (previous key first), so a rekey moving the records meanwhile cannot hide them.
    pairs = list(dict.fromkeys((ref, a.caf) for cid in cases for a in authorizations[cid] for ref in refs[cid]))
    cafs = sorted({caf for _ref, caf in pairs})
    pipe = client.pipeline(transaction=False)
    for caf in cafs:
        pipe.hgetall(keys.practitioner(caf))
    for ref, caf in pairs:
        pipe.zrangebyscore(keys.contact_calls(ref, caf), since, until, withscores=True)
    rows = pipe.execute() if (cafs or pairs) else []
    practitioners = {
        caf: PractitionerFacts(row.get("name", caf), row.get("phone", ""))
        for caf, row in zip(cafs, rows[: len(cafs)], strict=True)
        if row
    }
    rep_calls = dict(zip(pairs, rows[len(cafs) :], strict=True))
    phones = sorted({p.phone for p in practitioners.values() if p.phone})
    rep_dnc = dict(zip(phones, client.hmget(keys.dnc_numbers(), phones), strict=True)) if phones else {}

    loaded: dict[str, Loaded] = {}
    for case_id, (case, dialing, stated_raw) in cases.items():
        _auths, stop, wrong, conversations, own_calls, own_dnc = per_person[case_id]
        calls = {TAXPAYER_CONTACT: tuple(score for member, score in own_calls if member not in exclude)}
        dnc = {case.taxpayer_phone: describe(own_dnc)} if own_dnc else {}
        for a in authorizations[case_id]:
            rep = merge_calls(rep_calls.get((ref, a.caf), ()) for ref in refs[case_id])
            calls[a.caf] = tuple(score for member, score in rep if member not in exclude)
            person = practitioners.get(a.caf)
            if person and rep_dnc.get(person.phone):
                dnc[person.phone] = describe(rep_dnc[person.phone])
        try:
            stated = {contact: StatedTimes.from_json(raw) for contact, raw in stated_raw.items()}
            talked = {contact: float(at) for contact, at in conversations.items()}
        except (KeyError, ValueError, TypeError) as exc:
            errors[case_id] = f"unreadable compliance record ({type(exc).__name__})"
            continue
        facts = Facts(
            case_id=case_id,
            taxpayer_phone=case.taxpayer_phone,
            periods=case.periods,
            is_open=case.is_open,
            authorizations=authorizations[case_id],
            practitioners={a.caf: practitioners[a.caf] for a in authorizations[case_id] if a.caf in practitioners},
            calls=calls,
            conversations=talked,
            dnc_numbers=dnc,
            stop_person=describe(stop),
            wrong_numbers={phone: describe(raw) for phone, raw in wrong.items()},
            stated=stated,
        )
        loaded[case_id] = Loaded(case, facts, dialing)
    return loaded, errors


def conversations_key(keys: KeySchema, case_id: str, case_hash: dict[str, str]) -> str | None:
    """Where a conversation on a case is noted (by the call outcome's script), from the case's hash as read (None: no
    such case): Reg F's seven quiet days run from it, across the person's cases."""
    case = case_from_hash(case_id, case_hash)
    return keys.taxpayer_conversations(person_ref(case.tin)) if case is not None else None


class Planned:
    """Calls a batch has decided to place, so a second case of the same person in the same tick counts them."""

    def __init__(self) -> None:
        self._calls: dict[str, dict[str, list[tuple[str, float]]]] = defaultdict(lambda: defaultdict(list))

    def note(self, item: Loaded, contact: str, at: float) -> None:
        self._calls[person_ref(item.case.tin)][contact].append((item.case.case_id, at))

    def add_to(self, item: Loaded, skip_case: str = "") -> Facts:
        mine = self._calls.get(person_ref(item.case.tin))
        if not mine:
            return item.facts
        calls = dict(item.facts.calls)
        for contact, planned in mine.items():
            calls[contact] = tuple(calls.get(contact, ())) + tuple(at for cid, at in planned if cid != skip_case)
        return replace(item.facts, calls=calls)


def first_skip_today(
    pipe: redis.client.Pipeline, keys: KeySchema, dialing: dict[str, str], case_id: str, rules: str, now: float
) -> bool:
    """True the first time today (UTC) a case is skipped by these rules: only then does its history say why."""
    noted = f"{datetime.fromtimestamp(now, UTC):%Y-%m-%d}|{rules}"
    if dialing.get("skip_noted") == noted:
        return False
    pipe.hset(keys.case_dialing(case_id), "skip_noted", noted)
    dialing["skip_noted"] = noted
    return True


def decide_case(
    client: redis.Redis, keys: KeySchema, case_id: str, at: float, settings=None, as_of: bool = False
) -> compliance.Decision | None:
    """The engine's decision on one case at `at`, from the facts the dialer reads (None: no such case).

    `as_of`: judge the history as it stood at `at`, counting no call placed after it (`acs why --at` in the past);
    else every call counts, as in the dialer, whose `at` is the present.
    """
    from ivr.dialer.compliance import evaluate

    loaded, errors = load(client, keys, [case_id], at, history_until=at if as_of else None)
    if case_id not in loaded:
        if errors.get(case_id, "no such case") == "no such case":
            return None
        return evaluate(Facts(case_id, "", unreadable=errors[case_id]), at, settings)
    return evaluate(loaded[case_id].facts, at, settings)
