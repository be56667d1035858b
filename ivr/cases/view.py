"""One case as an employee sees it: masked taxpayer, representatives and their authorization status, CRNs,
history. Shared by `acs case show` and the console so both say the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime

from ivr.cases.crn import clean_crn
from ivr.cases.history import History
from ivr.cases.models import TAXPAYER_CONTACT, Case, HistoryEntry
from ivr.cases.poa import AuthorizationStatus
from ivr.cases.store import Store


@dataclass(frozen=True)
class Representative:
    caf: str
    name: str
    firm: str
    phone: str
    form: str
    periods: tuple[str, ...]
    received: str
    revoked: str | None
    status: str
    is_contact: bool


@dataclass(frozen=True)
class CaseView:
    case: Case
    representatives: tuple[Representative, ...]
    crns: dict[str, str]
    history: tuple[HistoryEntry, ...]
    opened_by_crn: str | None = None

    def to_dict(self) -> dict:
        case = self.case
        return {
            "case_id": case.case_id,
            "case_type": case.case_type.value,
            "status": case.status.value,
            "taxpayer": {
                "name": case.taxpayer_name,
                "tin_kind": case.tin.kind,
                "tin": case.tin.masked,
                "phone": case.taxpayer_phone,
            },
            "periods": list(case.periods),
            "balance": None if case.balance is None else f"{case.balance:.2f}",
            "representatives": [asdict(rep) | {"periods": list(rep.periods)} for rep in self.representatives],
            "crns": self.crns,
            "opened_by_crn": self.opened_by_crn,
            "history": [
                {
                    "at": _iso(entry.at),
                    "kind": entry.kind,
                    "actor": entry.actor,
                    "summary": entry.summary,
                    "detail": entry.detail,
                }
                for entry in self.history
            ],
        }


def find_case(store: Store, crn_or_case_id: str) -> tuple[Case | None, str | None]:
    """Look a case up by CRN (digits, spaces or dashes allowed) or by case id; return it and the CRN used."""
    text = crn_or_case_id.strip()
    if clean_crn(text).isdigit():
        record = store.resolve_crn(text)
        if record:
            return store.get_case(record.case_id), record.crn
    return store.get_case(text), None  # case ids may be all digits too


def build_case_view(store: Store, history: History, case: Case, today: date | None = None) -> CaseView:
    today = today or date.today()
    authorizations = store.authorizations_for(case.tin)
    contact = store.contact_poa(case, today)
    representatives = []
    for auth in sorted(authorizations, key=lambda a: (a.caf, a.received)):
        practitioner = store.get_practitioner(auth.caf)
        representatives.append(
            Representative(
                caf=auth.caf,
                name=practitioner.name if practitioner else "(unknown practitioner)",
                firm=practitioner.firm if practitioner else "",
                phone=practitioner.phone if practitioner else "",
                form=auth.form,
                periods=tuple(sorted(auth.periods)),
                received=auth.received.isoformat(),
                revoked=auth.revoked.isoformat() if auth.revoked else None,
                status=auth.status_for(case.periods, today).value,
                is_contact=contact is not None and auth == contact,
            )
        )
    return CaseView(
        case=case,
        representatives=tuple(representatives),
        crns=store.crns_for_case(case.case_id),
        history=tuple(history.entries(case.case_id)),
    )


def render_text(view: CaseView) -> str:
    """Plain-text rendering for the terminal."""
    data = view.to_dict()
    tp = data["taxpayer"]
    lines = [
        f"Case {data['case_id']}  {data['case_type']}  ({data['status']})",
        f"Taxpayer: {tp['name']}  {tp['tin_kind']} {tp['tin']}  phone {tp['phone']}",
        f"Periods: {', '.join(data['periods'])}",
    ]
    if data["balance"] is not None:
        lines.append(f"Balance: ${data['balance']}")
    if view.opened_by_crn:
        lines.append(f"Opened by CRN {view.opened_by_crn}")
    lines.append("Representatives:")
    if not view.representatives:
        lines.append("  none on file — the taxpayer is the contact")
    for rep in view.representatives:
        marker = " ← contact" if rep.is_contact else ""
        revoked = f", revoked {rep.revoked}" if rep.revoked else ""
        lines.append(
            f"  {rep.caf}  {rep.name} ({rep.firm})  Form {rep.form} received {rep.received}{revoked}: "
            f"{rep.status}{marker}"
        )
    lines.append("CRNs issued:")
    for contact, crn in sorted(view.crns.items()) or [("-", "none yet")]:
        who = "taxpayer" if contact == TAXPAYER_CONTACT else contact
        lines.append(f"  {crn}  → {who}")
    lines.append("History:")
    for entry in data["history"] or [{"at": "", "kind": "", "actor": "", "summary": "no entries"}]:
        lines.append(f"  {entry['at']}  {entry['kind']:<14} {entry['actor']:<10} {entry['summary']}")
    return "\n".join(lines)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


__all__ = ["AuthorizationStatus", "CaseView", "build_case_view", "find_case", "render_text"]
