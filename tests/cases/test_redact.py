"""`redact`: nine digits with any separators between them are masked; CRNs, phones, amounts and ids are not."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.cases.crn import new_crn
from ivr.cases.phones import mask_phone
from ivr.cases.tin import redact

DASHES = [chr(c) for c in range(0x2D, 0x10EAE) if unicodedata.category(chr(c)) == "Pd"] + ["\u2212"]
SEPARATORS = DASHES + ["/", ".", " ", "\u00a0", "\u2009", "\t", "\n", "_", "\u2044"]
# Text around the number: no digits (they would join the number); at most three letters touch it (a digit group
# inside a 16-character alphanumeric token is an id such as a CallSid, and left alone).
BEFORE = st.builds(
    str.__add__,
    st.text(st.sampled_from(list("abcXYZé:;,()'\"!?=# ")), max_size=10).map(lambda t: t + "|" if t else t),
    st.sampled_from(["", " ", ": ", "SSN", "x", "(", "'"]),
)
AFTER = st.builds(
    str.__add__,
    st.sampled_from(["", " ", ".", "-ok", "ok", ")", "'", ", twice", " – "]),
    st.text(st.sampled_from(list("abcXYZé:;,()'\"!?=# ")), max_size=10).map(lambda t: "|" + t if t else t),
)


@st.composite
def typed_tins(draw) -> tuple[str, str]:
    """Nine digits split into 1-9 groups, each gap filled with 0-3 separator characters (0 = none)."""
    digits = draw(st.text("0123456789", min_size=9, max_size=9))
    cuts = sorted(draw(st.sets(st.integers(1, 8), max_size=8)))
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, 9], strict=True)]
    gaps = [draw(st.text(st.sampled_from(SEPARATORS), min_size=0, max_size=3)) for _ in groups[1:]]
    typed = groups[0] + "".join(gap + group for gap, group in zip(gaps, groups[1:], strict=True))
    return digits, typed


@settings(max_examples=400)
@given(tin=typed_tins(), before=BEFORE, after=AFTER)
def test_nine_digits_with_any_separators_are_masked(tin, before, after) -> None:
    digits, typed = tin
    text = redact(before + typed + after)
    assert digits[:5] not in re.sub(r"\D", "", text)  # at most the last four digits survive
    assert text.startswith(before) and text.endswith(after)
    assert "***-**-" in text and redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "015–14–6380",  # en dash
        "015—14—6380",  # em dash
        "015/14/6380",
        "015 146 380",
        "0 1 5 1 4 6 3 8 0",
        "015-14-6380-ok",
        "no case for '015-14-6380-'",
        "authorization for unknown CAF 0151-46380 (import practitioners first)",
        "duplicate caf 0151-46380 (first on line 2)",
        "015 – 14 – 6380",
        "ssn015146380",
        "12345 0151-46380",  # a window taken greedily from the left would leave the TIN after it
        "０１５－１４－６３８０",  # full-width digits and dash
    ],
)
def test_the_reported_bypasses_are_masked(text) -> None:
    masked = redact(text)
    assert "01514" not in re.sub(r"\D", "", unicodedata.normalize("NFKC", masked))
    assert "***-**-" in masked


@settings(max_examples=100)
@given(before=BEFORE, after=AFTER, data=st.data())
def test_crns_phones_amounts_and_ids_stay_readable(before, after, data) -> None:
    crn = new_crn()
    kept = data.draw(
        st.sampled_from(
            [
                crn,
                f"{crn[:3]} {crn[3:6]} {crn[6:]}",  # a CRN as spoken, 3-3-4
                f"{crn[:3]}-{crn[3:6]}-{crn[6:]}",
                "+12025550123",
                "+1 202 555 0123",
                "(202) 555-0123",
                "202.555.0123",
                mask_phone("+12025550123"),
                "$1,234,567.89",
                "$123456789.00",
                "1,234,567,890",
                "2026-11-25 20:00:00",
                "11/25/2026 8:00",
                "192.168.100.200",
                "1764100800.123",
                "CA" + "0123456789" * 3 + "ab",
                "ACS-000101",
            ]
        )
    )
    assert redact(before + kept + after) == before + kept + after


@settings(max_examples=300)
@given(st.text(st.sampled_from("0123456789 -–/._*abc"), max_size=60))
def test_redaction_is_idempotent(text) -> None:
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize(
    "job_id",
    [
        "7d1b9c2e-3f4a-4b5c-8d6e-e123453696e4",  # nine digits inside the last group (`…-e***-**-3696e4` before)
        "7D1B9C2E-3F4A-4B5C-8D6E-E123453696E4",
        "a1b2c3d4-0151-4638-9e01-abcdef012345",  # 4 + 4 + 1 digits across groups: a nine-digit window
        "01514638-0151-4638-0151-46380151463a",
    ],
)
def test_uuids_such_as_rq_job_ids_stay_readable(job_id) -> None:
    for text in (job_id, f"Job OK ({job_id})", f"rq:job:{job_id}", f"{job_id}: caller typed 015-14-6380"):
        masked = redact(text)
        assert job_id in masked, masked
    assert redact(f"{job_id} note 015–14–6380") == f"{job_id} note ***-**-6380"
    assert redact(f"015/14/6380 {job_id}") == f"***-**-6380 {job_id}"
