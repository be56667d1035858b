from __future__ import annotations

from decimal import Decimal

import pytest

from ivr.cases.actions import DAY, ActionKind, PriorAction, decide, decide_all, prior_actions
from ivr.cases.models import Case, CaseStatus, CaseType, HistoryEntry
from ivr.cases.tin import Tin

NOW = 1_800_000_000.0


def make_case(case_type=CaseType.BAL_DUE, balance: str | None = "1200.00", status=CaseStatus.OPEN) -> Case:
    return Case(
        case_id="ACS-1",
        case_type=case_type,
        tin=Tin("SSN", "015146380"),
        taxpayer_name="T",
        taxpayer_phone="+12025550104",
        periods=("1040:2020",),
        balance=None if balance is None else Decimal(balance),
        status=status,
    )


def test_balance_due_notices_and_lien_allowed_on_an_open_balance_due_case():
    allowed = {d.spec.kind for d in decide_all(make_case(), [], NOW) if d.allowed}
    assert allowed == {ActionKind.NOTICE_BALANCE_DUE, ActionKind.NOTICE_INTENT_TO_LEVY, ActionKind.LIEN}


def test_non_filer_only_gets_the_return_request():
    decisions = {d.spec.kind: d for d in decide_all(make_case(CaseType.NON_FILER, None), [], NOW)}
    assert decisions[ActionKind.NOTICE_RETURN_REQUEST].allowed
    assert "Only for a balance-due" in decisions[ActionKind.LIEN].unmet[0]


def test_no_balance_no_lien():
    assert decide(ActionKind.LIEN, make_case(balance="0.00"), [], NOW).unmet == ("The case has no balance owed.",)


def test_one_lien_per_case():
    decision = decide(ActionKind.LIEN, make_case(), [PriorAction(ActionKind.LIEN, NOW - DAY)], NOW)
    assert not decision.allowed and "already been filed" in decision.unmet[0]


def test_closed_case_refuses_everything():
    assert not any(d.allowed for d in decide_all(make_case(status=CaseStatus.CLOSED), [], NOW))


@pytest.mark.parametrize(
    "days_ago,allowed",
    [(None, False), (0, False), (29.9, False), (30, True), (45, True)],
)
def test_levy_needs_a_final_notice_30_days_earlier(days_ago, allowed):
    prior = [] if days_ago is None else [PriorAction(ActionKind.NOTICE_INTENT_TO_LEVY, NOW - days_ago * DAY)]
    decision = decide(ActionKind.LEVY, make_case(), prior, NOW)
    assert decision.allowed is allowed
    if not allowed:
        assert "final notice of intent to levy" in decision.unmet[0]


def test_levy_counts_from_the_earliest_final_notice():
    prior = [
        PriorAction(ActionKind.NOTICE_INTENT_TO_LEVY, NOW - 40 * DAY),
        PriorAction(ActionKind.NOTICE_INTENT_TO_LEVY, NOW - 2 * DAY),
    ]
    assert decide(ActionKind.LEVY, make_case(), prior, NOW).allowed


def test_prior_actions_read_from_history():
    entries = [
        HistoryEntry("1-0", 1.0, "notice", "alice", "x", {"action": "notice_intent_to_levy"}),
        HistoryEntry("2-0", 2.0, "call_out", "system", "x", {"outcome": "voicemail"}),
        HistoryEntry("3-0", 3.0, "note", "alice", "x", {}),
    ]
    assert prior_actions(entries) == [PriorAction(ActionKind.NOTICE_INTENT_TO_LEVY, 1.0)]
