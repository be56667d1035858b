"""Import error messages never echo a TIN that landed in a CAF, phone or key column (issue 9 §1)."""

from __future__ import annotations

from ivr.cases.importer import Importer


def _errors(redis, keys, kind: str, text: str) -> str:
    result = Importer(redis, keys).import_text(kind, text)
    assert not result.ok
    return "\n".join(str(error) for error in result.errors)


def test_unknown_caf_is_masked(redis, keys):
    text = "caf,tin,form,periods,received,revoked\n0151-46380,015-14-6380,2848,1040:2019,2025-04-14,\n"
    errors = _errors(redis, keys, "authorizations", text)
    assert "line 2: authorization for unknown CAF ***-**-6380" in errors and "0151" not in errors


def test_duplicate_caf_is_masked(redis, keys):
    text = "caf,name,firm,phone\n0151-46380,A,F,+12125550101\n015146380,B,F,+12125550102\n"
    errors = _errors(redis, keys, "practitioners", text)
    assert "line 3: duplicate caf ***-**-6380" in errors and "0151" not in errors


def test_invalid_phone_is_masked(redis, keys):
    text = "caf,name,firm,phone\n0401-23456R,A,F,015-14-6380-\n"
    errors = _errors(redis, keys, "practitioners", text)
    assert "line 2:" in errors and "015-14" not in errors and "***-**-6380" in errors
