"""The `acs` command through click's CliRunner, pointed at the test Redis by environment variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cases.history import History
from ivr.cases.importer import Importer
from ivr.cases.store import Store
from ivr.cli import cli

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "ivr" / "sample_data"


@pytest.fixture
def runner(config_overrides) -> CliRunner:
    return CliRunner(env=config_overrides)


def test_import_good_files(runner, redis, keys) -> None:
    for kind, count in (("practitioners", 20), ("cases", 72), ("authorizations", 60)):
        result = runner.invoke(cli, ["import", kind, str(SAMPLE_DATA / f"{kind}.csv")])
        assert result.exit_code == 0, result.output
        assert f"{count} {kind} imported ({count} new, 0 updated)" in result.stdout
    again = runner.invoke(cli, ["import", "cases", str(SAMPLE_DATA / "cases.csv")])
    assert "72 cases imported (0 new, 72 updated)" in again.stdout
    assert len(Store(redis, keys).all_case_ids()) == 72


def test_import_bad_file_lists_lines_and_imports_nothing(runner, redis, tmp_path) -> None:
    lines = (SAMPLE_DATA / "cases.csv").read_text("utf-8").splitlines()
    lines[3] = lines[3].replace("BAL_DUE", "TDA").replace("NON_FILER", "TDA")
    lines[7] = lines[7].replace(lines[7].split(",")[2], "000-00-0000")
    bad = tmp_path / "cases.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["import", "cases", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: line 4: unknown case_type 'TDA'" in result.stderr
    assert f"{bad}: line 8: " in result.stderr
    assert "nothing imported (2 error(s))" in result.stderr
    assert "000-00-0000" not in result.stderr and "000000000" not in result.stderr  # never echoed back
    assert result.stdout == ""
    assert redis.dbsize() == 0


def test_import_rejects_unknown_kind_and_missing_file(runner, tmp_path) -> None:
    assert runner.invoke(cli, ["import", "payments", str(SAMPLE_DATA / "cases.csv")]).exit_code == 2
    assert runner.invoke(cli, ["import", "cases", str(tmp_path / "nope.csv")]).exit_code == 2


def test_case_show_by_crn(runner, sample_data, redis, keys) -> None:
    crn = Store(redis, keys).issue_crn("ACS-000101", "0401-23456R")
    History(redis, keys).append("ACS-000101", "call_out", "Voicemail left for the practitioner")
    spaced = f"{crn[:3]} {crn[3:6]} {crn[6:]}"
    result = runner.invoke(cli, ["case", "show", spaced])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Case ACS-000101  BAL_DUE  (open)" in out
    assert "SSN ***-**-6380" in out and "015-14-6380" not in out and "015146380" not in out
    assert f"Opened by CRN {crn}" in out
    assert "0401-23456R  Avery Ashford" in out and "← contact" in out
    assert "Voicemail left for the practitioner" in out


def test_case_show_json_masks_the_tin(runner, sample_data) -> None:
    result = runner.invoke(cli, ["case", "show", "ACS-000102", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["case_id"] == "ACS-000102"
    assert data["taxpayer"]["tin_kind"] == "EIN" and data["taxpayer"]["tin"] == "**-***6364"
    assert "757986364" not in result.stdout and "75-7986364" not in result.stdout
    assert [r["caf"] for r in data["representatives"] if r["is_contact"]] == ["0611-78903"]
    assert data["history"][0]["kind"] == "case_opened"
    assert data["opened_by_crn"] is None


@pytest.mark.parametrize("text", ["ACS-999999", "4012345678", "", "acs:case:ACS-000101"])
def test_case_show_unknown(runner, sample_data, text: str) -> None:
    result = runner.invoke(cli, ["case", "show", text])
    assert result.exit_code == 1
    assert "no case for" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("text", ["015-14-6380", "015146380", "75-7986364"])
def test_case_show_never_echoes_an_ssn_or_ein_typed_by_mistake(runner, sample_data, text: str) -> None:
    result = runner.invoke(cli, ["case", "show", text])
    assert result.exit_code == 1 and "no case for" in result.stderr
    assert text not in result.stderr and text[-4:] in result.stderr


def test_case_show_finds_an_all_digit_case_id(runner, redis, keys) -> None:
    header = "case_id,case_type,tin,taxpayer_name,taxpayer_phone,periods,balance"
    text = f"{header}\n1234567890,NON_FILER,015-14-6380,Pat Doe,+12065550148,1040:2019,\n"
    assert Importer(redis, keys).import_text("cases", text).ok
    result = runner.invoke(cli, ["case", "show", "1234567890"])
    assert result.exit_code == 0, result.output
    assert "Case 1234567890" in result.stdout


def test_import_authorizations_before_practitioners_names_every_line(runner, redis) -> None:
    result = runner.invoke(cli, ["import", "authorizations", str(SAMPLE_DATA / "authorizations.csv")])
    assert result.exit_code == 1
    assert result.stderr.count("authorization for unknown CAF") == 60
    assert "line 2: authorization for unknown CAF ***-**-3456R" in result.stderr
    assert "nothing imported (60 error(s))" in result.stderr
    assert redis.dbsize() == 0
