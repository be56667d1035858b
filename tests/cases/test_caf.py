"""CAF numbers: accepted with or without the hyphen and R suffix in any case; one stored form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.cases.caf import InvalidCaf, normalize_caf


@given(st.text("0123456789", min_size=4, max_size=4), st.text("0123456789", min_size=5, max_size=5),
       st.sampled_from(["", "R", "r"]), st.booleans())  # fmt: skip
def test_with_or_without_hyphen_gives_one_form(first: str, second: str, suffix: str, hyphen: bool) -> None:
    written = first + ("-" if hyphen else "") + second + suffix
    normal = normalize_caf(f"  {written} ")
    assert normal == f"{first}-{second}{suffix.upper()}"
    assert normalize_caf(normal) == normal


@pytest.mark.parametrize(
    "text", ["", "12345678", "1234567890", "0401--23456", "04012-3456", "0401-23456X", "0401-2345R6", "R040123456",
             "0401 23456", "abcd-efghi", None, "٠٤٠١-٢٣٤٥٦", "0401-23456\n1"],
)  # fmt: skip
def test_malformed_caf_raises(text) -> None:
    with pytest.raises(InvalidCaf):
        normalize_caf(text)


def test_sample_spellings() -> None:
    assert normalize_caf("061178903") == "0611-78903"
    assert normalize_caf("127904006R") == "1279-04006R"
    assert normalize_caf("0401-23456r") == "0401-23456R"


@given(st.text(max_size=14))
def test_any_text_is_a_caf_or_invalid_caf(text: str) -> None:
    try:
        normal = normalize_caf(text)
    except InvalidCaf:
        return
    assert normal.isascii() and normalize_caf(normal) == normal
