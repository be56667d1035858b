"""Repositories over Redis for cases, practitioners, authorizations and CRNs.

Reads return the records of ivr.cases.models; writes that must be all-or-nothing (imports) live in ivr.cases.importer.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import redis

from ivr.cases import crn as crn_rules
from ivr.cases.models import Case, CaseStatus, CaseType, CrnRecord, Practitioner
from ivr.cases.poa import Authorization, preferred_poa
from ivr.cases.sealing import TinSeal, current_seal
from ivr.cases.tin import Tin, keyed_candidates
from ivr.keys import KeySchema
from ivr.redis_conn import read_hashes

# Issue a CRN for (case, contact) once: reuse the one on file, refuse a number already taken (the caller
# draws another). KEYS: case_crns, crn. ARGV: contact, crn, case_id, now.
_ISSUE_CRN = """
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {existing, 0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {false, 0} end
redis.call('HSET', KEYS[2], 'case_id', ARGV[3], 'contact', ARGV[1], 'issued_at', ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {ARGV[2], 1}
"""


class Store:
    def __init__(self, client: redis.Redis, keys: KeySchema | None = None, seal: TinSeal | None = None):
        self.redis = client
        self.keys = keys or KeySchema()
        self.seal = seal or current_seal()
        self._issue_crn = client.register_script(_ISSUE_CRN)

    # --- cases -------------------------------------------------------------------------------------------
    def get_case(self, case_id: str) -> Case | None:
        return case_from_hash(case_id, self.redis.hgetall(self.keys.case(case_id)), self.seal)

    def get_cases(self, case_ids: list[str]) -> list[Case]:
        rows = read_hashes(self.redis, [self.keys.case(case_id) for case_id in case_ids])
        found = (case_from_hash(cid, data, self.seal) for cid, data in zip(case_ids, rows, strict=True))
        return [case for case in found if case is not None]

    def all_case_ids(self) -> list[str]:
        """Every case id (SMEMBERS over all cases: tools and tests only, never a request or tick path)."""
        return sorted(self.redis.smembers(self.keys.case_ids()))

    def open_case_for_keyed_tin(self, digits: str) -> Case | None:
        """The open case of the taxpayer whose SSN/EIN a caller keyed, or None (lowest case id if several)."""
        refs = [ref for tin in keyed_candidates(digits) for ref in self.seal.refs(tin.digits)]
        if not refs:
            return None
        pipe = self.redis.pipeline(transaction=False)
        for ref in refs:
            pipe.hget(self.keys.taxpayer_cases(ref), self.keys.taxpayer_cases_field(ref))
        case_ids = sorted({case_id for listed in pipe.execute() if listed for case_id in listed.split()})
        for case in self.get_cases(case_ids):
            if case.is_open and case.tin.digits == digits:
                return case
        return None

    def set_case_status(self, case_id: str, status: CaseStatus) -> None:
        self.redis.hset(self.keys.case(case_id), "status", status.value)

    # --- practitioners and authorizations ------------------------------------------------------------------
    def get_practitioner(self, caf: str) -> Practitioner | None:
        data = self.redis.hgetall(self.keys.practitioner(caf))
        if not data:
            return None
        return Practitioner(caf=caf, name=data["name"], firm=data.get("firm", ""), phone=data["phone"])

    def practitioner_exists(self, caf: str) -> bool:
        return bool(self.redis.sismember(self.keys.practitioner_cafs(), caf))

    def authorizations_for(self, tin: Tin) -> list[Authorization]:
        refs = self.seal.refs(tin.digits)
        ids = sorted(self.redis.sunion([self.keys.taxpayer_authorizations(ref) for ref in refs]))
        rows = read_hashes(self.redis, [self.keys.authorization(authorization_id) for authorization_id in ids])
        return [authorization_from_hash(data) for data in rows if data]

    def contact_poa(self, case: Case, today: date | None = None) -> Authorization | None:
        """The valid-POA authorization whose practitioner the dialer calls for this case, if any."""
        return preferred_poa(self.authorizations_for(case.tin), case.periods, today or date.today())

    # --- CRNs ------------------------------------------------------------------------------------------------
    def issue_crn(self, case_id: str, contact: str) -> str:
        """Return the CRN for (case, contact), issuing a fresh random one the first time."""
        now = str(time.time())
        for _ in range(20):
            value, _created = self._try_issue_crn(case_id, contact, now)
            if value:
                return value
        raise RuntimeError("could not draw an unused CRN in 20 tries")

    def issue_crns(self, pairs: list[tuple[str, str]]) -> list[str]:
        """`issue_crn` for many (case, contact) pairs in one round trip (the dialer's batches)."""
        pipe = self.redis.pipeline(transaction=False)
        self.queue_crns(pipe, pairs)
        return self.crns_from(pipe.execute(), pairs)

    def queue_crns(self, pipe: redis.client.Pipeline, pairs: list[tuple[str, str]]) -> None:
        """Queue `issue_crns`'s draws on the caller's pipeline; its replies, in order, go to `crns_from`."""
        now = str(time.time())
        for case_id, contact in pairs:
            self._try_issue_crn(case_id, contact, now, client=pipe)

    def crns_from(self, results: list, pairs: list[tuple[str, str]]) -> list[str]:
        """The CRNs `queue_crns` drew (one reply per pair)."""
        # A drawn number already taken (rare): fall back to the one-at-a-time path, which draws again.
        return [
            value if value else self.issue_crn(case_id, contact)
            for (value, _created), (case_id, contact) in zip(results, pairs, strict=True)
        ]

    def _try_issue_crn(self, case_id: str, contact: str, now: str, client: redis.client.Pipeline | None = None):
        """One draw: ([crn on file or the new one, created?]) or ([None, 0]) when the drawn number is taken."""
        candidate = crn_rules.new_crn()
        return self._issue_crn(
            keys=[self.keys.case_crns(case_id), self.keys.crn(candidate)],
            args=[contact, candidate, case_id, now],
            client=client,
        )

    def resolve_crn(self, text: str) -> CrnRecord | None:
        crn = crn_rules.clean_crn(text)
        if not crn_rules.is_well_formed(crn):
            return None
        data = self.redis.hgetall(self.keys.crn(crn))
        if not data:
            return None
        return CrnRecord(crn=crn, case_id=data["case_id"], contact=data["contact"], issued_at=float(data["issued_at"]))

    def crns_for_case(self, case_id: str) -> dict[str, str]:
        """Contact (CAF or `taxpayer`) → CRN."""
        return self.redis.hgetall(self.keys.case_crns(case_id))


def case_from_hash(case_id: str, data: dict[str, str], seal: TinSeal | None = None) -> Case | None:
    if not data:
        return None
    return Case(
        case_id=case_id,
        case_type=CaseType(data["case_type"]),
        tin=Tin(data["tin_kind"], (seal or current_seal()).unseal(data["tin_sealed"])),
        taxpayer_name=data["taxpayer_name"],
        taxpayer_phone=data["taxpayer_phone"],
        periods=tuple(data["periods"].split(";")),
        balance=Decimal(data["balance"]) if data.get("balance") else None,
        status=CaseStatus(data.get("status", CaseStatus.OPEN.value)),
    )


#: The data fields of a case hash that an import writes, in the order case_values returns them.
CASE_FIELDS = (
    "case_type", "tin_kind", "tin_last4", "tin_sealed", "tin_ref", "taxpayer_name", "taxpayer_phone", "periods",
    "balance",
)  # fmt: skip


def case_to_hash(case: Case, seal: TinSeal | None = None) -> dict[str, str]:
    """The data fields of a case; status is left out so a re-import never reopens or closes one.

    The SSN/EIN is kept sealed, with its kind and last four digits beside it so a masked view needs no key.
    """
    values = case_values(
        case.case_type, case.tin, case.taxpayer_name, case.taxpayer_phone, case.periods, case.balance, seal
    )
    return dict(zip(CASE_FIELDS, values, strict=True))


def case_values(
    case_type: CaseType,
    tin: Tin,
    taxpayer_name: str,
    taxpayer_phone: str,
    periods: tuple[str, ...],
    balance: Decimal | None,
    seal: TinSeal | None = None,
) -> tuple[str, ...]:
    """case_to_hash's values in CASE_FIELDS order, from a case's parts (the importer's path: no Case built)."""
    seal = seal or current_seal()
    return (
        case_type.value,
        tin.kind,
        tin.digits[-4:],
        seal.seal(tin.digits),
        seal.ref(tin.digits),
        taxpayer_name,
        taxpayer_phone,
        ";".join(periods),
        "" if balance is None else f"{balance:.2f}",
    )


def authorization_from_hash(data: dict[str, str]) -> Authorization:
    return Authorization(
        caf=data["caf"],
        tin_ref=data["tin_ref"],
        form=data["form"],
        periods=frozenset(data["periods"].split(";")),
        received=date.fromisoformat(data["received"]),
        revoked=date.fromisoformat(data["revoked"]) if data.get("revoked") else None,
    )


def authorization_to_hash(authorization: Authorization) -> dict[str, str]:
    return {
        "caf": authorization.caf,
        "tin_ref": authorization.tin_ref,
        "form": authorization.form,
        "periods": ";".join(sorted(authorization.periods)),
        "received": authorization.received.isoformat(),
        "revoked": authorization.revoked.isoformat() if authorization.revoked else "",
    }
