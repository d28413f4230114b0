"""Printable letters on the company letterhead and talking-points sheets, as PDF (fpdf2).

Cyrillic needs a Unicode TTF font; matplotlib's bundled DejaVu Sans is used, so no font file is
kept in the repository. A Russian letter is addressed in the dative, as business letters are:
"Генеральному директору ООО «Вектор» Петрову П. П.".
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache

import matplotlib
from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from . import drift, names
from .models import CampaignRecipient, Variant
from .sending import SendContext, render_for


@cache
def _fonts() -> tuple[str, str]:
    base = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    return os.path.join(base, "DejaVuSans.ttf"), os.path.join(base, "DejaVuSans-Bold.ttf")


def _document() -> FPDF:
    regular, bold = _fonts()
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_auto_page_break(True, margin=18)
    return pdf


def _letterhead(pdf: FPDF) -> None:
    sender = str(getattr(settings, "CAMPAIGNS_SENDER_NAME", "clientdesk"))
    details = str(getattr(settings, "CAMPAIGNS_LETTERHEAD", ""))
    pdf.set_font("DejaVu", "B", 14)
    pdf.cell(0, 8, sender, new_x="LMARGIN", new_y="NEXT")
    if details:
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4, details, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(40, 80, 160)
    pdf.line(20, pdf.get_y() + 2, 190, pdf.get_y() + 2)
    pdf.ln(8)


def addressee(recipient: CampaignRecipient) -> list[str]:
    contact, company = recipient.contact, recipient.company
    if recipient.language == "en":
        lines = [contact.full_name, contact.position, company.display_name]
    else:
        position = names.position_in_case(contact.position, "datv") if contact.position else ""
        name = names.name_in_case(
            contact.last_name, contact.first_name, contact.patronymic, contact.gender, "datv", "li"
        )
        lines = [position, company.display_name, name]
    lines.append(recipient.address if recipient.channel == "letter" else company.postal_address)
    return [line for line in lines if line]


def _letter_page(pdf: FPDF, recipient: CampaignRecipient, ctx: SendContext) -> None:
    rendered = render_for(recipient, ctx, Variant.Kind.LETTER)
    pdf.add_page()
    _letterhead(pdf)
    pdf.set_font("DejaVu", "", 10)
    today = timezone.localdate()
    date = drift.format_fact({"value": today.isoformat(), "unit": "date"}, recipient.language)
    pdf.cell(0, 5, date, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for line in addressee(recipient):
        pdf.set_x(110)
        pdf.multi_cell(80, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, rendered.subject, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, rendered.text, new_x="LMARGIN", new_y="NEXT")


def letters(recipients: Iterable[CampaignRecipient], ctx: SendContext) -> bytes:
    """One letter per recipient, in one PDF for printing."""
    pdf = _document()
    for recipient in recipients:
        _letter_page(pdf, recipient, ctx)
    if pdf.page == 0:
        pdf.add_page()
    return bytes(pdf.output())


def talking_points(recipient: CampaignRecipient, ctx: SendContext) -> bytes:
    """The account manager's sheet for a call or meeting about the campaign."""
    rendered = render_for(recipient, ctx, Variant.Kind.TALKING_POINTS)
    pdf = _document()
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(0, 7, rendered.subject, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, rendered.text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
