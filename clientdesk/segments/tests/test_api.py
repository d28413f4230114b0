"""The segments API: reading a company's segment and audiences, starting a recompute."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.roles import Role
from clientdesk.segments import services
from clientdesk.segments.models import SegmentRun
from clientdesk.segments.tests.factories import monthly

pytestmark = [pytest.mark.django_db, pytest.mark.urls("clientdesk.segments.tests.api_urls")]


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def company():
    c = CompanyFactory()
    monthly(c, 2025, range(1, 13), 5000)
    services.recompute_segments(period_end=dt.date(2025, 12, 31))
    return c


def test_company_segment_is_readable_by_analyst(company, make_staff) -> None:
    response = api_for(make_staff(Role.ANALYST)).get(f"/api/v1/segments/companies/{company.pk}/")
    assert response.status_code == 200
    assert response.json()["abc"] == "A"


def test_call_operator_gets_403(company, make_staff) -> None:
    response = api_for(make_staff(Role.CALL_OPERATOR)).get(
        f"/api/v1/segments/companies/{company.pk}/"
    )
    assert response.status_code == 403


def test_members_are_cursor_paginated(company, make_staff) -> None:
    response = api_for(make_staff(Role.ANALYST)).get("/api/v1/segments/members/?abc=A")
    assert response.status_code == 200
    assert [r["company"] for r in response.json()["results"]] == [company.pk]


def test_kam_cannot_start_a_recompute_but_analyst_can(
    company, make_staff, django_capture_on_commit_callbacks
) -> None:
    assert (
        api_for(make_staff(Role.ACCOUNT_MANAGER)).post("/api/v1/segments/runs/", {}).status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(make_staff(Role.ANALYST)).post(
            "/api/v1/segments/runs/", {"period_end": "2025-11-30"}, format="json"
        )
    assert response.status_code == 202
    assert SegmentRun.objects.get(pk=response.json()["id"]).status == SegmentRun.Status.DONE
    bad = api_for(make_staff(Role.ANALYST)).post(
        "/api/v1/segments/runs/", {"period_end": "soon"}, format="json"
    )
    assert bad.status_code == 400


def test_rule_segment_created_and_its_audience_listed(company, make_staff) -> None:
    client = api_for(make_staff(Role.MARKETER))
    response = client.post(
        "/api/v1/segments/rules/",
        {
            "name": "A",
            "shared": True,
            "rules": {"conditions": [{"field": "abc", "op": "eq", "value": "A"}]},
        },
        format="json",
    )
    assert response.status_code == 201
    ids = client.get(f"/api/v1/segments/rules/{response.json()['id']}/companies/").json()["ids"]
    assert ids == [company.pk]
    bad = client.post(
        "/api/v1/segments/rules/", {"name": "B", "rules": {"match": "x"}}, format="json"
    )
    assert bad.status_code == 400


def test_rule_segment_post_reads_shared_false_as_false_and_requires_rules(make_staff) -> None:
    client = api_for(make_staff(Role.MARKETER))
    response = client.post(
        "/api/v1/segments/rules/",
        {"name": "Private", "shared": "false", "rules": {"conditions": []}},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["shared"] is False
    assert response.json()["rules"] == {"match": "all", "conditions": []}
    missing = client.post("/api/v1/segments/rules/", {"name": "No rules"}, format="json")
    assert missing.status_code == 400
    assert "rules" in missing.json()["error"]["fields"]
