"""Scoping for portal users: the one place that decides which companies a portal user sees.

Every portal view and endpoint filters through `company_ids_for` or `scope_to_portal_user`;
an object outside the scope is answered with 404, never 403, so that its existence is not told.

A user sees their own company and the subsidiaries or branches of its group that staff granted
(`extra_companies`). When they have picked one company to look at (`current_company`), every
scoped read shows that company only; otherwise all of them together.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import Http404

from clientdesk.clients.models import Company, GroupRole
from clientdesk.core.permissions import has_perm
from clientdesk.core.roles import Perm

from .models import Invitation, PortalAccount, PortalRole, SharedDocument

M = TypeVar("M", bound=Model)

GROUP_MEMBER_ROLES = (GroupRole.SUBSIDIARY, GroupRole.BRANCH)
# Deeper than any real holding structure; stops a loop in bad data.
MAX_GROUP_DEPTH = 10


def portal_account_for(user: Any) -> PortalAccount | None:
    if not getattr(user, "is_authenticated", False) or getattr(user, "kind", None) != "portal":
        return None
    try:
        account: PortalAccount = user.portal_account
    except PortalAccount.DoesNotExist:
        return None
    return account


def allowed_company_ids(account: PortalAccount) -> frozenset[int]:
    """Own company plus granted subsidiaries/branches (a company that left the group, or was
    never a subsidiary, stops counting even if a grant is still recorded)."""
    extra = account.extra_companies.filter(group_role__in=GROUP_MEMBER_ROLES).values_list(
        "id", flat=True
    )
    return frozenset({account.company_id, *extra})


def company_ids_for(user: Any) -> frozenset[int]:
    """Companies a portal user sees now: the one they picked, or all they may see."""
    account = portal_account_for(user)
    if account is None or not user.is_active:
        return frozenset()
    allowed = allowed_company_ids(account)
    current = account.current_company_id
    if current is not None:
        # A withdrawn grant falls back to the own company, never to "everything".
        return frozenset({current}) if current in allowed else frozenset({account.company_id})
    return allowed


def acting_company(account: PortalAccount) -> Company:
    """The company a new request or proposal is filed for: the one being looked at, if any."""
    if account.current_company_id is not None and account.current_company_id in (
        allowed_company_ids(account)
    ):
        assert account.current_company is not None
        return account.current_company
    return account.company


def switchable_companies(account: PortalAccount) -> list[Company]:
    ids = allowed_company_ids(account)
    if len(ids) < 2:
        return []
    return list(Company.objects.filter(id__in=ids).order_by("legal_name", "id"))


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


# --- groups ----------------------------------------------------------------------------------
def group_root_id(company: Company) -> int:
    node: Company | None = company
    seen: set[int] = set()
    root = company.pk
    while node is not None and node.pk not in seen and len(seen) < MAX_GROUP_DEPTH:
        seen.add(node.pk)
        root = node.pk
        node = node.parent
    return root


def group_subsidiaries(company: Company) -> list[Company]:
    """Subsidiaries and branches of the company's group (any depth), the company excluded."""
    root = group_root_id(company)
    found: list[Company] = []
    frontier = [root]
    seen = {root}
    for _depth in range(MAX_GROUP_DEPTH):
        children = list(
            Company.objects.filter(parent_id__in=frontier, merged_into__isnull=True).exclude(
                id__in=seen
            )
        )
        if not children:
            break
        seen.update(c.pk for c in children)
        frontier = [c.pk for c in children]
        found += [c for c in children if c.group_role in GROUP_MEMBER_ROLES]
    return sorted((c for c in found if c.pk != company.pk), key=lambda c: (c.legal_name, c.pk))


# --- staff side ------------------------------------------------------------------------------
def staff_may_manage(user: Any, company: Company) -> bool:
    """Portal access of a company is managed by its key account manager, by anyone with the
    right when the company has no manager, and by supervisors (who supervise the service)."""
    if not has_perm(user, Perm.PORTAL_INVITE):
        return False
    if company.account_manager_id in (None, user.pk):
        return True
    return has_perm(user, Perm.REQUESTS_SUPERVISE)


