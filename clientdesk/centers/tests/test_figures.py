"""Measured figures of a day and the staffing page built on them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientdesk.centers import selectors, services
from clientdesk.centers.calculations import hourly_plan
from clientdesk.centers.demo import load_demo
from clientdesk.centers.models import Outcome, ServiceCenter
from clientdesk.centers.tests.factories import new_center, new_desk, new_group
from clientdesk.core.roles import Role
from clientdesk.service.tests.factories import new_service

pytestmark = pytest.mark.django_db


def test_day_figures_count_states_and_first_contact_share(make_staff) -> None:
    center = new_center()
    group = new_group(center)
    operator = make_staff(Role.CENTER_OPERATOR)
    services.session_open(desk=new_desk(center), operator=operator)
    for _ in range(4):
        services.ticket_issue(center=center, service=group.service)
    for resolved in (True, False):
        ticket = services.ticket_call_next(by=operator)
        assert ticket is not None
        services.ticket_start(ticket=ticket, by=operator)
        services.ticket_finish(
            ticket=ticket, by=operator, outcome=Outcome.RESOLVED, first_contact_resolved=resolved
        )
    ticket = services.ticket_call_next(by=operator)
    assert ticket is not None
    services.ticket_no_show(ticket=ticket, by=operator)
    figures = selectors.day_figures(center, selectors.today_of(center))
    assert (figures.issued, figures.served, figures.no_show, figures.waiting_now) == (4, 2, 1, 1)
    assert figures.first_contact_share == 0.5
    assert sum(figures.arrivals_by_hour.values()) == 4


def test_hourly_plan_uses_the_default_handling_time_where_nothing_was_measured() -> None:
    plan = hourly_plan(
        {9: 20, 10: 0},
        aht_by_hour={},
        default_aht_seconds=900,
        target_seconds=600,
        target_level=0.8,
    )
    assert plan[0].traffic == 5.0
    assert plan[0].staffing.agents >= 6 and plan[0].staffing.service_level >= 0.8
    assert plan[1].staffing.agents == 0


def test_old_staffing_address_leads_to_the_staffing_page_for_supervisors_only(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    for _ in range(3):
        new_service()
    load_demo(seed=2)
    center = ServiceCenter.objects.get(code="msk-tverskaya")
    client = login_as(make_staff(Role.SUPERVISOR))
    with django_assert_max_num_queries(14):
        page = client.get(reverse("centers:staffing"), {"center": center.code}, follow=True)
    assert page.status_code == 200 and "Erlang" in page.content.decode()
    assert page.redirect_chain[0][0].endswith(f"?team={center.code}")
    assert (
        client.get(reverse("centers:staffing"), {"day": "yesterday"}, follow=True).status_code
        == 200
    )
    client = login_as(make_staff(Role.CENTER_OPERATOR))
    assert client.get(reverse("centers:staffing")).status_code == 403
