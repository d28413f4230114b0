"""The standard reports, generated from data: avoidable contacts by reason; FCR and repeat-contact
rates; an operator's daily report; a unit's monthly service report.

Each report is a page; the two standard forms also come as XLSX (openpyxl, `?format=xlsx`), as PDF
(fpdf2, `?format=pdf`) — both rendered from the same `report_pdf.Form` — and as a print-ready page
(`?format=print`: its own print stylesheet, A4).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import report_pdf, selectors
from ..models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
EXPORTS = ("xlsx", "pdf")


def _date(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    start = _date(request.GET.get("from"), today - dt.timedelta(days=30))
    end = _date(request.GET.get("to"), today)
    return (start, end) if start <= end else (end, start)


@require_perm(Perm.REQUESTS_SUPERVISE)
def reports_index(request: HttpRequest) -> HttpResponse:
    start, end = _period(request)
    unit = Unit.objects.filter(pk=request.GET.get("unit") or 0).first()
    return render(
        request,
        "service/reports.html",
        {
            "title": _("Service reports"),
            "start": start,
            "end": end,
            "unit": unit,
            "units": Unit.objects.all(),
            "rates": selectors.period_rates(start, end, unit),
            "avoidable": selectors.avoidable_report(start, end),
            "staff": User.objects.filter(kind=User.Kind.STAFF, is_active=True).order_by(
                "last_name"
            ),
            "month": timezone.localdate().strftime("%Y-%m"),
        },
    )


def _export(form: report_pdf.Form, kind: str) -> HttpResponse:
    if kind == "pdf":
        # Tests switch compression off to read the text back out of the file.
        compress = bool(getattr(settings, "SERVICE_REPORT_PDF_COMPRESS", True))
        response = HttpResponse(report_pdf.render(form, compress=compress), content_type=PDF)
        response["Content-Disposition"] = f'attachment; filename="{form.filename}.pdf"'
        return response
    return _xlsx_response(report_pdf.xlsx_sheets(form), f"{form.filename}.xlsx")


def _xlsx_response(sheets: list[tuple[str, list[list[Any]]]], filename: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    for index, (title, rows) in enumerate(sheets):
        sheet = book.worksheets[0] if index == 0 else book.create_sheet()
        sheet.title = title[:31]
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for number, column in enumerate(sheet.columns, start=1):
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[get_column_letter(number)].width = min(60, width + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_perm(Perm.REQUESTS_WORK)
def operator_daily(request: HttpRequest) -> HttpResponse:
    """An operator sees their own day; a supervisor may choose anyone's."""
    user: Any = request.user
    if request.GET.get("user") and has_perm(request.user, Perm.REQUESTS_SUPERVISE):
        user = get_object_or_404(User, pk=request.GET["user"], kind=User.Kind.STAFF)
    day = _date(request.GET.get("day"), timezone.localdate())
    report = selectors.operator_daily(user, day)
    if request.GET.get("format") in EXPORTS:
        return _export(report_pdf.operator_daily_form(report), request.GET["format"])
    template = (
        "service/report_operator_print.html"
        if request.GET.get("format") == "print"
        else "service/report_operator.html"
    )
    return render(request, template, {"title": _("Operator's daily report"), "report": report})


@require_perm(Perm.REQUESTS_SUPERVISE)
def unit_monthly(request: HttpRequest) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=request.GET.get("unit") or 0)
    try:
        year, month = (int(p) for p in request.GET.get("month", "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        today = timezone.localdate()
        year, month = today.year, today.month
    report = selectors.unit_monthly(unit, year, month)
    if request.GET.get("format") in EXPORTS:
        return _export(report_pdf.unit_monthly_form(report), request.GET["format"])
    template = (
        "service/report_unit_print.html"
        if request.GET.get("format") == "print"
        else "service/report_unit.html"
    )
    return render(
        request, template, {"title": _("Unit's monthly service report"), "report": report}
    )


urlpatterns = [
    path("reports/", reports_index, name="reports"),
    path("reports/operator/", operator_daily, name="report_operator"),
    path("reports/unit/", unit_monthly, name="report_unit"),
]
