"""`acs why`, `acs dnc …` and `acs import dnc` through click's CliRunner, against the test Redis."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ivr.cli import cli
from ivr.dialer.dnc import DoNotCall

WEDNESDAY_3PM_NY = "2026-12-02T20:00:00Z"
THANKSGIVING = "2026-11-26T17:00:00+00:00"


@pytest.fixture
def runner(config_overrides) -> CliRunner:
    return CliRunner(env=config_overrides)


def taxpayer_phone(redis, keys, case_id: str) -> str:
    return redis.hget(keys.case(case_id), "taxpayer_phone")


def test_why_explains_allowed_with_the_practitioner_as_contact(runner, sample_data):
    result = runner.invoke(cli, ["why", "ACS-000101", "--at", WEDNESDAY_3PM_NY, "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) >= {"case_id", "contact", "allowed", "next_allowed", "rules"}
    assert shown["case_id"] == "ACS-000101" and shown["allowed"] is True
    assert shown["contact"]["kind"] == "practitioner" and shown["contact"]["phone"].startswith("•••")
    assert len(shown["contact"]["phone"].lstrip("•")) == 4
    assert all(set(r) == {"rule", "ok", "detail"} for r in shown["rules"])


def test_why_on_a_holiday_says_so_and_gives_the_next_allowed_time(runner, sample_data):
    result = runner.invoke(cli, ["why", "ACS-000104", "--at", THANKSGIVING, "--json"])
    shown = json.loads(result.stdout)
    assert shown["allowed"] is False and shown["contact"]["kind"] == "taxpayer"
    office = next(r for r in shown["rules"] if r["rule"] == "office_days")
    assert not office["ok"] and "Thanksgiving" in office["detail"]
    assert shown["next_allowed"].startswith("2026-11-27T")
    text = runner.invoke(cli, ["why", "ACS-000104", "--at", THANKSGIVING])
    assert "may NOT be called" in text.stdout and "Next allowed: 2026-11-27" in text.stdout
    assert "(the taxpayer at •••" in text.stdout and "taxpayer the taxpayer" not in text.stdout


def test_why_text_names_the_practitioner_once(runner, sample_data):
    text = runner.invoke(cli, ["why", "ACS-000101", "--at", WEDNESDAY_3PM_NY]).stdout
    assert "(practitioner " in text and " at •••" in text and "practitioner practitioner" not in text


def test_why_refuses_bad_input_in_one_line(runner, sample_data):
    for args in (["why", "NO-SUCH-CASE"], ["why", "ACS-000101", "--at", "tomorrow"]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1


def test_dnc_add_list_remove_and_the_engine_obeys(runner, redis, keys, sample_data):
    phone = taxpayer_phone(redis, keys, "ACS-000104")
    assert runner.invoke(cli, ["dnc", "add", phone, "--reason", "asked on 2026-12-01"]).exit_code == 0
    listed = runner.invoke(cli, ["dnc", "list", phone, "--json"])
    (row,) = json.loads(listed.stdout)
    assert row["how"] == "cli" and row["who"].startswith("cli:") and row["reason"] == "asked on 2026-12-01"
    shown = json.loads(runner.invoke(cli, ["why", "ACS-000104", "--at", WEDNESDAY_3PM_NY, "--json"]).stdout)
    assert shown["allowed"] is False and shown["next_allowed"] is None
    assert any(r["rule"] == "do_not_call" and not r["ok"] for r in shown["rules"])
    assert runner.invoke(cli, ["dnc", "remove", phone]).exit_code == 0
    assert runner.invoke(cli, ["dnc", "remove", phone]).exit_code == 1
    assert [e for e in redis.xrange(keys.audit_log()) if e[1]["action"].startswith("dnc_")]


def test_import_dnc_all_or_nothing_with_line_numbers(runner, redis, keys, tmp_path):
    bad = tmp_path / "dnc.csv"
    bad.write_text("phone,reason\n+12125550101,asked\nnot-a-phone,\n212-555-0102\n+1555,x\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "dnc", str(bad)])
    assert result.exit_code == 1
    assert "line 3: not a valid phone number" in result.stderr and "line 5:" in result.stderr
    assert "nothing imported (2 error(s))" in result.stderr
    assert not redis.exists(keys.dnc_numbers())
    good = tmp_path / "good.csv"
    good.write_text("phone,reason\n+12125550101,asked\n(212) 555-0102,\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "dnc", str(good)])
    assert result.exit_code == 0, result.output
    assert "2 numbers imported (2 new" in result.stdout
    assert DoNotCall(redis, keys).get("+12125550102").how == "import"


def test_why_at_an_earlier_instant_counts_no_call_placed_after_it(runner, redis, keys, sample_data):
    """A call placed on 2026-11-30 had not happened on 2026-11-02: `--at` judges the history as it stood then."""
    from datetime import datetime

    from ivr.cases.store import Store
    from ivr.dialer.persons import CallCounts, Reservation, read_refs

    placed = datetime.fromisoformat("2026-11-30T15:44:00+00:00").timestamp()
    refs = read_refs(Store(redis, keys).get_case("ACS-000104").tin)
    assert not CallCounts(redis, keys).reserve([Reservation(refs, "taxpayer", "AT-nov-30", placed, 0)], placed)

    def frequency_detail(at: str) -> str:
        shown = json.loads(runner.invoke(cli, ["why", "ACS-000104", "--at", at, "--json"]).stdout)
        return next(r["detail"] for r in shown["rules"] if r["rule"] == "frequency")

    assert frequency_detail("2026-11-02T17:00:00Z").startswith("0 call(s) to the taxpayer")
    assert frequency_detail("2026-11-30T15:43:59Z").startswith("0 call(s) to the taxpayer")
    assert frequency_detail("2026-11-30T15:44:00Z").startswith("1 call(s) to the taxpayer")  # at or before: counted
    assert frequency_detail("2026-12-02T20:00:00Z").startswith("1 call(s) to the taxpayer")
    text = runner.invoke(cli, ["why", "ACS-000104", "--at", "2026-11-02T17:00:00Z"]).stdout
    assert "frequency: 0 call(s)" in text
