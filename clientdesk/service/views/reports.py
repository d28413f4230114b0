"""The standard reports, generated from data: avoidable contacts by reason; FCR and repeat-contact
rates; an operator's daily report; a unit's monthly service report.

Each report is a page; the two standard forms also come as XLSX (openpyxl) and as a print-ready
page (`?format=print`: its own print stylesheet, A4, to be saved as PDF from the browser — no PDF
library is installed in the product).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.accounts.models import User
from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import selectors
from ..models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    if request.GET.get("format") == "xlsx":
        summary: list[list[Any]] = [
            [_("Indicator"), _("Value")],
            [_("Operator"), str(user)],
            [_("Date"), day.isoformat()],
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
        resolved = [[_("Number"), _("Client"), _("Service"), _("Resolved"), _("First contact")]] + [
            [
                r.number,
                str(r.company or ""),
                str(r.service or ""),
                timezone.localtime(r.resolved_at).strftime("%H:%M") if r.resolved_at else "",
                _("yes") if r.first_contact_resolution else _("no"),
            ]
            for r in report.resolved_requests
        ]
        return _xlsx_response(
            [(_("Summary"), summary), (_("Resolved"), resolved)],
            f"operator-{user.username}-{day.isoformat()}.xlsx",
        )
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
    if request.GET.get("format") == "xlsx":
        r = report.rates
        summary: list[list[Any]] = [
            [_("Indicator"), _("Value")],
            [_("Unit"), str(unit)],
            [_("Month"), f"{year}-{month:02d}"],
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

        def table(rows: list[dict[str, Any]], key: str, label: str) -> list[list[Any]]:
            return [[label, *head]] + [
                [
                    str(row[key] or "—"),
                    row["n"],
                    row["resolved"],
                    row["fcr"],
                    row["breached"],
                    row["repeats"],
                ]
                for row in rows
            ]

        agents = [
            {
                **a,
                "name": " ".join(
                    filter(None, [a["assignee__last_name"], a["assignee__first_name"]])
                )
                or a["assignee__username"],
            }
            for a in report.by_agent
        ]
        return _xlsx_response(
            [
                (_("Summary"), summary),
                (_("By service"), table(report.by_service, "service__name", _("Service"))),
                (_("By channel"), table(report.by_channel, "channel", _("Channel"))),
                (_("By day"), table(report.by_day, "day", _("Day"))),
                (_("By employee"), table(agents, "name", _("Employee"))),
            ],
            f"unit-{unit.code}-{year}-{month:02d}.xlsx",
        )
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
