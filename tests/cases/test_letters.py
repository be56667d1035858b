from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pypdf

from ivr.cases.letters import Letter, Recipient, render_pdf


def _letter(**overrides) -> Letter:
    fields = dict(
        title="Notice of Balance Due",
        letter_date=date(2026, 11, 26),
        case_id="ACS-000101",
        taxpayer=Recipient("Jonah Núñez", "Taxpayer"),
        tin_kind="SSN",
        tin_masked="***-**-2798",
        periods=("1040:2021", "1040:2022"),
        balance=Decimal("45984.98"),
        paragraphs=("Please pay.",),
        callback_numbers=("+18008293903",),
        signed_by="Alice Agent",
        representatives=(Recipient("Carys Kealoha", "Kealoha Enrolled Agents, CAF 2209-55811", True, "4012345678"),),
    )
    return Letter(**(fields | overrides))


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_original_then_one_copy_per_representative():
    pages = _pages(render_pdf(_letter()))
    assert len(pages) == 2
    assert "Jonah Núñez" in pages[0] and "***-**-2798" in pages[0] and "$45,984.98" in pages[0]
    assert "Copies sent to your authorized representative" in pages[0] and "Carys Kealoha" in pages[0]
    assert "COPY FOR THE TAXPAYER'S AUTHORIZED REPRESENTATIVE" in pages[1]
    assert "CRN): 4012345678" in pages[1] and "4012345678" not in pages[0]


def test_no_representatives_no_copies():
    pages = _pages(render_pdf(_letter(representatives=(), balance=None)))
    assert len(pages) == 1 and "Copies sent" not in pages[0] and "Balance owed" not in pages[0]


def test_without_dejavu_the_core_font_degrades_instead_of_failing(monkeypatch):
    import ivr.cases.letters

    monkeypatch.setattr(ivr.cases.letters, "_FONT_DIRS", ())
    pages = _pages(render_pdf(_letter(taxpayer=Recipient("Jonah Núñez 陈", "Taxpayer"))))
    assert "Jonah Núñez ?" in pages[0]
