"""History lines say what the callee actually heard: the taxpayer's limited-content message carries no CRN."""

from __future__ import annotations

import pytest

from ivr.dialer.attempts import Attempt
from ivr.dialer.outcomes import summary
from ivr.dialer.policy import Action, Outcome

AT = 1_800_000_000.0


def _attempt(kind: str) -> Attempt:
    contact = "040123456R" if kind == "practitioner" else "taxpayer"
    return Attempt(
        attempt_id="a1",
        case_id="ACS-000104",
        contact=contact,
        contact_kind=kind,
        to="+12025550104",
        crn="7968333471",
        state="open",
        created_at=AT,
        contact_name="Avery Ashford",
    )


@pytest.mark.parametrize("outcome", [Outcome.CONVERSATION, Outcome.VOICEMAIL])
def test_taxpayer_lines_do_not_claim_a_crn_was_given(outcome):
    text = summary(_attempt("taxpayer"), outcome, Action.FOLLOW_UP, AT, "")
    assert "CRN" not in text and "7968333471" not in text
    assert "limited-content" in text


@pytest.mark.parametrize("outcome", [Outcome.CONVERSATION, Outcome.VOICEMAIL])
def test_practitioner_lines_keep_the_crn(outcome):
    assert "CRN 7968333471" in summary(_attempt("practitioner"), outcome, Action.FOLLOW_UP, AT, "")
