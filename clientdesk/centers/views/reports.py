"""The measured-service report: waits, visits, abandonment, FCR and repeat visits per center,
service, desk, operator, hour or weekday, a heat map by hour and weekday, CSV/XLSX export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientdesk.clients.exports import neutralise
from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm
from clientdesk.segments.charts import shade

from .. import reports, selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEAT_MEASURES = {
    "wait_p90": gettext_lazy("Waiting p90, min"),
    "wait_mean": gettext_lazy("Waiting mean, min"),
    "volume": gettext_lazy("Tickets"),
}
MAX_PERIOD_DAYS = 366


def _parse_filters(request: HttpRequest) -> tuple[reports.Filters, list[Any], list[str]]:
    errors: list[str] = []
    centers = list(selectors.active_centers())
    code = request.GET.get("center", "")
    chosen = [c for c in centers if c.code == code] if code else centers
    if code and not chosen:
        errors.append(_("Unknown center: choose one from the list."))
        chosen = centers
    today = timezone.localdate()
    dates = {}
    for name, default in (("from", today - dt.timedelta(days=27)), ("to", today)):
        raw = request.GET.get(name, "")
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else default
        except ValueError:
            errors.append(
                _("Enter the date “%(field)s” as YYYY-MM-DD.")
                % {"field": _("from") if name == "from" else _("to")}
            )
            dates[name] = default
    start, end = sorted((dates["from"], dates["to"]))
    if (end - start).days >= MAX_PERIOD_DAYS:
        errors.append(_("Choose a period of at most a year."))
        start = end - dt.timedelta(days=MAX_PERIOD_DAYS - 1)
    breakdown = request.GET.get("by", "center")
    if breakdown not in reports.BREAKDOWNS:
        errors.append(_("Unknown breakdown: choose one from the list."))
        breakdown = "center"
    repeat_days = reports.repeat_days_default()
    raw_days = request.GET.get("repeat_days", "")
    if raw_days:
        try:
            repeat_days = int(raw_days)
            if not 1 <= repeat_days <= 365:
                raise ValueError
        except ValueError:
            errors.append(_("Repeat visit window: enter a number of days from 1 to 365."))
            repeat_days = reports.repeat_days_default()
    filters = reports.Filters(
        centers=chosen, start=start, end=end, breakdown=breakdown, repeat_days=repeat_days
    )
    return filters, centers, errors


def _heat_rows(heat: reports.HeatMap, measure: str) -> list[dict[str, Any]]:
    top = heat.top_volume if measure == "volume" else heat.top_wait_p90
    if measure == "wait_mean":
        top = max((c.wait.mean or 0 for c in heat.cells.values()), default=0.0)
    rows = []
    for number, name in heat.weekdays:
        cells: list[dict[str, Any]] = []
        for hour in heat.hours:
            cell = heat.cell(number, hour)
            if cell is None:
                cells.append({"value": None, "style": "", "title": ""})
                continue
            value: float | None
            if measure == "volume":
                value = float(cell.tickets)
            elif measure == "wait_mean":
                value = cell.wait.mean
            else:
                value = cell.wait.p90
            title = _(
                "%(day)s %(hour)02d:00 — tickets: %(n)s, wait mean %(mean)s min, p90 %(p90)s min"
            ) % {
                "day": name,
                "hour": hour,
                "n": cell.tickets,
                "mean": "—" if cell.wait.mean is None else f"{cell.wait.mean / 60:.1f}",
                "p90": "—" if cell.wait.p90 is None else f"{cell.wait.p90 / 60:.1f}",
            }
            shown = None if value is None else (value if measure == "volume" else value / 60)
            cells.append(
                {
                    "value": shown,
                    "style": shade(value or 0.0, top) if value is not None else "",
                    "title": title,
                }
            )
        rows.append({"name": name, "cells": cells})
    return rows


def _csv(lines: list[list[Any]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in lines:
        writer.writerow(
            [
                ""
                if v is None
                else (format(v, "f").replace(".", ",") if isinstance(v, float) else neutralise(v))
                for v in line
            ]
        )
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _xlsx(lines: list[list[Any]], filename: str, title: str) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = title[:31]
    for line in lines:
        sheet.append(line)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text that starts with '=' stays text
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


@require_perm(Perm.CENTERS_MANAGE)
def measured_service(request: HttpRequest) -> HttpResponse:
    filters, centers, errors = _parse_filters(request)
    report = reports.measured_service(filters)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx") and not errors:
        lines = reports.export_rows(report)
        name = f"measured-service-{filters.breakdown}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
        if fmt == "csv":
            return _csv(lines, name)
        return _xlsx(lines, name, _("Measured service"))
    measure = request.GET.get("heat", "wait_p90")
    if measure not in HEAT_MEASURES:
        measure = "wait_p90"
    heat = reports.heat_map(filters)
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "centers/report.html",
        {
            "title": _("Measured service"),
            "centers": centers,
            "center_code": request.GET.get("center", ""),
            "filters": filters,
            "errors": errors,
            "breakdowns": list(reports.BREAKDOWNS.items()),
            "report": report,
            "heat": heat,
            "heat_rows": _heat_rows(heat, measure),
            "heat_measure": measure,
            "heat_measures": list(HEAT_MEASURES.items()),
            "query": query.urlencode(),
            "bin_seconds": reports.BIN_SECONDS,
        },
    )
