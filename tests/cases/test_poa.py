"""Which authorization makes a practitioner the case's contact: an unrevoked 2848 covering a case period;
the most recently received wins, ties go to the lowest CAF."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.cases.poa import Authorization, AuthorizationStatus, preferred_poa
from ivr.cases.store import Store

TODAY = date(2026, 11, 26)  # the sample data's "today"
CASE_PERIODS = ("1040:2020", "1040:2021")


def auth(caf="0401-23456R", form="2848", periods=("1040:2021",), received=date(2025, 1, 1), revoked=None):
    return Authorization(caf, "ref", form, frozenset(periods), received, revoked)


def test_2848_is_a_poa_8821_is_not() -> None:
    assert auth().status_for(CASE_PERIODS, TODAY) is AuthorizationStatus.VALID_POA
    info_only = auth(form="8821")
    assert info_only.status_for(CASE_PERIODS, TODAY) is AuthorizationStatus.INFORMATION_ONLY
    assert preferred_poa([info_only], CASE_PERIODS, TODAY) is None


@pytest.mark.parametrize(
    ("revoked", "valid"),
    [(None, True), (TODAY + timedelta(days=1), True), (TODAY, False), (TODAY - timedelta(days=1), False)],
)
def test_revocation_counts_as_of_today(revoked, valid) -> None:
    a = auth(revoked=revoked)
    assert a.is_valid_poa_for(CASE_PERIODS, TODAY) is valid
    assert a.status_for(CASE_PERIODS, TODAY) is (
        AuthorizationStatus.VALID_POA if valid else AuthorizationStatus.REVOKED
    )


def test_period_coverage() -> None:
    assert auth(periods=("1040:2021", "1040:2016")).is_valid_poa_for(CASE_PERIODS, TODAY)
    other = auth(periods=("1040:2016", "941:2021Q1"))
    assert other.status_for(CASE_PERIODS, TODAY) is AuthorizationStatus.NOT_COVERING
    assert preferred_poa([other], CASE_PERIODS, TODAY) is None


def test_preference_most_recent_then_lowest_caf() -> None:
    old = auth(caf="0001-00001", received=date(2024, 1, 1))
    new_high = auth(caf="9000-00001", received=date(2025, 6, 1))
    new_low = auth(caf="5000-00001", received=date(2025, 6, 1))
    newest_revoked = auth(caf="0000-00000", received=date(2026, 1, 1), revoked=date(2026, 2, 1))
    newest_8821 = auth(caf="0000-00000", form="8821", received=date(2026, 3, 1))
    assert preferred_poa([old, new_high, new_low, newest_revoked, newest_8821], CASE_PERIODS, TODAY) == new_low
    assert preferred_poa([], CASE_PERIODS, TODAY) is None


authorizations = st.lists(
    st.builds(
        auth,
        caf=st.sampled_from(["0027-21764", "0401-23456R", "0973-71420R", "2700-60143R", "9122-81942"]),
        form=st.sampled_from(["2848", "8821"]),
        periods=st.lists(st.sampled_from(["1040:2019", "1040:2020", "1040:2021", "941:2021Q1"]), min_size=1),
        received=st.dates(date(2020, 1, 1), date(2026, 11, 1)),
        revoked=st.none() | st.dates(date(2020, 1, 1), date(2027, 12, 31)),
    ),
    max_size=8,
)


@given(authorizations)
def test_preference_matches_the_written_rule(candidates: list[Authorization]) -> None:
    chosen = preferred_poa(candidates, CASE_PERIODS, TODAY)
    valid = [
        a for a in candidates
        if a.form == "2848" and (a.revoked is None or a.revoked > TODAY) and set(a.periods) & set(CASE_PERIODS)
    ]  # fmt: skip
    if not valid:
        assert chosen is None
        return
    assert chosen in valid
    assert all(a.received <= chosen.received for a in valid)
    assert all(a.caf >= chosen.caf for a in valid if a.received == chosen.received)
    assert preferred_poa(list(reversed(candidates)), CASE_PERIODS, TODAY).caf == chosen.caf  # order-independent


@pytest.mark.parametrize(
    ("case_id", "contact_caf"),
    [
        ("ACS-000101", "0401-23456R"),  # A
        ("ACS-000102", "0611-78903"),  # B (written without the hyphen)
        ("ACS-000103", "2209-55811"),  # C
        ("ACS-000104", None),  # no authorization at all
        ("ACS-000105", "1279-04006R"),  # D holds two 2848s
        ("ACS-000106", "2700-60143R"),  # F: the later date wins over the lower CAF
        ("ACS-000107", "0973-71420R"),  # G: same day, lowest CAF
        ("ACS-000108", None),  # I's 2848 covers other periods
        ("ACS-000109", None),  # only a revoked 2848
        ("ACS-000110", "1385-11463"),  # K; R2's newer 2848 is revoked
        ("ACS-000111", None),  # 8821 only
        ("ACS-000112", "9122-81942"),  # L; X2's newer 8821 does not count
    ],
)
def test_sample_rule_scenarios(sample_data, redis, keys, case_id: str, contact_caf: str | None) -> None:
    store = Store(redis, keys)
    case = store.get_case(case_id)
    chosen = store.contact_poa(case, TODAY)
    assert (chosen.caf if chosen else None) == contact_caf


def test_sample_revocation_in_the_future_still_counts(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    case = store.get_case("ACS-000110")
    revoked_r2 = next(a for a in store.authorizations_for(case.tin) if a.caf == "4485-86715")
    assert store.contact_poa(case, revoked_r2.revoked - timedelta(days=1)).caf == "4485-86715"
    assert store.contact_poa(case, revoked_r2.revoked).caf == "1385-11463"
