"""What employees do about who may be called: stop-calling requests, inconvenient times, wrong numbers.

Each change lands in the case history (attributed) and the audit log, and the dialer obeys it from its next
attempt on (the compliance engine reads these records on every tick). The case page shows the engine's verdict.
"""

from __future__ import annotations

import time

from ivr.cases.models import TAXPAYER_CONTACT, Case
from ivr.cases.phones import mask_phone
from ivr.cases.sealing import person_ref
from ivr.console.audit import AuditLog
from ivr.console.employees import Employee
from ivr.dialer import compliance
from ivr.dialer.compliance_settings import ComplianceSettings
from ivr.dialer.dnc import DncRecord, DoNotCall
from ivr.dialer.facts import decide_case
from ivr.dialer.persons import read_refs
from ivr.dialer.stated_times import parse
from ivr.services import Services

MAX_REASON = 200


class Calling:
    def __init__(self, svc: Services, audit: AuditLog):
        self.svc = svc
        self.audit = audit
        self.dnc = DoNotCall(svc.redis, svc.keys)
        self._settings: ComplianceSettings | None = None

    def settings(self) -> ComplianceSettings:
        if self._settings is None:
            self._settings = ComplianceSettings.from_env(self.svc.config.extra)
        return self._settings

    def decision(self, case: Case, now: float | None = None) -> compliance.Decision | None:
        """The engine's verdict for the case page (same facts, same rules as the dialer)."""
        at = time.time() if now is None else now
        return decide_case(self.svc.redis, self.svc.keys, case.case_id, at, self.settings())

    def stated_times(self, case: Case) -> dict[str, str]:
        """contact → what they said, for the case page."""
        from ivr.dialer.stated_times import StatedTimes

        raw = self.svc.redis.hgetall(self.svc.keys.case_stated_times(case.case_id))
        return {contact: StatedTimes.from_json(value).describe() for contact, value in raw.items()}

    def stop_calling(self, employee: Employee, case: Case, scope: str, reason: str) -> str:
        """Record a stop-calling request: `number` (the taxpayer's number) or `person` (the taxpayer, any number)."""
        reason = " ".join((reason or "").split())[:MAX_REASON]
        record = DncRecord(employee.username, "console", time.time(), reason)
        if scope == "number":
            self.dnc.add(case.taxpayer_phone, record)
            what = f"number {mask_phone(case.taxpayer_phone)} put on the do-not-call list"
        elif scope == "person":
            self.dnc.stop_person(person_ref(case.tin), record)
            what = "the taxpayer asked not to be called (any number, every case)"
        else:
            raise ValueError("choose whether the request covers this number or the person")
        self._record(employee, case, "stop_calling", f"Stop-calling request: {what}", scope=scope)
        return what

    def resume_calling(self, employee: Employee, case: Case) -> bool:
        # Under every data key: during a rotation the request may still sit under the previous one.
        done = any([self.dnc.resume_person(ref) for ref in read_refs(case.tin)])
        if done:
            self._record(employee, case, "resume_calling", "Stop-calling request withdrawn for the taxpayer")
        return done

    def set_inconvenient_times(self, employee: Employee, case: Case, contact: str, text: str) -> str:
        """Record what the person said ("not before noon; never on Tuesdays"); empty text clears it."""
        key = self.svc.keys.case_stated_times(case.case_id)
        contact = contact or TAXPAYER_CONTACT
        if not (text or "").strip():
            self.svc.redis.hdel(key, contact)
            self._record(employee, case, "inconvenient_times", f"Inconvenient times cleared ({contact})")
            return "none stated"
        stated = parse(text)  # ValueError with a sentence the employee can act on
        self.svc.redis.hset(key, contact, stated.to_json())
        summary = f"Inconvenient times recorded ({contact}): {stated.describe()}"
        self._record(employee, case, "inconvenient_times", summary, contact=contact)
        return stated.describe()

    def wrong_number(self, employee: Employee, case: Case) -> None:
        """The outcome "wrong number": the number is never called again for this taxpayer."""
        record = DncRecord(employee.username, "outcome", time.time(), "wrong number")
        self.dnc.retire_number(person_ref(case.tin), case.taxpayer_phone, record)
        summary = f"Number {mask_phone(case.taxpayer_phone)} retired for this taxpayer: wrong number"
        self._record(employee, case, "wrong_number", summary)

    def _record(self, employee: Employee, case: Case, action: str, summary: str, **detail) -> None:
        self.svc.history.append(case.case_id, "calling_rules", summary, actor=employee.username, **detail)
        self.audit.record(employee.username, action, case.case_id, **detail)
