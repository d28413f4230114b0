"""Reads of the campaigns domain: lists, the audience with its exclusion reasons, the results,
and the account manager's view of the campaign touches of their clients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.shortcuts import get_object_or_404

from clientdesk.clients.models import Contract, Interaction

from .models import Campaign, CampaignRecipient, CaseStudy

State = CampaignRecipient.State
REQUEST_SOURCE = "service.request:"


def campaign_list(*, status: str = "") -> QuerySet[Campaign]:
    qs = Campaign.objects.select_related("created_by").annotate(
        n_pending=Count("recipients", filter=Q(recipients__state=State.PENDING)),
        n_sent=Count("recipients", filter=Q(recipients__state=State.SENT)),
        n_excluded=Count("recipients", filter=Q(recipients__state=State.EXCLUDED)),
        n_opened=Count("recipients", filter=Q(recipients__opened_at__isnull=False)),
        n_clicked=Count("recipients", filter=Q(recipients__clicked_at__isnull=False)),
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def campaign_get(pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.select_related("created_by"), pk=pk)


def case_studies() -> QuerySet[CaseStudy]:
    return CaseStudy.objects.prefetch_related("industries", "offerings")


def audience_summary(campaign: Campaign) -> dict[str, Any]:
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .values("state", "reason", "channel")
        .annotate(n=Count("id"))
    )
    by_state: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for row in rows:
        by_state[row["state"]] = by_state.get(row["state"], 0) + row["n"]
        if row["reason"]:
            by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["n"]
        elif row["state"] != State.EXCLUDED:
            by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + row["n"]
    return {"by_state": by_state, "by_reason": by_reason, "by_channel": by_channel}


def recipients(
    campaign: Campaign, *, state: str = "", reason: str = "", channel: str = ""
) -> QuerySet[CampaignRecipient]:
    qs = CampaignRecipient.objects.filter(campaign=campaign).select_related("contact", "company")
    if state:
        qs = qs.filter(state=state)
    if reason:
        qs = qs.filter(reason=reason)
    if channel:
        qs = qs.filter(channel=channel)
    return qs.order_by("id")


@dataclass
class ResultRow:
    key: str
    recipients: int
    delivered: int
    opened: int
    clicked: int
    replied: int
    unsubscribed: int
    companies_with_requests: int
    companies_with_deals: int

    def rate(self, name: str) -> float:
        return 100.0 * getattr(self, name) / self.delivered if self.delivered else 0.0


def _results_by(campaign: Campaign, field: str) -> list[ResultRow]:
    window = dt.timedelta(days=campaign.follow_up_days)
    until = ExpressionWrapper(F("sent_at") + window, output_field=DateTimeField())
    requests = Interaction.objects.filter(
        company=OuterRef("company_id"),
        source__startswith=REQUEST_SOURCE,
        occurred_at__gte=OuterRef("sent_at"),
        occurred_at__lt=OuterRef("until"),
    )
    deals = Contract.objects.filter(
        company=OuterRef("company_id"),
        signed_on__gte=OuterRef("sent_at__date"),
        signed_on__lt=OuterRef("until__date"),
    )
    rows = (
        CampaignRecipient.objects.filter(campaign=campaign)
        .exclude(state=State.EXCLUDED)
        .annotate(until=until, has_request=Exists(requests), has_deal=Exists(deals))
        .values(field)
        .annotate(
            n=Count("id"),
            delivered=Count("id", filter=Q(state=State.SENT)),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            replied=Count("id", filter=Q(replied_at__isnull=False)),
            unsubscribed=Count("id", filter=Q(unsubscribed_at__isnull=False)),
            req=Count("company", distinct=True, filter=Q(has_request=True, state=State.SENT)),
            deal=Count("company", distinct=True, filter=Q(has_deal=True, state=State.SENT)),
        )
        .order_by(field)
    )
    return [
        ResultRow(
            key=r[field] or "—",
            recipients=r["n"],
            delivered=r["delivered"],
            opened=r["opened"],
            clicked=r["clicked"],
            replied=r["replied"],
            unsubscribed=r["unsubscribed"],
            companies_with_requests=r["req"],
            companies_with_deals=r["deal"],
        )
        for r in rows
    ]


def results(campaign: Campaign) -> dict[str, list[ResultRow]]:
    """Delivered, opened, clicked, replied, unsubscribed, and the companies that opened a
    request (timeline entries with source "service.request:") or signed a contract within
    `follow_up_days` of their send, per channel and per segment (ABC-XYZ cell at build time)."""
    return {
        "channel": _results_by(campaign, "channel"),
        "segment": _results_by(campaign, "segment"),
    }


def touches_for(user: Any, *, scheduled_only: bool = False) -> QuerySet[CampaignRecipient]:
    """Every campaign touch of the clients this user manages (excluded rows too: the manager
    should know why a client was left out)."""
    qs = (
        CampaignRecipient.objects.filter(company__account_manager=user)
        .select_related("campaign", "contact", "company")
        .order_by("-campaign__send_at", "-id")
    )
    if scheduled_only:
        qs = qs.filter(state=State.PENDING)
    return qs


def touch_for(user: Any, pk: int) -> CampaignRecipient:
    """One touch of the user's own client, or 404 (a colleague's client looks like nothing)."""
    return get_object_or_404(
        CampaignRecipient.objects.select_related("campaign", "contact", "company"),
        pk=pk,
        company__account_manager=user,
    )
