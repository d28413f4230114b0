"""The staffing page moved to the staffing app (needed against scheduled, Erlang A/C, rosters).

`centers:staffing` stays as a permanent address: it sends the supervisor there, keeping the
center chosen (`?center=code`) and the day."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

# The center's promise, kept for readers of the old constants: 80 % of visitors within 10 min.
STAFFING_TARGET_LEVEL = 0.8
STAFFING_TARGET_SECONDS = 600


@require_perm(Perm.CENTERS_MANAGE)
def staffing(request: HttpRequest) -> HttpResponse:
    query = {}
    if request.GET.get("center"):
        query["team"] = request.GET["center"]
    if request.GET.get("day"):
        query["day"] = request.GET["day"]
    # By URL name only: centers does not import the staffing app, which sits above it.
    target = reverse("staffing:plan")
    return HttpResponseRedirect(f"{target}?{urlencode(query)}" if query else target)