def get_company_for_staff(user: Any, pk: Any) -> Company:
    company = Company.objects.select_related("account_manager", "parent").filter(pk=pk).first()
    if company is None or not staff_may_manage(user, company):
        raise Http404
    return company


def company_accounts(company: Company) -> QuerySet[PortalAccount]:
    return (
        PortalAccount.objects.filter(company=company)
        .select_related("user", "contact")
        .prefetch_related("extra_companies")
        .order_by("user__last_name", "user__first_name", "id")
    )


def company_invitations(company: Company) -> QuerySet[Invitation]:
    """Invitations not yet accepted (open, expired or revoked), newest first."""
    return (
        Invitation.objects.filter(company=company, accepted_at__isnull=True)
        .select_related("contact", "created_by")
        .order_by("-created_at", "-id")
    )


def company_documents(company: Company) -> QuerySet[SharedDocument]:
    return (
        SharedDocument.objects.filter(company=company)
        .select_related("contract", "uploaded_by")
        .order_by("-created_at", "-id")
    )


def portal_documents(user: Any) -> QuerySet[SharedDocument]:
    return scope_to_portal_user(
        SharedDocument.objects.filter(visible_in_portal=True).select_related("contract", "company"),
        user,
    ).order_by("-created_at", "-id")


def is_company_admin(account: PortalAccount) -> bool:
    return account.role == PortalRole.ADMIN and account.user.is_active


def active_admins(company: Company) -> QuerySet[PortalAccount]:
    return PortalAccount.objects.filter(
        company=company, role=PortalRole.ADMIN, user__is_active=True
    )


def wants_notification(contact_id: int | None, kind: str) -> bool:
    """Whether e-mail of `kind` ("request_reply", "status_change", "appointment_reminders",
    "newsletters") may go to this contact person. Contacts without a portal account keep the
    default of each sender; a contact with several accounts is asked by the strictest one."""
    if contact_id is None:
        return True
    field = f"notify_{kind}"
    values = list(
        PortalAccount.objects.filter(contact_id=contact_id, user__is_active=True).values_list(
            field, flat=True
        )
    )
    return all(values)


def newsletters_refused() -> QuerySet[PortalAccount]:
    """Active portal accounts whose person switched newsletters off: campaign audiences leave
    out their contact person on every channel (see campaigns.audience)."""
    return PortalAccount.objects.filter(
        contact__isnull=False, user__is_active=True, notify_newsletters=False
    )


def contact_options(company: Company) -> QuerySet[Any]:
    from clientdesk.clients.models import Contact

    return Contact.objects.filter(
        company=company, left_company=False, erased_at__isnull=True
    ).order_by("last_name", "first_name", "id")


def staff_portal_companies(user: Any, *, q: str = "") -> QuerySet[Company]:
    """Companies whose portal access the staff member manages, with account and open-invitation
    counts: a search over those they may manage, or by default the ones already in the portal."""
    from django.db.models import Count, Q
    from django.utils import timezone

    qs = Company.objects.filter(merged_into__isnull=True)
    if not has_perm(user, Perm.REQUESTS_SUPERVISE):
        qs = qs.filter(Q(account_manager=user) | Q(account_manager__isnull=True))
    if q:
        qs = qs.filter(Q(legal_name__icontains=q) | Q(short_name__icontains=q) | Q(inn=q))
    qs = qs.annotate(
        n_accounts=Count("portal_accounts", distinct=True),
    )
    if not q:
        open_invites = Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).values("company_id")
        qs = qs.filter(Q(n_accounts__gt=0) | Q(id__in=open_invites))
    return qs.select_related("account_manager").order_by("legal_name", "id")


def requester_for(account: PortalAccount, company: Company) -> tuple[Any, str]:
    """(contact, reply-to address) of a request the user files for `company`. A person of the
    holding filing for a subsidiary is not that company's contact: the request carries their
    e-mail instead, so replies still reach them."""
    contact = account.contact
    if contact is not None and contact.company_id == company.pk:
        return contact, ""
    return None, (contact.email if contact is not None else "") or account.user.email
