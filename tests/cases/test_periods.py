"""Tax periods `FORM:PERIOD`: quarterly forms need a quarter, annual forms a plain year."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.cases.periods import InvalidPeriod, normalize_tax_period, parse_periods


@pytest.mark.parametrize(
    ("text", "normal"),
    [("1040:2004", "1040:2004"), ("941:2005q3", "941:2005Q3"), (" 720:2006Q1 ", "720:2006Q1"),
     ("1120s:2019", "1120S:2019"), ("CT-1:2020", "CT-1:2020"), ("2290:200612", "2290:200612")],
)  # fmt: skip
def test_valid_periods(text: str, normal: str) -> None:
    assert normalize_tax_period(text) == normal


@pytest.mark.parametrize(
    "text",
    ["", "1040", "1040-2004", ":2004", "1040:", "1040:2005Q3", "941:2005", "941:2005Q5", "941:200513", "1040:1899",
     "1040:2101", "ABCD:2004", "10:2004", "1040:04", "940:2024Q1", "1040:2004:2005", "١٠٤٠:٢٠٠٤", "1040\n:2004",
     "1040:2004\nX"],
)  # fmt: skip
def test_bad_periods(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        normalize_tax_period(text)


def test_period_lists() -> None:
    assert parse_periods("1040:2004; 1040:2005;1040:2004") == ("1040:2004", "1040:2005")
    for text in ("", " ; ", "1040:2004;;1040:2005", "1040:2004;"):
        with pytest.raises(InvalidPeriod):
            parse_periods(text)


@given(st.text(max_size=30))
def test_any_text_is_a_period_or_invalid_period(text: str) -> None:
    try:
        normal = normalize_tax_period(text)
    except InvalidPeriod:
        return
    assert normal.isascii() and normal.isprintable()
    assert normalize_tax_period(normal) == normal
