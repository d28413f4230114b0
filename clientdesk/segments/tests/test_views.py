"""Segment pages: who may open them, that they render the figures, bounded queries, export."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.roles import Role
from clientdesk.segments import services
from clientdesk.segments.models import RuleSegment, SegmentRun
from clientdesk.segments.tests.factories import monthly, revenue

pytestmark = pytest.mark.django_db

END = dt.date(2025, 12, 31)
PAGES = [
    "segments:overview",
    "segments:at_risk",
    "segments:members",
    "segments:rule_list",
    "segments:runs",
]


@pytest.fixture
def computed(make_staff):
    kam = make_staff(Role.ACCOUNT_MANAGER)
    companies = []
    for i in range(12):
        c = CompanyFactory(account_manager=kam if i % 2 else None)
        monthly(c, 2025, range(1, 13 - i % 6), 1000 * (i + 1), cost=500 * (i + 1))
        companies.append(c)
    services.recompute_segments(period_end=dt.date(2025, 11, 30))
    revenue(companies[0], dt.date(2025, 12, 5), -300)  # a refund
    run = services.recompute_segments(period_end=END)
    return {"kam": kam, "companies": companies, "run": run}


@pytest.mark.parametrize("name", PAGES)
def test_call_center_operator_gets_403(name, make_staff, login_as) -> None:
    client = login_as(make_staff(Role.CALL_OPERATOR))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_portal_user_gets_403(name, make_portal_user, login_as) -> None:
    client = login_as(make_portal_user())
    assert client.get(reverse(name)).status_code == 403


def test_overview_shows_charts_with_drilldown_links(computed, make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ANALYST))
    response = client.get(reverse("segments:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "<polyline" in html
    assert f"{reverse('segments:members')}?run={computed['run'].pk}&amp;abc=A&amp;xyz=X" in html
    assert "Migration between periods" in html


def test_overview_without_any_run_invites_to_compute(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ANALYST))
    response = client.get(reverse("segments:overview"))
    assert response.status_code == 200
    assert "No segmentation has been computed yet" in response.content.decode()


def test_overview_query_count_does_not_grow_with_clients(
    computed, make_staff, login_as, django_assert_max_num_queries
) -> None:
    client = login_as(make_staff(Role.ANALYST))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("segments:overview")).status_code == 200


def test_members_list_is_paginated_with_bounded_queries(
    computed, make_staff, login_as, django_assert_max_num_queries
) -> None:
    client = login_as(make_staff(Role.ANALYST))
    url = reverse("segments:members") + "?abc=A"
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 1


def test_members_export_csv_needs_export_right(computed, make_staff, login_as) -> None:
    analyst = login_as(make_staff(Role.ANALYST))
    response = analyst.get(reverse("segments:members") + "?abc=A&format=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("ID;Company")
    assert len(body.splitlines()) >= 2


def test_migration_cell_lists_companies_that_moved(computed, make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ANALYST))
    prev = SegmentRun.objects.filter(period_end=dt.date(2025, 11, 30)).get()
    url = (
        reverse("segments:members")
        + f"?run={computed['run'].pk}&from_run={prev.pk}&from_abc=A&abc=A"
    )
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["page"].paginator.count >= 1


def test_kam_sees_own_at_risk_clients_by_default(
    computed, login_as, django_assert_max_num_queries
) -> None:
    client = login_as(computed["kam"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("segments:at_risk"))
    assert response.status_code == 200
    assert response.context["manager"] == str(computed["kam"].pk)
    for row in response.context["page"]:
        assert row.company.account_manager_id == computed["kam"].pk


def test_company_panel_shows_current_segment(computed, make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    company = computed["companies"][11]
    response = client.get(reverse("segments:company_panel", args=[company.pk]))
    assert response.status_code == 200
    assert response.context["seg"].company_id == company.pk


def test_analyst_builds_saves_and_previews_a_rule_segment(computed, make_staff, login_as) -> None:
    analyst = make_staff(Role.ANALYST)
    client = login_as(analyst)
    data = {
        "name": "Top steady",
        "match": "all",
        "field": ["abc", "xyz"],
        "op": ["in", "eq"],
        "value": ["A, B", "X"],
        "shared": "on",
    }
    preview = client.post(reverse("segments:rule_preview"), data)
    assert "match" in preview.content.decode()
    response = client.post(reverse("segments:rule_new"), data)
    assert response.status_code == 302
    segment = RuleSegment.objects.get()
    assert segment.shared and segment.rules["conditions"][0]["value"] == ["A", "B"]
    detail = client.get(reverse("segments:rule_detail", args=[segment.pk]))
    assert detail.status_code == 200
    # A colleague sees a shared segment but cannot edit it.
    other = login_as(make_staff(Role.MARKETER))
    assert other.get(reverse("segments:rule_detail", args=[segment.pk])).status_code == 200
    assert other.get(reverse("segments:rule_edit", args=[segment.pk])).status_code == 404


def test_rule_builder_shows_a_clear_error_for_a_bad_number(computed, make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ANALYST))
    data = {"name": "x", "match": "all", "field": ["churn_risk"], "op": ["gte"], "value": ["high"]}
    response = client.post(reverse("segments:rule_new"), data)
    assert response.status_code == 200
    assert "is not a number" in response.content.decode()
    assert not RuleSegment.objects.exists()


def test_kam_cannot_change_settings_or_start_a_run(computed, login_as) -> None:
    client = login_as(computed["kam"])
    assert client.get(reverse("segments:settings")).status_code == 403
    assert client.post(reverse("segments:runs"), {"period_end": "2025-10"}).status_code == 403


def test_analyst_changes_settings_and_cell_policy(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ANALYST))
    response = client.post(
        reverse("segments:settings"),
        {"what": "policies", "tier_AX": "1", "hours_AX": "2", "policy_AX": "Dedicated team"},
    )
    assert response.status_code == 302
    from clientdesk.segments.models import CellPolicy

    ax = CellPolicy.objects.get(abc="A", xyz="X")
    assert (ax.tier, ax.response_hours, ax.policy) == (1, 2, "Dedicated team")


def test_runs_page_starts_a_recompute(
    computed, make_staff, login_as, django_capture_on_commit_callbacks
) -> None:
    client = login_as(make_staff(Role.ANALYST))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("segments:runs"), {"period_end": "2025-10"})
    assert response.status_code == 302
    run = SegmentRun.objects.filter(period_end=dt.date(2025, 10, 31)).get()
    assert run.status == SegmentRun.Status.DONE
    assert client.get(reverse("segments:runs"), HTTP_HX_REQUEST="true").status_code == 200
