"""Scoping for portal users: the one place that decides which companies a portal user sees.

Every portal view and endpoint filters through `company_ids_for` or `scope_to_portal_user`;
an object outside the scope is answered with 404, never 403, so that its existence is not told.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from .models import PortalAccount

M = TypeVar("M", bound=Model)


def portal_account_for(user: Any) -> PortalAccount | None:
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != "portal":
        return None
    try:
        account: PortalAccount = user.portal_account
    except PortalAccount.DoesNotExist:
        return None
    return account


def company_ids_for(user: Any) -> frozenset[int]:
    """Companies a portal user may see: their own and those explicitly granted."""
    account = portal_account_for(user)
    if account is None or not user.is_active:
        return frozenset()
    extra = account.extra_companies.values_list("id", flat=True)
    return frozenset({account.company_id, *extra})


def scope_to_portal_user(
    qs: QuerySet[M], user: Any, *, company_field: str = "company"
) -> QuerySet[M]:
    """Restricts any queryset with a company foreign key to what the portal user may see."""
    ids = company_ids_for(user)
    lookup = "id__in" if company_field == "" else f"{company_field}_id__in"
    return qs.filter(**{lookup: ids})


def get_for_portal_user(
    qs: QuerySet[M], user: Any, pk: Any, *, company_field: str = "company"
) -> M:
    """Fetches one object the portal user may see, or raises 404."""
    try:
        return scope_to_portal_user(qs, user, company_field=company_field).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404 from None
