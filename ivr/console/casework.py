"""What an employee does to a case, over Redis: outcomes, notes, follow-ups, enforcement actions and letters.

Routes stay thin by calling these; each change lands in the case history (attributed to the employee) and the
audit log. The rules themselves are in ivr.cases.actions; the PDFs come from ivr.cases.letters.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ivr.cases.actions import OUTCOMES, ActionKind, Decision, decide, decide_all, prior_actions
from ivr.cases.letters import Letter, Recipient, render_pdf
from ivr.cases.models import Case
from ivr.cases.poa import AuthorizationStatus
from ivr.cases.tin import redact
from ivr.cases.view import CaseView, build_case_view
from ivr.console.audit import AuditLog
from ivr.console.employees import Employee
from ivr.services import Services

MAX_NOTE_LENGTH = 2000


class ActionRefused(ValueError):
    """The action's preconditions are not met; `reasons` explains each."""

    def __init__(self, decision: Decision):
        super().__init__("; ".join(decision.unmet))
        self.decision = decision


class ActionBusy(RuntimeError):
    """Another action on the same case is being written right now; retrying in a moment is safe."""


@dataclass(frozen=True)
class LetterInfo:
    letter_id: str
    case_id: str
    title: str
    created_at: float
    employee: str
    filename: str
    copies: int


@dataclass(frozen=True)
class CasePage:
    view: CaseView
    follow_up_at: float | None
    dialing: dict[str, str]
    decisions: list[Decision]
    letters: list[LetterInfo]


