"""Store: reading cases, practitioners and authorizations back; keyed SSN/EIN matching; key names."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.cases.models import CaseStatus
from ivr.cases.store import Store


def test_get_cases_skips_missing(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    found = store.get_cases(["ACS-000101", "nope", "ACS-000172"])
    assert [c.case_id for c in found] == ["ACS-000101", "ACS-000172"]
    assert store.get_case("nope") is None
    assert len(store.all_case_ids()) == 72


def test_keyed_tin_matches_only_open_cases(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    assert store.open_case_for_keyed_tin("757986364").case_id == "ACS-000102"  # an EIN keyed as bare digits
    store.set_case_status("ACS-000102", CaseStatus.CLOSED)
    assert store.open_case_for_keyed_tin("757986364") is None
    assert store.get_case("ACS-000102").status is CaseStatus.CLOSED
    assert store.open_case_for_keyed_tin("000000000") is None
    assert store.open_case_for_keyed_tin("12345") is None
    assert store.open_case_for_keyed_tin("") is None


def test_practitioners_and_authorizations(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    avery = store.get_practitioner("0401-23456R")
    assert (avery.name, avery.phone) == ("Avery Ashford", "+12125550101")
    assert store.practitioner_exists("0401-23456R") and not store.practitioner_exists("0401-23456")
    assert store.get_practitioner("0000-00000") is None
    case = store.get_case("ACS-000105")
    auths = store.authorizations_for(case.tin)
    assert sorted(a.received.isoformat() for a in auths if a.caf == "1279-04006R") == ["2024-03-11", "2025-09-02"]


def test_no_key_name_holds_a_tin(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    store.issue_crn("ACS-000101", "0401-23456R")
    digits = {store.get_case(cid).tin.digits for cid in store.all_case_ids()}
    for key in redis.scan_iter("*"):
        assert key.startswith("acs:")
        compact = key.replace("-", "")
        assert not any(d in compact for d in digits), key


def test_key_prefix_is_honoured(redis) -> None:
    from ivr.keys import KeySchema

    store = Store(redis, KeySchema("other"))
    store.issue_crn("C-1", "taxpayer")
    assert all(key.startswith("other:") for key in redis.scan_iter("*"))


def test_every_sample_case_is_found_by_its_keyed_digits(sample_data, redis, keys) -> None:
    store = Store(redis, keys)
    for case_id in store.all_case_ids():
        case = store.get_case(case_id)
        found = store.open_case_for_keyed_tin(case.tin.digits)
        assert found is not None and found.tin.digits == case.tin.digits, case_id
        others = [c for c in store.get_cases(store.all_case_ids()) if c.tin.digits == case.tin.digits]
        assert found.case_id == min(c.case_id for c in others)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(digits=st.text("0123456789", min_size=9, max_size=9))
def test_keyed_digits_match_only_their_own_case(sample_data, redis, keys, digits: str) -> None:
    found = Store(redis, keys).open_case_for_keyed_tin(digits)
    assert found is None or found.tin.digits == digits
