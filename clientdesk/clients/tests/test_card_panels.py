"""The company card brings in other domains by URL only: the segment panel (loaded by htmx)
and the "New request" button."""

from __future__ import annotations

from typing import cast

import pytest
from django.urls import reverse

from clientdesk.clients.models import Company
from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


def new_company() -> Company:
    return cast(Company, CompanyFactory())


def card(client, company) -> str:
    response = client.get(reverse("clients:company_detail", args=[company.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_card_loads_the_segment_panel_and_offers_a_new_request(make_staff, login_as) -> None:
    company = new_company()
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    page = card(client, company)
    panel_url = reverse("segments:company_panel", args=[company.pk])
    assert f'hx-get="{panel_url}"' in page and 'hx-trigger="load"' in page
    new_request = f"{reverse('service:request_new')}?company={company.pk}"
    assert new_request in page
    assert client.get(panel_url).status_code == 200
    form = client.get(new_request)
    assert form.status_code == 200
    assert form.context["form"].initial["company"] == company.pk


def test_marketer_gets_no_request_button(make_staff, login_as) -> None:
    company = new_company()
    page = card(login_as(make_staff(Role.MARKETER)), company)
    assert reverse("service:request_new") not in page
    assert reverse("segments:company_panel", args=[company.pk]) in page


def test_operator_without_segment_right_never_sees_the_panel(make_staff, login_as) -> None:
    company = new_company()
    client = login_as(make_staff(Role.CALL_OPERATOR))
    panel_url = reverse("segments:company_panel", args=[company.pk])
    response = client.get(reverse("clients:company_detail", args=[company.pk]))
    # The card view passes can_view_segments; without it the div is rendered and the panel
    # view itself refuses, which htmx shows as nothing.
    if "can_view_segments" in response.context:
        assert panel_url not in response.content.decode()
    assert client.get(panel_url).status_code == 403


def test_portal_user_gets_403_on_the_card_and_the_panel(make_portal_user, login_as) -> None:
    company = new_company()
    client = login_as(make_portal_user(company))
    assert client.get(reverse("clients:company_detail", args=[company.pk])).status_code == 403
    panel = client.get(reverse("segments:company_panel", args=[company.pk]))
    assert panel.status_code == 403
