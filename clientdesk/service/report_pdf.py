"""The two standard forms — an operator's daily report and a unit's monthly service report — as
data, and that data laid out as an A4 PDF (fpdf2).

`operator_daily_form` and `unit_monthly_form` are the only place where the figures of a form are
picked and labelled; the XLSX export and the PDF both render their `Form`, so the two files cannot
drift apart. Strings are translated when the form is built, in the language of the request.

Cyrillic needs a Unicode TTF font: matplotlib's bundled DejaVu Sans is used, as in the campaign
letters and the survey report, so no font file is kept in the repository.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import matplotlib
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from .selectors import OperatorDay, UnitMonth

Cell = str | int | float

# fontTools logs every step of every font subset at INFO: a screenful per PDF.
logging.getLogger("fontTools.subset").setLevel(logging.WARNING)

FONT = "DejaVu"
MARGIN = 15


@dataclass(frozen=True)
class Section:
    """One table: a sheet in the XLSX, a titled table in the PDF."""

    title: str
    head: list[str]
    rows: list[list[Cell]]
    # Relative column widths in the PDF; the XLSX sizes its columns from the content.
    widths: tuple[int, ...]
    empty: str = ""


@dataclass(frozen=True)
class Form:
    title: str
    subject: str
    period: str
    filename: str
    # Who and when the form is about; the XLSX lists them on the first sheet, the PDF in its header.
    meta: list[tuple[str, Cell]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


def organisation_name() -> str:
    return str(getattr(settings, "SERVICE_REPORT_ORGANISATION", "") or "clientdesk")


def operator_daily_form(report: OperatorDay) -> Form:
    user: Any = report.user
    summary: list[list[Cell]] = [
        [_("Requests opened"), report.created],
        [_("Replies to clients"), report.replies],
        [_("Internal notes"), report.notes],
        [_("Requests resolved"), report.resolved],
        [_("Resolved at first contact"), report.first_contact],
        [_("Calls"), report.calls],
        [_("Talk time, minutes"), round(report.call_seconds / 60, 1)],
        [_("Open requests now"), report.open_now],
        [_("Of them past due"), report.breached_now],
    ]
    resolved: list[list[Cell]] = [
        [
            r.number or "",
            str(r.company or ""),
            str(r.service or ""),
            timezone.localtime(r.resolved_at).strftime("%H:%M") if r.resolved_at else "",
            _("yes") if r.first_contact_resolution else _("no"),
        ]
        for r in report.resolved_requests
    ]
    return Form(
        title=_("Operator's daily report"),
        subject=str(user),
        period=formats.date_format(report.day, "DATE_FORMAT"),
        filename=f"operator-{user.username}-{report.day.isoformat()}",
        meta=[(_("Operator"), str(user)), (_("Date"), report.day.isoformat())],
        sections=[
            Section(_("Summary"), [_("Indicator"), _("Value")], summary, (4, 1)),
            Section(
                _("Resolved"),
                [_("Number"), _("Client"), _("Service"), _("Resolved"), _("First contact")],
                resolved,
                (3, 6, 5, 2, 2),
                empty=_("None."),
            ),
        ],
    )


def unit_monthly_form(report: UnitMonth) -> Form:
    r = report.rates
    month = f"{report.year}-{report.month:02d}"
    summary: list[list[Cell]] = [
        [_("Requests"), r.total],
        [_("Resolved"), r.resolved],
        [_("Resolved at first contact, percent of resolved"), r.fcr_pct],
        [_("Repeat contacts, %"), r.repeat_pct],
        [_("Repeat visits"), r.repeat_visits],
        [_("Avoidable contacts, %"), r.avoidable_pct],
        [_("First response target missed"), r.response_breached],
        [_("Resolution target missed"), r.resolution_breached],
        [_("Resolution target met, %"), r.sla_met_pct],
        [_("Escalations"), report.escalations],
    ]
    head = [_("Requests"), _("Resolved"), _("First contact"), _("Target missed"), _("Repeats")]

    def table(title: str, label: str, rows: list[dict[str, Any]], key: str) -> Section:
        return Section(
            title,
            [label, *head],
            [
                [
                    str(row[key] or "—"),
                    row["n"],
                    row["resolved"],
                    row["fcr"],
                    row["breached"],
                    row["repeats"],
                ]
                for row in rows
            ],
            (6, 2, 2, 2, 2, 2),
            empty=_("None."),
        )

    agents = [
        {
            **a,
            "name": " ".join(filter(None, [a["assignee__last_name"], a["assignee__first_name"]]))
            or a["assignee__username"],
        }
        for a in report.by_agent
    ]
    first = dt.date(report.year, report.month, 1)
    return Form(
        title=_("Unit's monthly service report"),
        subject=str(report.unit),
        period=formats.date_format(first, "YEAR_MONTH_FORMAT"),
        filename=f"unit-{report.unit.code}-{month}",
        meta=[(_("Unit"), str(report.unit)), (_("Month"), month)],
        sections=[
            Section(_("Summary"), [_("Indicator"), _("Value")], summary, (4, 1)),
            table(_("By service"), _("Service"), report.by_service, "service__name"),
            table(_("By channel"), _("Channel"), report.by_channel, "channel"),
            table(_("By day"), _("Day"), report.by_day, "day"),
            table(_("By employee"), _("Employee"), agents, "name"),
        ],
    )


def xlsx_sheets(form: Form) -> list[tuple[str, list[list[Cell]]]]:
    """The form as sheets of rows, the header row first; the meta rows open the first sheet."""
    sheets: list[tuple[str, list[list[Cell]]]] = []
    for index, section in enumerate(form.sections):
        meta: list[list[Cell]] = [[k, v] for k, v in form.meta] if index == 0 else []
        sheets.append((section.title, [list(section.head), *meta, *section.rows]))
    return sheets


@cache
def _fonts() -> tuple[str, str]:
    base = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    return os.path.join(base, "DejaVuSans.ttf"), os.path.join(base, "DejaVuSans-Bold.ttf")


def _text(value: Cell) -> str:
    # Numbers the reader's way (a decimal comma in Russian); the XLSX keeps them as numbers.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return formats.number_format(value, use_l10n=True)


class _Pdf(FPDF):
    def __init__(self, form: Form, generated: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.form = form
        self.generated = generated
        regular, bold = _fonts()
        self.add_font(FONT, "", regular)
        self.add_font(FONT, "B", bold)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.set_title(f"{form.title} — {form.subject}, {form.period}")
        self.set_author(organisation_name())
        self.set_creator("clientdesk")

    def header(self) -> None:
        # The first page carries the full title block; later pages a running head to tell
        # loose printed sheets apart.
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 4, f"{self.form.title} · {self.form.subject} · {self.form.period}")
        self.ln(7)
        self.set_text_color(0)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, "", 7)
        self.set_text_color(110)
        self.cell(0, 4, _("Generated %(time)s") % {"time": self.generated})
        self.set_x(self.l_margin)
        page = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 4, page, align="R")
        self.set_text_color(0)


def render(form: Form, *, now: dt.datetime | None = None, compress: bool = True) -> bytes:
    """The form as an A4 PDF; tables break across pages and repeat their header row."""
    generated = formats.date_format(timezone.localtime(now or timezone.now()), "DATETIME_FORMAT")
    pdf = _Pdf(form, generated)
    pdf.set_compression(compress)
    pdf.add_page()
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(90)
    pdf.cell(0, 5, organisation_name(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 8, form.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, f"{form.subject} · {form.period}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(90)
    pdf.cell(0, 5, _("Generated %(time)s") % {"time": generated}, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    for section in form.sections:
        _section(pdf, section)
    return bytes(pdf.output())


def _section(pdf: FPDF, section: Section) -> None:
    # A title stranded at the foot of a page, its table on the next, reads badly in print.
    if pdf.will_page_break(24):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, section.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 8)
    rows = section.rows or [[section.empty or "—", *[""] * (len(section.head) - 1)]]
    numeric = [
        all(isinstance(row[i], int | float) for row in section.rows) and bool(section.rows)
        for i in range(len(section.head))
    ]
    align = tuple("RIGHT" if is_number else "LEFT" for is_number in numeric)
    with pdf.table(
        col_widths=section.widths,
        width=pdf.epw,
        text_align=align,
        line_height=5,
        padding=(1, 1.5),
        headings_style=FontFace(emphasis="BOLD", fill_color=(232, 236, 242)),
        repeat_headings=1,
    ) as table:
        head = table.row()
        for title in section.head:
            head.cell(title)
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_text(value))