class Casework:
    def __init__(self, svc: Services, audit: AuditLog):
        self.svc = svc
        self.audit = audit

    # --- reading -------------------------------------------------------------------------------------------
    def page(self, case: Case, now: float | None = None) -> CasePage:
        now = time.time() if now is None else now
        view = build_case_view(self.svc.store, self.svc.history, case)
        return CasePage(
            view=view,
            follow_up_at=self.follow_up_at(case.case_id),
            dialing=self.svc.redis.hgetall(self.svc.keys.case_dialing(case.case_id)),
            decisions=decide_all(case, prior_actions(view.history), now),
            letters=self.letters(case.case_id),
        )

    def follow_up_at(self, case_id: str) -> float | None:
        """When the dialer next calls the case (its score in `cases_due`); None when it is not scheduled."""
        return self.svc.redis.zscore(self.svc.keys.cases_due(), case_id)

    def letters(self, case_id: str) -> list[LetterInfo]:
        ids = self.svc.redis.zrevrange(self.svc.keys.case_letters(case_id), 0, -1)
        pipe = self.svc.redis.pipeline(transaction=False)
        for letter_id in ids:
            pipe.hmget(self.svc.keys.letter(letter_id), "title", "created_at", "employee", "filename", "copies")
        return [
            LetterInfo(letter_id, case_id, title, float(created), employee, filename, int(copies or 0))
            for letter_id, (title, created, employee, filename, copies) in zip(ids, pipe.execute(), strict=True)
            if title
        ]

    def letter_pdf(self, case_id: str, letter_id: str) -> tuple[str, bytes] | None:
        """(filename, PDF bytes) of a letter that belongs to this case, else None."""
        data = self.svc.redis.hmget(self.svc.keys.letter(letter_id), "case_id", "filename", "pdf")
        if data[0] != case_id or not data[2]:
            return None
        return data[1], base64.b64decode(data[2])

    # --- writing -------------------------------------------------------------------------------------------
    def record_outcome(self, employee: Employee, case: Case, outcome: str, note: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError("choose an outcome from the list")
        note = clean_text(note)
        summary = f"Outcome: {OUTCOMES[outcome]}" + (f" — {note}" if note else "")
        self.svc.history.append(case.case_id, "outcome", summary, actor=employee.username, outcome=outcome)
        self.audit.record(employee.username, "outcome", case.case_id, outcome=outcome)

    def add_note(self, employee: Employee, case: Case, note: str) -> None:
        note = clean_text(note)
        if not note:
            raise ValueError("the note is empty")
        self.svc.history.append(case.case_id, "note", note, actor=employee.username)
        self.audit.record(employee.username, "note", case.case_id)

    def schedule_follow_up(self, employee: Employee, case: Case, at: datetime, now: float | None = None) -> None:
        now = time.time() if now is None else now
        when = at.timestamp()
        if when <= now:
            raise ValueError("a follow-up must be in the future")
        if when > now + 366 * 24 * 3600:
            raise ValueError("a follow-up must be within a year")
        self.svc.redis.zadd(self.svc.keys.cases_due(), {case.case_id: when})
        label = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M UTC")
        self.svc.history.append(
            case.case_id, "followup", f"Follow-up call scheduled for {label}", actor=employee.username, due_at=when
        )
        self.audit.record(employee.username, "followup_scheduled", case.case_id, due_at=when)

    def cancel_follow_up(self, employee: Employee, case: Case) -> bool:
        removed = bool(self.svc.redis.zrem(self.svc.keys.cases_due(), case.case_id))
        if removed:
            self.svc.history.append(case.case_id, "followup", "Follow-up call cancelled", actor=employee.username)
            self.audit.record(employee.username, "followup_cancelled", case.case_id)
        return removed

    def take_action(self, employee: Employee, case: Case, kind: ActionKind, now: float | None = None) -> LetterInfo:
        """Check the rules, record the action, and generate its letter; refuse with reasons when not allowed.

        A short per-case lock makes check-then-write atomic, so two clicks cannot file two liens.
        """
        lock = self.svc.keys.case_action_lock(case.case_id)
        token = secrets.token_hex(8)
        if not self.svc.redis.set(lock, token, nx=True, ex=30):
            raise ActionBusy("another action on this case is being recorded; try again in a moment")
        try:
            return self._take_action(employee, case, kind, time.time() if now is None else now)
        finally:
            if self.svc.redis.get(lock) == token:
                self.svc.redis.delete(lock)

    def _take_action(self, employee: Employee, case: Case, kind: ActionKind, now: float) -> LetterInfo:
        view = build_case_view(self.svc.store, self.svc.history, case)
        decision = decide(kind, case, prior_actions(view.history), now)
        if not decision.allowed:
            self.audit.record(employee.username, f"{kind.value}_refused", case.case_id)
            raise ActionRefused(decision)
        letter = self._letter(employee, view, decision, now)
        letter_id = f"{int(now)}-{secrets.token_hex(4)}"
        filename = f"{case.case_id}-{kind.value}-{datetime.fromtimestamp(now, UTC):%Y%m%d}.pdf"
        pdf = render_pdf(letter)
        spec = decision.spec
        pipe = self.svc.redis.pipeline()
        pipe.hset(
            self.svc.keys.letter(letter_id),
            mapping={
                "case_id": case.case_id,
                "action": kind.value,
                "title": spec.letter_title,
                "created_at": f"{now:.3f}",
                "employee": employee.username,
                "filename": filename,
                "copies": len(letter.representatives),
                "pdf": base64.b64encode(pdf).decode("ascii"),
            },
        )
        pipe.zadd(self.svc.keys.case_letters(case.case_id), {letter_id: now})
        copies = f", copies to {len(letter.representatives)} representative(s)" if letter.representatives else ""
        self.svc.history.append(
            case.case_id,
            spec.history_kind,
            f"{spec.title} issued; letter “{spec.letter_title}” generated{copies}",
            actor=employee.username,
            pipe=pipe,
            action=kind.value,
            letter_id=letter_id,
        )
        pipe.execute()
        self.audit.record(employee.username, kind.value, case.case_id, letter_id=letter_id)
        return LetterInfo(
            letter_id, case.case_id, spec.letter_title, now, employee.username, filename, len(letter.representatives)
        )

    def _letter(self, employee: Employee, view: CaseView, decision: Decision, now: float) -> Letter:
        case = view.case
        reps = tuple(
            Recipient(
                name=rep.name,
                detail=", ".join(part for part in (rep.firm, f"CAF {rep.caf}") if part),
                is_representative=True,
                crn=view.crns.get(rep.caf),
            )
            for rep in view.representatives
            if rep.status == AuthorizationStatus.VALID_POA.value
        )
        return Letter(
            title=decision.spec.letter_title,
            letter_date=datetime.fromtimestamp(now, UTC).date(),
            case_id=case.case_id,
            taxpayer=Recipient(case.taxpayer_name, "Taxpayer"),
            tin_kind=case.tin.kind,
            tin_masked=case.tin.masked,
            periods=case.periods,
            balance=case.balance,
            paragraphs=decision.spec.letter_paragraphs,
            callback_numbers=self.svc.config.callback_numbers,
            signed_by=employee.name,
            representatives=reps,
        )


def clean_text(note: str) -> str:
    """Collapse whitespace and mask anything shaped like an SSN/EIN before it reaches the history."""
    text = redact(" ".join((note or "").split()))
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"notes are limited to {MAX_NOTE_LENGTH} characters")
    return text
