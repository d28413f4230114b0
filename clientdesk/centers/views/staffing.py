"""The supervisor's staffing page: desks needed per hour against the center's history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import selectors
from ..calculations import hourly_plan

# The center's promise, used for the staffing maths: 80 % of visitors called within 10 minutes.
STAFFING_TARGET_LEVEL = 0.8
STAFFING_TARGET_SECONDS = 600


@require_perm(Perm.CENTERS_MANAGE)
def staffing(request: HttpRequest) -> HttpResponse:
    centers = list(selectors.active_centers())
    center = next((c for c in centers if c.code == request.GET.get("center")), None)
    center = center or (centers[0] if centers else None)
    context: dict[str, Any] = {"title": _("Service center staffing"), "centers": centers}
    if center is not None:
        day = selectors.today_of(center)
        raw_day = request.GET.get("day", "")
        if raw_day:
            try:
                day = dt.date.fromisoformat(raw_day)
            except ValueError:
                messages.error(request, _("Enter the day as YYYY-MM-DD."))
        figures = selectors.day_figures(center, day)
        standard = selectors.standard_handling_seconds(center)
        context.update(
            center=center,
            day=day,
            figures=figures,
            plan=hourly_plan(
                figures.arrivals_by_hour,
                aht_by_hour=figures.handling_by_hour,
                default_aht_seconds=figures.avg_handling_seconds or standard,
                target_seconds=STAFFING_TARGET_SECONDS,
                target_level=STAFFING_TARGET_LEVEL,
            ),
            target_level=round(STAFFING_TARGET_LEVEL * 100),
            target_minutes=STAFFING_TARGET_SECONDS // 60,
        )
    return render(request, "centers/staffing.html", context)
