"""Reads of the registry. Views, the API, exports and later domains all come through here."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Company, Contact


def company_list(
    *, q: str = "", status: str = "", account_manager_id: int | None = None
) -> QuerySet[Company]:
    qs = Company.objects.filter(merged_into__isnull=True).select_related(
        "industry", "region", "account_manager"
    )
    if status:
        qs = qs.filter(status=status)
    if account_manager_id:
        qs = qs.filter(account_manager_id=account_manager_id)
    if q:
        q = q.strip()
        if q.isdigit():
            qs = qs.filter(inn__startswith=q)
        else:
            qs = qs.filter(search_name__contains=q.lower())
    return qs


def contact_list(*, company_id: int | None = None, q: str = "") -> QuerySet[Contact]:
    qs = Contact.objects.filter(erased_at__isnull=True).select_related("company")
    if company_id:
        qs = qs.filter(company_id=company_id)
    if q:
        qs = qs.filter(search_name__contains=q.strip().lower())
    return qs
