"""Correspondence letters as PDF (fpdf2): the original to the taxpayer, a copy to each valid-2848 representative.

A letter only ever receives the masked SSN/EIN, so the full number cannot end up in a PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

OFFICE = "Automated Collection System (ACS)"
OFFICE_LINES = ("Department of the Treasury", "Internal Revenue Service", OFFICE)
_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


@dataclass(frozen=True)
class Recipient:
    name: str
    detail: str  # firm and CAF for a representative, "Taxpayer" otherwise
    is_representative: bool = False
    crn: str | None = None  # the CRN issued to this representative, printed on their copy


@dataclass(frozen=True)
class Letter:
    title: str
    letter_date: date
    case_id: str
    taxpayer: Recipient
    tin_kind: str
    tin_masked: str
    periods: tuple[str, ...]
    balance: Decimal | None
    paragraphs: tuple[str, ...]
    callback_numbers: tuple[str, ...]
    signed_by: str
    representatives: tuple[Recipient, ...] = ()


def render_pdf(letter: Letter) -> bytes:
    """The original for the taxpayer, then one page per representative marked as their copy."""
    from fpdf import FPDF  # imported here: fpdf costs a third of a second at every process start, letters are rare

    pdf = FPDF(format="Letter")
    pdf.set_title(letter.title)
    pdf.set_author(OFFICE)
    font = _install_font(pdf)
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=20)
    _page(pdf, font, letter, letter.taxpayer, copy=False)
    for rep in letter.representatives:
        _page(pdf, font, letter, rep, copy=True)
    return bytes(pdf.output())


def _install_font(pdf: FPDF) -> str:
    for folder in _FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu"
    return "Helvetica"


def _text(font: str, value: str) -> str:
    """Core PDF fonts only know Latin-1; degrade other characters rather than fail."""
    return value if font != "Helvetica" else value.encode("latin-1", "replace").decode("latin-1")


def _page(pdf: FPDF, font: str, letter: Letter, addressee: Recipient, copy: bool) -> None:
    from fpdf.enums import XPos, YPos

    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float = 10, style: str = "", height: float = 5.2) -> None:
        pdf.set_font(font, style, size)
        pdf.multi_cell(width, height, _text(font, text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for i, office_line in enumerate(OFFICE_LINES):
        line(office_line, 11 if i == 0 else 10, "B" if i == 0 else "")
    pdf.ln(2)
    line(f"Date: {letter.letter_date.isoformat()}")
    line(f"Case: {letter.case_id}")
    line(f"Taxpayer {letter.tin_kind}: {letter.tin_masked}")
    if addressee.crn and copy:
        line(f"Case reference number (CRN): {addressee.crn}")
    pdf.ln(4)
    if copy:
        pdf.set_text_color(150, 20, 20)
        line("COPY FOR THE TAXPAYER'S AUTHORIZED REPRESENTATIVE (FORM 2848)", 10, "B")
        pdf.set_text_color(0, 0, 0)
    line(addressee.name, 11, "B")
    line(addressee.detail)
    if copy:
        line(f"Re: your client {letter.taxpayer.name}")
    pdf.ln(6)
    line(letter.title, 14, "B", 7)
    pdf.ln(2)
    line(f"Tax periods: {', '.join(letter.periods)}")
    if letter.balance is not None:
        line(f"Balance owed: ${letter.balance:,.2f}", 10, "B")
    pdf.ln(3)
    line(f"Dear {letter.taxpayer.name}:")
    pdf.ln(1)
    for paragraph in letter.paragraphs:
        line(paragraph)
        pdf.ln(2)
    numbers = " or ".join(letter.callback_numbers)
    line(f"If you have questions, call us at {numbers}. Have this letter with you when you call.")
    pdf.ln(6)
    line("Sincerely,")
    line(letter.signed_by)
    line(OFFICE)
    if letter.representatives:
        pdf.ln(6)
        line("Copies sent to your authorized representative(s):", 9, "B")
        for rep in letter.representatives:
            line(f"{rep.name}, {rep.detail}", 9)
