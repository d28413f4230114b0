"""The hooks of the service domain: client facts on the request page from apps to its right,
and open complaints as a churn-risk input of segments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clientdesk.clients.models import Channel
from clientdesk.core.roles import Role
from clientdesk.segments import services as segment_services
from clientdesk.segments.models import CompanySegment
from clientdesk.segments.tests.factories import monthly
from clientdesk.service import hooks
from clientdesk.service.models import AvoidableReason, ServiceRequest
from clientdesk.service.services import RequestInput, request_create

from .factories import new_company

pytestmark = pytest.mark.django_db

END = dt.date(2025, 12, 31)


def make_request(company, *, at: dt.datetime, topic: str = "", reason=None, resolved=None):
    r = request_create(
        data=RequestInput(
            company=company,
            channel=Channel.PHONE,
            subject="Жалоба на счёт",
            body="текст",
            topic=topic,
            created_at=at,
        ),
        by=None,
    )
    ServiceRequest.objects.filter(pk=r.pk).update(
        avoidable_reason=reason, resolved_at=resolved, is_open=resolved is None
    )
    return r


@pytest.fixture
def provider():
    def facts(company_id: int, user) -> list[hooks.ClientFact]:
        return [hooks.ClientFact(label="Loyalty tier", value=f"gold-{company_id}", note="since")]

    hooks.register_client_context(facts)
    hooks.register_client_context(facts)  # registering twice shows it once
    yield facts
    hooks.CLIENT_CONTEXT_PROVIDERS.remove(facts)


def test_request_page_renders_what_registered_providers_return(
    provider, make_staff, make_portal_user, login_as
) -> None:
    company = new_company()
    r = make_request(company, at=dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    url = reverse("service:request_detail", args=[r.pk])
    page = login_as(make_staff(Role.CALL_OPERATOR)).get(url).content.decode()
    assert page.count(f"gold-{company.pk}") == 1 and "Loyalty tier" in page
    assert login_as(make_staff(Role.MARKETER)).get(url).status_code == 403
    assert login_as(make_portal_user()).get(url).status_code == 403


def test_a_request_in_triage_asks_no_provider(provider) -> None:
    assert hooks.client_facts(None, None) == []


def test_open_complaints_counts_ours_and_complaint_topics_open_at_period_end() -> None:
    reason = AvoidableReason.objects.get(code="service_failure")
    company, other = new_company(), new_company()
    dec = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
    make_request(company, at=dec, reason=reason)
    make_request(company, at=dec, topic="Жалоба")  # topics are kept lower-cased
    make_request(company, at=dec)  # an ordinary question
    make_request(company, at=dec, reason=reason, resolved=dec + dt.timedelta(days=2))
    # Resolved only after the period end: still open at its end.
    make_request(other, at=dec, topic="complaint", resolved=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    # Opened after the period end: not yet there.
    make_request(other, at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), reason=reason)
    frame = hooks.open_complaints(END)
    assert dict(zip(frame["company_id"], frame["complaints"], strict=True)) == {
        company.pk: 2,
        other.pk: 1,
    }


def test_recompute_raises_churn_risk_for_open_complaints_and_says_why() -> None:
    reason = AvoidableReason.objects.get(code="missed_callback")
    angry, calm = new_company(), new_company()
    for company in (angry, calm):
        monthly(company, 2025, range(1, 13), 10_000)
    for _ in range(3):
        make_request(angry, at=dt.datetime(2025, 12, 10, tzinfo=dt.UTC), reason=reason)
    run = segment_services.recompute_segments(period_end=END)
    rows = {s.company_id: s for s in CompanySegment.objects.filter(run=run)}
    assert rows[angry.pk].churn_risk > rows[calm.pk].churn_risk
    reasons = {r["code"]: r for r in rows[angry.pk].risk_reasons}
    assert reasons["complaints"]["value"] == 3
    assert "complaints" not in {r["code"] for r in rows[calm.pk].risk_reasons}
