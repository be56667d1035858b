"""Enforcement actions an employee may take on a case — notices, a federal tax lien, a levy — and their rules.

Pure domain: give it the case, what was already issued and the time; it answers which preconditions are unmet,
in words an employee can act on. No Redis, no Flask. The console records issued actions in the case history
(kind = `ActionSpec.history_kind`, detail `action` = the ActionKind value), which is what `prior` is built from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ivr.cases.models import Case, CaseType, HistoryEntry

DAY = 24 * 3600
LEVY_WAIT_DAYS = 30


# What came of a conversation with the taxpayer or the representative (recorded with the employee's note).
OUTCOMES: dict[str, str] = {
    "payment_promised": "Payment promised",
    "paid": "Says the balance is paid",
    "installment_requested": "Installment agreement requested",
    "will_file": "Will file the missing returns",
    "disputes": "Disputes the liability",
    "hardship": "Claims economic hardship",
    "call_back": "Asked to be called back",
    "not_authorized": "Caller not authorized for this case",
    "wrong_number": "Wrong number (the taxpayer's number is retired: never called again for this taxpayer)",
    "other": "Other (see note)",
}


class ActionKind(StrEnum):
    NOTICE_BALANCE_DUE = "notice_balance_due"
    NOTICE_RETURN_REQUEST = "notice_return_request"
    NOTICE_INTENT_TO_LEVY = "notice_intent_to_levy"
    LIEN = "lien"
    LEVY = "levy"


@dataclass(frozen=True)
class ActionSpec:
    kind: ActionKind
    title: str
    history_kind: str
    rule: str  # the precondition, as shown next to the button
    letter_title: str
    letter_paragraphs: tuple[str, ...]


SPECS: dict[ActionKind, ActionSpec] = {
    spec.kind: spec
    for spec in (
        ActionSpec(
            ActionKind.NOTICE_BALANCE_DUE,
            "Notice of balance due",
            "notice",
            "Balance-due case with a balance owed.",
            "Notice of Balance Due",
            (
                "Our records show that you owe the balance shown above for the tax periods listed.",
                "Please pay the full amount, or call us to discuss a payment plan. Interest and penalties continue "
                "to accrue until the balance is paid in full.",
            ),
        ),
        ActionSpec(
            ActionKind.NOTICE_RETURN_REQUEST,
            "Request for delinquent return",
            "notice",
            "Non-filer case.",
            "Request for Your Tax Return",
            (
                "We have no record of receiving your tax return for the periods listed above.",
                "Please file the missing returns within 30 days of this letter, or call us if you believe you were "
                "not required to file or have already filed.",
            ),
        ),
        ActionSpec(
            ActionKind.NOTICE_INTENT_TO_LEVY,
            "Final notice of intent to levy",
            "notice",
            "Balance-due case with a balance owed.",
            "Final Notice: Notice of Intent to Levy and Notice of Your Right to a Hearing",
            (
                "This is your final notice. You have not paid the balance shown above despite previous notices.",
                f"If you do not pay or make other arrangements within {LEVY_WAIT_DAYS} days of the date of this "
                "letter, we may levy (seize) your wages, bank accounts or other property.",
                f"You have the right to request a Collection Due Process hearing within {LEVY_WAIT_DAYS} days of the "
                "date of this letter.",
            ),
        ),
        ActionSpec(
            ActionKind.LIEN,
            "File a federal tax lien",
            "lien",
            "Balance-due case with a balance owed, and no lien already filed.",
            "Notice of Federal Tax Lien Filing and Your Right to a Hearing",
            (
                "We have filed a Notice of Federal Tax Lien for the balance shown above. The lien attaches to all "
                "of your property and rights to property.",
                "You have the right to request a hearing within 30 days. The lien will be released within 30 days "
                "after the balance is paid in full.",
            ),
        ),
        ActionSpec(
            ActionKind.LEVY,
            "Issue a levy",
            "levy",
            f"Balance-due case with a balance owed, and a final notice of intent to levy issued at least "
            f"{LEVY_WAIT_DAYS} days ago.",
            "Notice of Levy",
            (
                "Because the balance shown above remains unpaid after our final notice of intent to levy, we have "
                "issued a levy to collect it.",
                "Call us at once to discuss how to release the levy: paying in full, entering an installment "
                "agreement or showing economic hardship.",
            ),
        ),
    )
}


@dataclass(frozen=True)
class PriorAction:
    kind: ActionKind
    at: float


@dataclass(frozen=True)
class Decision:
    spec: ActionSpec
    unmet: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.unmet


def prior_actions(history: Iterable[HistoryEntry]) -> list[PriorAction]:
    """The enforcement actions already recorded in a case's history."""
    found = []
    for entry in history:
        value = entry.detail.get("action") if isinstance(entry.detail, dict) else None
        if value in ActionKind.__members__.values():
            found.append(PriorAction(ActionKind(value), entry.at))
    return found


def decide(kind: ActionKind, case: Case, prior: Iterable[PriorAction], now: float) -> Decision:
    """Which of the action's preconditions this case does not meet (none → the action may be taken)."""
    spec = SPECS[kind]
    prior = list(prior)
    unmet: list[str] = []
    if not case.is_open:
        unmet.append("The case is closed.")
    owes = case.balance is not None and case.balance > Decimal("0")
    if kind is ActionKind.NOTICE_RETURN_REQUEST:
        if case.case_type is not CaseType.NON_FILER:
            unmet.append("Only for a non-filer (TDI) case; this is a balance-due case.")
    else:
        if case.case_type is not CaseType.BAL_DUE:
            unmet.append("Only for a balance-due (TDA) case; this is a non-filer case.")
        elif not owes:
            unmet.append("The case has no balance owed.")
    if kind is ActionKind.LIEN and any(p.kind is ActionKind.LIEN for p in prior):
        unmet.append("A federal tax lien has already been filed on this case.")
    if kind is ActionKind.LEVY:
        finals = [p.at for p in prior if p.kind is ActionKind.NOTICE_INTENT_TO_LEVY]
        if not finals:
            unmet.append("No final notice of intent to levy has been issued.")
        else:
            waited = (now - min(finals)) / DAY
            if waited < LEVY_WAIT_DAYS:
                remaining = LEVY_WAIT_DAYS - int(waited)
                unmet.append(
                    f"The final notice of intent to levy was issued {int(waited)} day(s) ago; a levy needs "
                    f"{LEVY_WAIT_DAYS} days (about {remaining} more)."
                )
    return Decision(spec, tuple(unmet))


def decide_all(case: Case, prior: Iterable[PriorAction], now: float) -> list[Decision]:
    prior = list(prior)
    return [decide(kind, case, prior, now) for kind in ActionKind]
