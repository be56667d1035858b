"""SSN/EIN parsing and masking: python-stdnum decides validity; masks show at most the last four digits."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.us import ein, ssn

from ivr.cases.tin import InvalidTin, Tin, keyed_candidates, parse_keyed_tin, parse_tin, redact

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)
valid_ssn_digits = st.builds(
    lambda area, group, serial: f"{area:03d}{group:02d}{serial:04d}",
    st.integers(1, 899).filter(lambda a: a != 666),
    st.integers(1, 99),
    st.integers(1, 9999),
).filter(ssn.is_valid)
valid_ein_digits = nine_digits.filter(ein.is_valid)


def shown_digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def assert_message_hides(exc: InvalidTin, raw: str) -> None:
    message = str(exc)
    assert not re.search(r"\d{2,}", message), message
    digits = shown_digits(raw)
    if len(digits) >= 2:
        assert digits not in message


@given(valid_ssn_digits)
def test_valid_ssn_parses_and_masks(digits: str) -> None:
    tin = parse_tin(ssn.format(digits))
    assert tin == Tin("SSN", digits)
    assert tin.masked == f"***-**-{digits[-4:]}"
    assert shown_digits(tin.masked) == digits[-4:]
    assert tin.formatted == ssn.format(digits)
    assert digits not in repr(tin) and digits not in str(tin)


@given(valid_ein_digits)
def test_valid_ein_parses_and_masks(digits: str) -> None:
    tin = parse_tin(ein.format(digits))
    assert tin == Tin("EIN", digits)
    assert tin.masked == f"**-***{digits[-4:]}"
    assert shown_digits(tin.masked) == digits[-4:]
    assert digits not in repr(tin)


@given(nine_digits)
def test_bare_digits_read_ssn_first_then_ein(digits: str) -> None:
    candidates = keyed_candidates(digits)
    assert [t.kind for t in candidates] == [k for k, m in (("SSN", ssn), ("EIN", ein)) if m.is_valid(digits)]
    if candidates:
        assert parse_tin(digits) == candidates[0] == parse_keyed_tin(digits)
        assert len(shown_digits(candidates[0].masked)) == 4
    else:
        with pytest.raises(InvalidTin) as info:
            parse_tin(digits)
        assert_message_hides(info.value, digits)


@given(nine_digits.filter(lambda d: not ssn.is_valid(d)))
def test_invalid_ssn_in_ssn_layout_raises_without_digits(digits: str) -> None:
    with pytest.raises(InvalidTin) as info:
        parse_tin(f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")
    assert_message_hides(info.value, digits)


@given(nine_digits.filter(lambda d: not ein.is_valid(d)))
def test_invalid_ein_in_ein_layout_raises_without_digits(digits: str) -> None:
    with pytest.raises(InvalidTin) as info:
        parse_tin(f"{digits[:2]}-{digits[2:]}")
    assert_message_hides(info.value, digits)


@given(st.text(max_size=20))
def test_arbitrary_text_is_a_tin_or_a_clean_error(text: str) -> None:
    try:
        tin = parse_tin(text)
    except InvalidTin as exc:
        assert_message_hides(exc, text)
    else:
        assert len(tin.digits) == 9 and tin.digits == shown_digits(text)
        assert len(shown_digits(tin.masked)) <= 4


@pytest.mark.parametrize(
    "text",
    ["000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "078-05-1120", "00-1234567",
     "07-1234567", "12345678", "1234567890", "12-34-56789", "123456-789", "1-23456789", "123-456789", "12345678O",
     "", "   ", "123-45-678٩"],
)  # fmt: skip
def test_known_invalid_numbers(text: str) -> None:
    with pytest.raises(InvalidTin) as info:
        parse_tin(text)
    assert_message_hides(info.value, text)


def test_layout_decides_kind_even_when_both_readings_are_valid() -> None:
    digits = "123456789"
    assert ssn.is_valid(digits) and ein.is_valid(digits)
    assert parse_tin("123-45-6789").kind == "SSN"
    assert parse_tin("12-3456789").kind == "EIN"
    assert parse_tin(" 123456789 ").kind == "SSN"
    assert parse_tin("123 45 6789").kind == "SSN"


def test_keyed_tin_rejects_non_digits() -> None:
    for text in ("12345678#", "", "1234567890", "١٢٣٤٥٦٧٨٩"):
        with pytest.raises(InvalidTin):
            parse_keyed_tin(text)
        assert keyed_candidates(text) == []


@given(
    digits=st.text("0123456789", min_size=9, max_size=9),
    layout=st.sampled_from(["{a}{b}{c}", "{a}-{b}-{c}", "{a} {b} {c}", "{a}.{b}.{c}", "{e}-{f}", "{e} {f}"]),
    before=st.sampled_from(["", "SSN ", "caller read: ", "(", "x"]),
    after=st.sampled_from(["", ".", " twice", ")", ", ok"]),
)
def test_redact_never_leaves_more_than_the_last_four_digits(digits, layout, before, after) -> None:
    typed = layout.format(a=digits[:3], b=digits[3:5], c=digits[5:], e=digits[:2], f=digits[2:])
    text = redact(before + typed + after)
    assert typed not in text and digits[:5] not in re.sub(r"\D", "", text)
    assert text == before + "***-**-" + digits[-4:] + after


@pytest.mark.parametrize("text", ["+1 212 555 0101", "(212) 555-0101", "4012345675", "45984.98", "0401-23456R"])
def test_redact_leaves_phones_crns_amounts_and_cafs_alone(text) -> None:
    assert redact(text) == text
