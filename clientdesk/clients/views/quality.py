"""The data-quality page: the registry's least complete and least current companies first."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import quality
from ..models import Company, CompanyStatus, RegistrySettings

PAGE_SIZE = 50


def _row(company: Company, requirement: quality.Requirement) -> dict[str, object]:
    percent, missing = quality.missing_fields(company, requirement)
    return {
        "company": company,
        "percent": percent,
        "missing": quality.field_labels(Company, missing),
    }


@require_perm(Perm.CLIENTS_EDIT)
def quality_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    status = request.GET.get("status", "")
    if status not in CompanyStatus.values:
        status = ""
    registry = RegistrySettings.load()
    cutoff = quality.stale_cutoff(registry=registry)
    qs = quality.quality_queryset(
        cutoff=cutoff, account_manager_id=request.user.pk if mine else None, status=status
    )
    page = Paginator(qs.select_related("account_manager"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    requirement = quality.company_requirement(registry)
    query = urlencode(
        {k: v for k, v in {"mine": "1" if mine else "", "status": status}.items() if v}
    )
    return render(
        request,
        "clients/quality/list.html",
        {
            "title": _("Data quality"),
            "page": page,
            "rows": [_row(c, requirement) for c in page],
            "summary": quality.quality_summary(qs, cutoff=cutoff),
            "mine": mine,
            "status": status,
            "statuses": CompanyStatus.choices,
            "query": query,
            "stale_after_months": registry.stale_after_months,
        },
    )


@require_POST
@require_perm(Perm.CLIENTS_EDIT)
def mark_verified(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk, merged_into__isnull=True)
    quality.mark_verified(company=company, by=request.user)
    if request.htmx:  # type: ignore[attr-defined]
        registry = RegistrySettings.load()
        company = quality.quality_queryset(cutoff=quality.stale_cutoff(registry=registry)).get(
            pk=pk
        )
        return render(
            request,
            "clients/quality/row.html",
            {"row": _row(company, quality.company_requirement(registry)), "just_verified": True},
        )
    messages.success(
        request, _("%(company)s marked as verified.") % {"company": company.display_name}
    )
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("clients:quality")


urlpatterns = [
    path("", quality_list, name="quality"),
    path("<int:pk>/verified/", mark_verified, name="mark_verified"),
]
