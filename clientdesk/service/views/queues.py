"""Queues: mine, my team's, triage, and the supervisor's view of every queue.

The table body is a partial that htmx polls every 15 s, so a queue stays current without a
reload; j/k move between rows, o or Enter opens one (static/service/keys.js).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm

from .. import selectors
from ..models import ServiceRequest, Unit
from . import actor


def _render_queue(
    request: HttpRequest, qs: QuerySet[ServiceRequest], *, title: str, extra: dict | None = None
) -> HttpResponse:
    page = selectors.queue_page(qs, cursor=request.GET.get("after", ""))
    now = timezone.now()
    rows = [(r, selectors.sla_state(r, now)) for r in page.rows]
    context = {
        "title": title,
        "rows": rows,
        "page": page,
        "now": now,
        "can_supervise": has_perm(request.user, Perm.REQUESTS_SUPERVISE),
        **(extra or {}),
    }
    if getattr(request, "htmx", False) and request.GET.get("partial") == "rows":
        return render(request, "service/_queue_rows.html", context)
    return render(request, "service/queue.html", context)


@require_perm(Perm.REQUESTS_WORK)
def my_queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(
        request,
        selectors.my_queue(actor(request)),
        title=_("My queue"),
        extra={"units": selectors.units_of(actor(request)), "active": "mine"},
    )


@require_perm(Perm.REQUESTS_WORK)
def team_queue(request: HttpRequest, pk: int) -> HttpResponse:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise Http404
    qs = selectors.team_queue(unit)
    if request.GET.get("unassigned"):
        qs = qs.filter(assignee__isnull=True)
    return _render_queue(
        request,
        qs,
        title=_("Queue: %(unit)s") % {"unit": unit},
        extra={"unit": unit, "units": selectors.units_of(actor(request)), "active": unit.pk},
    )


@require_perm(Perm.REQUESTS_WORK)
def triage_queue(request: HttpRequest) -> HttpResponse:
    return _render_queue(
        request,
        selectors.triage_queue(),
        title=_("Triage: requests without a client"),
        extra={"units": selectors.units_of(actor(request)), "active": "triage"},
    )


@require_perm(Perm.REQUESTS_SUPERVISE)
def supervisor(request: HttpRequest) -> HttpResponse:
    context = {"title": _("Queues"), "rows": selectors.supervisor_overview()}
    if getattr(request, "htmx", False) and request.GET.get("partial") == "rows":
        return render(request, "service/_supervisor_rows.html", context)
    return render(request, "service/supervisor.html", context)


urlpatterns = [
    path("", my_queue, name="my_queue"),
    path("queues/<int:pk>/", team_queue, name="team_queue"),
    path("queues/triage/", triage_queue, name="triage_queue"),
    path("queues/", supervisor, name="supervisor"),
]
