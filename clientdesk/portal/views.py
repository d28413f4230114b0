from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .permissions import require_portal_user
from .selectors import portal_account_for


@require_portal_user
def home(request: HttpRequest) -> HttpResponse:
    account = portal_account_for(request.user)
    return render(request, "portal/home.html", {"title": _("Client portal"), "account": account})
