"""The staffing page: staff needed against staff scheduled, per 30- or 60-minute interval, for a
service center's desks or the call center; and adding shifts to the roster."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.centers.selectors import standard_handling_seconds
from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from . import selectors, services

# Targets the page starts from: visitors 90 % within 10 minutes, calls 80 % within 20 s.
DEFAULTS = {
    "center": {"level": 90, "seconds": 600},
    "call": {"level": 80, "seconds": 20},
}
DEFAULT_MAX_ABANDON = 5
_ENTRY = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[=\s]\s*(\d+(?:[.,]\d+)?)\s*$")


def call_center_aht_seconds() -> float:
    return float(getattr(settings, "STAFFING_CALL_AHT_SECONDS", 180))


def parse_arrivals(text: str, *, interval_minutes: int) -> dict[int, float]:
    """'09:00 12, 09:30 15' (or one per line) into {interval index: arrivals}."""
    entered: dict[int, float] = {}
    # A comma separates entries only before a time: "7,5" stays a (Russian) decimal.
    for part in re.split(r"[;\n]|,(?=\s*\d{1,2}:\d{2})", text):
        if not part.strip():
            continue
        match = _ENTRY.match(part)
        if not match:
            raise ValidationError(
                _("Arrivals: write each interval as “09:30 12”; “%(part)s” is not.")
                % {"part": part.strip()[:40]}
            )
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59 or (hour * 60 + minute) % interval_minutes:
            raise ValidationError(
                _("Arrivals: %(time)s is not the start of a %(n)s-minute interval.")
                % {"time": f"{hour:02d}:{minute:02d}", "n": interval_minutes}
            )
        entered[(hour * 60 + minute) // interval_minutes] = float(match[3].replace(",", "."))
    return entered


def _number(
    request: HttpRequest,
    name: str,
    default: float | None,
    low: float,
    high: float,
    label: str,
    errors: list[str],
) -> float | None:
    raw = request.GET.get(name, "").strip().replace(",", ".")
    if not raw:
        return default
    try:
        value = float(raw)
        if not low <= value <= high:
            raise ValueError
    except ValueError:
        errors.append(
            _("%(field)s: enter a number from %(low)s to %(high)s.")
            % {"field": label, "low": f"{low:g}", "high": f"{high:g}"}
        )
        return default
    return value


@require_perm(Perm.CENTERS_MANAGE)
def plan(request: HttpRequest) -> HttpResponse:
    teams = selectors.teams()
    team = next((t for t in teams if t.key == request.GET.get("team")), teams[0])
    errors: list[str] = []
    day = timezone.now().astimezone(team.tz).date()
    if request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"])
        except ValueError:
            errors.append(_("Day: enter it as YYYY-MM-DD."))
    interval = 30 if request.GET.get("interval") != "60" else 60
    kind = "call" if team.is_call_center else "center"
    level = _number(
        request, "level", DEFAULTS[kind]["level"], 1, 99.9, _("Target service level"), errors
    )
    seconds = _number(
        request, "seconds", DEFAULTS[kind]["seconds"], 0, 86400, _("Target answer time"), errors
    )
    max_abandon = _number(
        request, "max_abandon", DEFAULT_MAX_ABANDON, 0.1, 100, _("Abandonment at most"), errors
    )
    aht_override = _number(request, "aht", None, 1, 86400, _("Handling time"), errors)
    patience_override = _number(request, "patience", None, 1, 86400, _("Mean patience"), errors)
    assert level is not None and seconds is not None and max_abandon is not None

    history = selectors.history(team, day, interval_minutes=interval)
    arrivals = list(history.arrivals)
    entered_text = request.GET.get("arrivals", "")
    if entered_text.strip():
        try:
            entered = parse_arrivals(entered_text, interval_minutes=interval)
            arrivals = [entered.get(i, 0.0) for i in range(len(arrivals))]
        except ValidationError as error:
            errors.extend(error.messages)
    if aht_override:
        aht: list[float | None] = [aht_override] * len(arrivals)
    elif any(history.aht_seconds):
        aht = list(history.aht_seconds)
    else:
        fallback = (
            standard_handling_seconds(team.center) if team.center else call_center_aht_seconds()
        )
        aht = [fallback] * len(arrivals)
    patience = patience_override or history.patience_seconds
    shifts = selectors.shifts_on(team, day)
    on_roster = selectors.scheduled(shifts, team, day, interval_minutes=interval)
    result = selectors.staffing_plan(
        arrivals,
        aht,
        on_roster,
        interval_minutes=interval,
        target_level=level / 100,
        target_seconds=seconds,
        patience_seconds=patience,
        max_abandon=max_abandon / 100,
    )
    for text in errors:
        messages.error(request, text)
    context: dict[str, Any] = {
        "title": _("Staffing: needed and scheduled"),
        "teams": teams,
        "team": team,
        "day": day,
        "interval": interval,
        "level": level,
        "seconds": seconds,
        "max_abandon": max_abandon,
        "aht": aht_override or "",
        "patience_entered": patience_override or "",
        "patience": patience,
        "arrivals_text": entered_text,
        "history": history,
        "plan": result,
        "shifts": shifts,
        "top": max([1.0, *(max(r.needed, r.scheduled) for r in result.rows)]),
    }
    return render(request, "staffing/plan.html", context)


@require_POST
@require_perm(Perm.CENTERS_MANAGE)
def shift_add(request: HttpRequest) -> HttpResponse:
    teams = {t.key: t for t in selectors.teams()}
    team = teams.get(request.POST.get("team", ""))
    back = reverse("staffing:plan")
    if team is None:
        messages.error(request, _("Unknown team: choose one from the list."))
        return HttpResponseRedirect(back)
    query = {"team": team.key, "day": request.POST.get("day", "")}
    try:
        day = dt.date.fromisoformat(request.POST.get("day", ""))
        start = dt.time.fromisoformat(request.POST.get("start", ""))
        end = dt.time.fromisoformat(request.POST.get("end", ""))
        count = int(request.POST.get("count") or 1)
        until_raw = request.POST.get("until", "")
        until = dt.date.fromisoformat(until_raw) if until_raw else day
    except ValueError:
        messages.error(
            request,
            _("Shift: enter the day as YYYY-MM-DD, times as HH:MM and the number of people."),
        )
        return HttpResponseRedirect(f"{back}?{urlencode(query)}")
    try:
        created = services.shifts_add_weekly(
            center=team.center,
            first_day=day,
            last_day=until,
            weekdays={day.weekday()},
            start=start,
            end=end,
            tz=team.tz,
            count=count,
            by=request.user,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s shifts added.") % {"n": len(created)})
    return HttpResponseRedirect(f"{back}?{urlencode(query)}")
