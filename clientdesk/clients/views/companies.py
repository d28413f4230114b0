from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _

from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from .. import selectors
from ..models import Company, CompanyStatus


@require_perm(Perm.CLIENTS_VIEW)
def company_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    status = request.GET.get("status", "")
    qs = selectors.company_list(q=q, status=status)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "clients/company_list.html",
        {
            "title": _("Companies"),
            "page": page,
            "q": q,
            "status": status,
            "statuses": CompanyStatus.choices,
        },
    )


@require_perm(Perm.CLIENTS_VIEW)
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(
        Company.objects.select_related("industry", "region", "account_manager", "parent"), pk=pk
    )
    contacts = selectors.contact_list(company_id=company.pk)
    return render(
        request,
        "clients/company_detail.html",
        {"title": company.display_name, "company": company, "contacts": contacts},
    )


@require_perm(Perm.CLIENTS_VIEW)
def contact_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    page = Paginator(selectors.contact_list(q=q), 50).get_page(request.GET.get("page"))
    return render(
        request, "clients/contact_list.html", {"title": _("Contacts"), "page": page, "q": q}
    )


urlpatterns = [
    path("", company_list, name="company_list"),
    path("<int:pk>/", company_detail, name="company_detail"),
    path("contacts/", contact_list, name="contact_list"),
]
