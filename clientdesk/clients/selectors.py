"""Reads of the registry. Views, the API, exports and later domains all come through here.

The list and search queries move to `clients/search.py`; this module keeps the reads of one
record (the company card, the contact card, the timeline) and the consent checks that other
domains rely on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.shortcuts import get_object_or_404

from . import search
from .models import (
    Company,
    Consent,
    Contact,
    Contract,
    GroupRole,
    Interaction,
    RevenueRecord,
    Todo,
)

TIMELINE_PAGE = 20


def company_list(
    *, q: str = "", status: str = "", account_manager_id: int | None = None
) -> QuerySet[Company]:
    """Companies for other domains' pickers; `q` is understood as the search box understands it
    (name in any form or part, typo, INN, phone, e-mail: see `clients.search`)."""
    params = {"q": q, "status": status, "account_manager": str(account_manager_id or "")}
    return search.filter_companies(params)


def contact_list(*, company_id: int | None = None, q: str = "") -> QuerySet[Contact]:
    return search.filter_contacts({"q": q, "company": str(company_id or "")})


# ---------------------------------------------------------------------------------------------
# Consent: campaigns and surveys ask here before they use a person for a purpose.


def _active_consents(purpose: str, channel: str = "") -> QuerySet[Consent]:
    """Consents in force for `purpose`. A consent without a channel covers every channel; asking
    without a channel means "for any channel", which only such a general consent answers."""
    channels = [""] if not channel else ["", channel]
    return Consent.objects.filter(purpose=purpose, channel__in=channels, withdrawn_at__isnull=True)


def has_consent(contact: Contact, purpose: str, channel: str = "") -> bool:
    if contact.erased_at is not None:
        return False
    return _active_consents(purpose, channel).filter(contact=contact).exists()


def contacts_with_consent(
    qs: QuerySet[Contact], purpose: str, channel: str = ""
) -> QuerySet[Contact]:
    """`qs` narrowed to the people who may be used for `purpose` (one query, no N+1)."""
    return qs.filter(erased_at__isnull=True).filter(
        Exists(_active_consents(purpose, channel).filter(contact=OuterRef("pk")))
    )


def active_consents_prefetch(to_attr: str = "active_consents") -> Prefetch:
    return Prefetch(
        "consents",
        queryset=Consent.objects.filter(withdrawn_at__isnull=True).select_related("text"),
        to_attr=to_attr,
    )


# ---------------------------------------------------------------------------------------------
# The company card


@dataclass
class RevenueYear:
    year: int
    months: list[Decimal | None]
    total: Decimal


@dataclass
class RevenueSummary:
    years: list[RevenueYear] = field(default_factory=list)
    total: Decimal = Decimal("0")


@dataclass
class GroupStructure:
    parent: Company | None
    subsidiaries: list[Company]
    branches: list[Company]
    others: list[Company]

    @property
    def is_empty(self) -> bool:
        return not (self.parent or self.subsidiaries or self.branches or self.others)


def company_for_card(pk: int) -> Company:
    return get_object_or_404(
        Company.objects.select_related(
            "industry", "region", "account_manager", "parent", "merged_into"
        ).prefetch_related("tags"),
        pk=pk,
    )


def company_group(company: Company) -> GroupStructure:
    children = list(
        Company.objects.filter(parent=company, merged_into__isnull=True).order_by(
            "legal_name", "id"
        )
    )
    return GroupStructure(
        parent=company.parent,
        subsidiaries=[c for c in children if c.group_role == GroupRole.SUBSIDIARY],
        branches=[c for c in children if c.group_role == GroupRole.BRANCH],
        others=[
            c for c in children if c.group_role not in {GroupRole.SUBSIDIARY, GroupRole.BRANCH}
        ],
    )


def company_contacts(company: Company) -> tuple[list[Contact], list[Contact]]:
    """(current staff, people who left), each with `active_consents` prefetched."""
    contacts = list(
        Contact.objects.filter(company=company, erased_at__isnull=True).prefetch_related(
            active_consents_prefetch()
        )
    )
    return (
        [c for c in contacts if not c.left_company],
        [c for c in contacts if c.left_company],
    )


def company_contracts(company: Company) -> list[Contract]:
    return list(Contract.objects.filter(company=company).prefetch_related("offerings"))


def company_revenue_records(company: Company) -> QuerySet[RevenueRecord]:
    """The company's revenue records, newest first, with what a list shows of each."""
    return (
        RevenueRecord.objects.filter(company=company)
        .select_related("offering", "contract")
        .order_by("-date", "-id")
    )


def revenue_summary(company: Company, *, years: int = 3) -> RevenueSummary:
    """Revenue in roubles by month for the last `years` years that have any, newest first."""
    rows = (
        company.revenue.order_by()
        .annotate(y=ExtractYear("date"), m=ExtractMonth("date"))
        .values("y", "m")
        .annotate(total=Sum("amount_base"))
    )
    by_year: dict[int, list[Decimal | None]] = {}
    for row in rows:
        by_year.setdefault(row["y"], [None] * 12)[row["m"] - 1] = row["total"]
    summary = RevenueSummary()
    for year in sorted(by_year, reverse=True)[:years]:
        months = by_year[year]
        total = sum((m for m in months if m is not None), Decimal("0"))
        summary.years.append(RevenueYear(year=year, months=months, total=total))
        summary.total += total
    return summary


def timeline(
    *,
    company: Company | None = None,
    contact: Contact | None = None,
    before: tuple[datetime.datetime, int] | None = None,
    limit: int = TIMELINE_PAGE,
) -> tuple[list[Interaction], tuple[datetime.datetime, int] | None]:
    """A page of the timeline, newest first, and the cursor for the next page (None at the end).

    A keyset cursor (time, id) rather than page numbers: entries added while someone reads
    the card do not shift the next page."""
    qs = Interaction.objects.select_related("contact", "staff")
    if company is not None:
        qs = qs.filter(company=company)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if before is not None:
        at, pk = before
        qs = qs.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=pk))
    items = list(qs.order_by("-occurred_at", "-id")[: limit + 1])
    if len(items) <= limit:
        return items, None
    items = items[:limit]
    return items, (items[-1].occurred_at, items[-1].pk)


def open_todos(*, company: Company | None = None, contact: Contact | None = None) -> list[Todo]:
    qs = Todo.objects.filter(done_at__isnull=True).select_related("assignee", "contact")
    if company is not None:
        qs = qs.filter(company=company)
    if contact is not None:
        qs = qs.filter(contact=contact)
    return list(qs.order_by("due_on", "id")[:50])


# ---------------------------------------------------------------------------------------------
# The contact card


def contact_for_card(pk: int) -> Contact:
    return get_object_or_404(
        Contact.objects.select_related("company").prefetch_related("points"), pk=pk
    )


def contact_consents(contact: Contact) -> list[Consent]:
    """Every consent of the person, withdrawn ones included: the history is the proof."""
    return list(contact.consents.select_related("text", "recorded_by").order_by("-given_at"))
