"""List pages of the registry (companies, contact persons) and the simple company page.

Lists page by keyset (the sort key of the last row shown, see `search.keyset_page`) and show a
count capped at 1,000, so that the millionth row costs what the first does. Typing in the search
box or changing a filter asks for the results block only (htmx), debounced by 300 ms.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.middleware import HtmxDetails

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import search
from ..models import (
    CompanyStatus,
    DecisionRole,
    Industry,
    LegalForm,
    Region,
    SizeBand,
    Tag,
)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


PAGE_SIZE = 50
# A name search shown on a list page sorts at most this many matches; past it the page asks the
# user to narrow the search (the export of the same filter still gets every match).
SEARCH_LIMIT = search.COUNT_CAP + 1
_PAGING = ("after", "before")

COMPANY_COLUMNS = [
    ("name", gettext_lazy("Company")),
    ("inn", gettext_lazy("INN")),
    ("", gettext_lazy("Industry")),
    ("", gettext_lazy("Region")),
    ("", gettext_lazy("Status")),
    ("", gettext_lazy("Key account manager")),
    ("completeness", gettext_lazy("Completeness")),
    ("updated", gettext_lazy("Updated")),
]
CONTACT_COLUMNS = [
    ("name", gettext_lazy("Name")),
    ("", gettext_lazy("Company")),
    ("", gettext_lazy("Position")),
    ("", gettext_lazy("Phone")),
    ("", gettext_lazy("E-mail")),
    ("updated", gettext_lazy("Updated")),
]


def _query(params: QueryDict, **changes: str) -> str:
    """The list's GET parameters without the page cursor, with `changes` applied."""
    kept = {k: v for k, v in params.items() if k not in _PAGING and v}
    kept.update({k: v for k, v in changes.items()})
    return urlencode({k: v for k, v in kept.items() if v})


def _columns(
    params: QueryDict, columns: list[tuple[str, Any]], default: str
) -> list[dict[str, Any]]:
    """Table headers; a sortable one links to its sort, flipping direction when already sorted."""
    current = params.get("sort") or default
    headers = []
    for key, label in columns:
        header: dict[str, Any] = {"label": label, "sorted": ""}
        if key:
            if current == key:
                header["sorted"], target = "ascending", f"-{key}"
            elif current == f"-{key}":
                header["sorted"], target = "descending", key
            else:
                target = key
            header["query"] = _query(params, sort=target)
        headers.append(header)
    return headers


def _render_list(
    request: HtmxHttpRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, partial, context)
    return render(request, template, context)


def _page_context(request: HttpRequest, qs: Any) -> dict[str, Any]:
    page = search.keyset_page(
        qs,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        size=PAGE_SIZE,
    )
    total = search.capped_count(qs)
    return {
        "page": page,
        "total": min(total, search.COUNT_CAP),
        "total_capped": total > search.COUNT_CAP,
        "search_capped": total > search.COUNT_CAP and bool(request.GET.get("q", "").strip()),
        "query": _query(request.GET),
        "params": request.GET,
    }


@require_perm(Perm.CLIENTS_VIEW)
def company_list(request: HtmxHttpRequest) -> HttpResponse:
    qs = search.filter_companies(request.GET, user=request.user, search_limit=SEARCH_LIMIT)
    context = _page_context(request, qs)
    context["columns"] = _columns(request.GET, COMPANY_COLUMNS, "name")
    if not request.htmx or request.htmx.history_restore_request:
        staff = get_user_model().objects.filter(kind="staff", is_active=True)
        context.update(
            title=_("Companies"),
            statuses=CompanyStatus.choices,
            legal_forms=LegalForm.choices,
            sizes=[("unknown" if v == "" else v, label) for v, label in SizeBand.choices],
            managers=staff.order_by("last_name", "first_name"),
            industries=Industry.objects.only("id", "code", "name").order_by("code"),
            regions=Region.objects.only("id", "name"),
            tags=Tag.objects.all(),
        )
    return _render_list(
        request, "clients/company_list.html", "clients/lists/company_results.html", context
    )


@require_perm(Perm.CLIENTS_VIEW)
def contact_list(request: HtmxHttpRequest) -> HttpResponse:
    qs = search.filter_contacts(request.GET, user=request.user, search_limit=SEARCH_LIMIT)
    context = _page_context(request, qs)
    context["columns"] = _columns(request.GET, CONTACT_COLUMNS, "name")
    if not request.htmx or request.htmx.history_restore_request:
        context.update(
            title=_("Contacts"),
            statuses=CompanyStatus.choices,
            decision_roles=DecisionRole.choices,
        )
    return _render_list(
        request, "clients/contact_list.html", "clients/lists/contact_results.html", context
    )


urlpatterns = [
    path("", company_list, name="company_list"),
    path("contacts/", contact_list, name="contact_list"),
]
