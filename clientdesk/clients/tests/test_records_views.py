"""The company and contact cards and their forms: rights, errors in words, bounded queries."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from clientdesk.clients import services
from clientdesk.clients.models import (
    Channel,
    Company,
    Consent,
    ConsentPurpose,
    Contact,
    Contract,
    GroupRole,
    Interaction,
    Offering,
    RevenueRecord,
    Todo,
)
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory, valid_inn
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are asserted in their English source text, whatever the default language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


COMPANY_POST = {
    "legal_name": 'ООО "Вектор"',
    "legal_form": "ООО",
    "country": "RU",
    "inn": valid_inn(5001),
    "kpp": "770101001",
    "status": "active",
    "annual_revenue": "1 234 567,89",
    "employees": "12",
}


def _fill_company(company: Company, n: int) -> None:
    """A company with `n` of everything the card shows."""
    offering = Offering.objects.create(code=f"o{company.pk}-{n}", name="Сервис")
    for i in range(n):
        contact = ContactFactory.create(company=company, left_company=i % 5 == 0)
        Consent.objects.create(
            contact=contact,
            purpose=ConsentPurpose.MARKETING,
            given_at=timezone.now(),
            source=Consent.Source.PAPER,
        )
        services.interaction_record(
            company=company, contact=contact, channel=Channel.PHONE, subject=f"Звонок {i}"
        )
        contract = Contract.objects.create(company=company, number=f"{company.pk}-{i}")
        contract.offerings.add(offering)
        RevenueRecord.objects.create(
            company=company,
            date=datetime.date(2023 + i % 2, i % 12 + 1, 1),
            amount=Decimal("100"),
            amount_base=Decimal("100"),
        )
        Todo.objects.create(
            company=company, contact=contact, kind=Todo.Kind.OTHER, title=f"Дело {i}"
        )
        CompanyFactory.create(parent=company, group_role=GroupRole.SUBSIDIARY)


# --- the company card --------------------------------------------------------------------------


def test_card_shows_everything_to_a_viewer_without_edit_buttons(make_staff, login_as) -> None:
    company = CompanyFactory.create(legal_name='ООО "Видимая"')
    _fill_company(company, 3)
    html = (
        login_as(make_staff(Role.ANALYST))
        .get(reverse("clients:company_detail", args=[company.pk]))
        .content.decode()
    )
    assert 'ООО "Видимая"' in html or "ООО &quot;Видимая&quot;" in html
    assert "Звонок 2" in html
    assert f"{company.pk}-1" in html  # a contract
    assert "Дело 0" in html
    assert reverse("clients:company_edit", args=[company.pk]) not in html
    assert reverse("clients:interaction_create", args=[company.pk]) not in html


def test_card_query_count_does_not_grow_with_the_record(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    small, large = CompanyFactory.create(), CompanyFactory.create()
    _fill_company(small, 1)
    _fill_company(large, 30)
    # Warm-up: the first request creates the registry settings row and fills caches.
    client.get(reverse("clients:company_detail", args=[small.pk]))
    with django_assert_max_num_queries(16) as small_ctx:
        assert client.get(reverse("clients:company_detail", args=[small.pk])).status_code == 200
    with django_assert_max_num_queries(16) as large_ctx:
        assert client.get(reverse("clients:company_detail", args=[large.pk])).status_code == 200
    assert len(large_ctx.captured_queries) == len(small_ctx.captured_queries)


def test_timeline_shows_the_newest_first_and_more_on_request(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    start = timezone.now() - datetime.timedelta(days=100)
    for i in range(25):
        services.interaction_record(
            company=company,
            channel=Channel.EMAIL,
            subject=f"Письмо №{i:02d}",
            occurred_at=start + datetime.timedelta(days=i),
        )
    client = login_as(make_staff(Role.CALL_OPERATOR))
    html = client.get(reverse("clients:company_detail", args=[company.pk])).content.decode()
    assert html.index("Письмо №24") < html.index("Письмо №05")
    assert "Письмо №04" not in html
    more = reverse("clients:company_timeline", args=[company.pk])
    assert more in html
    cursor = html.split(f"{more}?before=")[1].split('"')[0]
    rest = client.get(f"{more}?before={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert "Письмо №04" in rest and "Письмо №00" in rest and "Письмо №05" not in rest
    assert "timeline-more" not in rest


def test_portal_user_and_anonymous_cannot_open_record_pages(
    make_portal_user, login_as, client
) -> None:
    company = CompanyFactory.create()
    contact = ContactFactory.create(company=company)
    urls = [
        reverse("clients:company_detail", args=[company.pk]),
        reverse("clients:contact_detail", args=[contact.pk]),
        reverse("clients:company_create"),
        reverse("clients:contact_export", args=[contact.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    portal = login_as(make_portal_user(company=company))
    for url in urls:
        assert portal.get(url).status_code == 403


# --- company forms -----------------------------------------------------------------------------


def test_company_create_form_saves_and_goes_to_the_card(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    response = client.post(reverse("clients:company_create"), COMPANY_POST)
    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company_detail", args=[company.pk])
    assert company.annual_revenue == Decimal("1234567.89")
    assert company.size_band == "micro"  # 12 people, 1.2 M RUB
    assert AuditEvent.objects.filter(action="clients.company_created").count() == 1


def test_company_form_shows_actionable_errors(make_staff, login_as) -> None:
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    existing = CompanyFactory.create(
        short_name="Старый Вектор", inn=valid_inn(5001), kpp="770101001"
    )
    response = client.post(reverse("clients:company_create"), COMPANY_POST)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Старый Вектор" in html and f"ID {existing.pk}" in html
    bad = {
        **COMPANY_POST,
        "inn": valid_inn(5002)[:-1] + "0"
        if valid_inn(5002)[-1] != "0"
        else valid_inn(5002)[:-1] + "1",
    }
    html = client.post(reverse("clients:company_create"), bad).content.decode()
    assert "check digit" in html
    assert Company.objects.count() == 1


def test_company_form_finds_the_parent_by_inn(make_staff, login_as) -> None:
    head = CompanyFactory.create(inn=valid_inn(6001), kpp="770101001", group_role=GroupRole.HOLDING)
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    post = {
        **COMPANY_POST,
        "inn": valid_inn(6001),
        "kpp": "780201001",
        "parent_inn": valid_inn(6001),
        "group_role": "branch",
    }
    assert client.post(reverse("clients:company_create"), post).status_code == 302
    branch = Company.objects.get(kpp="780201001")
    assert branch.parent == head
    edit = client.get(reverse("clients:company_edit", args=[branch.pk])).content.decode()
    assert valid_inn(6001) in edit


def test_company_edit_saves_changes(make_staff, login_as) -> None:
    company = services.company_create(
        data=services.CompanyInput(
            legal_name="ООО Старое", inn=valid_inn(7001), kpp="770101001", status="active"
        ),
        by=None,
    )
    client = login_as(make_staff(Role.CALL_OPERATOR))
    post = {**COMPANY_POST, "legal_name": "ООО Новое", "inn": valid_inn(7001)}
    assert client.post(reverse("clients:company_edit", args=[company.pk]), post).status_code == 302
    company.refresh_from_db()
    assert company.legal_name == "ООО Новое"
    event = AuditEvent.objects.get(action="clients.company_updated")
    assert event.changes["legal_name"] == ["ООО Старое", "ООО Новое"]


def test_analyst_cannot_create_or_edit(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    client = login_as(make_staff(Role.ANALYST))
    assert client.get(reverse("clients:company_create")).status_code == 403
    assert client.post(reverse("clients:company_create"), COMPANY_POST).status_code == 403
    assert client.get(reverse("clients:company_edit", args=[company.pk])).status_code == 403
    assert client.post(reverse("clients:contact_create", args=[company.pk]), {}).status_code == 403
    assert Company.objects.count() == 1


# --- contacts, interactions, consents ----------------------------------------------------------


def test_contact_create_edit_and_card(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    client = login_as(make_staff(Role.CENTER_OPERATOR))
    post = {
        "last_name": "Кузнецов",
        "first_name": "Павел",
        "language": "ru",
        "phone": "8 916 123 45 67",
        "other_emails": "pk@firm.ru\n",
    }
    response = client.post(reverse("clients:contact_create", args=[company.pk]), post)
    contact = Contact.objects.get()
    assert response["Location"] == reverse("clients:contact_detail", args=[contact.pk])
    assert contact.phone == "+79161234567"
    html = client.get(reverse("clients:contact_detail", args=[contact.pk])).content.decode()
    assert "pk@firm.ru" in html and "Кузнецов" in html
    bad = client.post(reverse("clients:contact_edit", args=[contact.pk]), {**post, "phone": "12"})
    assert bad.status_code == 400 and "number of digits" in bad.content.decode()
    client.post(reverse("clients:contact_edit", args=[contact.pk]), {**post, "position": "Инженер"})
    contact.refresh_from_db()
    assert contact.position == "Инженер"


def test_interaction_form_through_htmx_returns_the_refreshed_timeline(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    staff = make_staff(Role.CALL_OPERATOR)
    client = login_as(staff)
    url = reverse("clients:interaction_create", args=[company.pk])
    response = client.post(
        url,
        {"channel": "phone", "direction": "in", "subject": "Жалоба на сроки"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Жалоба на сроки" in response.content.decode()
    assert "<html" not in response.content.decode()
    assert Interaction.objects.get().staff == staff
    invalid = client.post(
        url, {"channel": "phone", "direction": "in", "subject": ""}, HTTP_HX_REQUEST="true"
    )
    assert "has-error" in invalid.content.decode()
    plain = client.post(url, {"channel": "email", "direction": "out", "subject": "Ответ"})
    assert plain.status_code == 302


def test_consent_give_and_withdraw_from_the_contact_card(make_staff, login_as) -> None:
    contact = ContactFactory.create()
    client = login_as(make_staff(Role.CALL_OPERATOR))
    client.post(
        reverse("clients:consent_give", args=[contact.pk]),
        {"purpose": "marketing", "channel": "", "source": "paper"},
    )
    consent = Consent.objects.get()
    assert consent.withdrawn_at is None
    client.post(reverse("clients:consent_withdraw", args=[consent.pk]), {"source": "phone"})
    consent.refresh_from_db()
    assert consent.withdrawal_source == "phone"


def test_marketer_can_view_but_not_change_consents(make_staff, login_as) -> None:
    contact = ContactFactory.create()
    client = login_as(make_staff(Role.MARKETER))
    assert client.get(reverse("clients:contact_detail", args=[contact.pk])).status_code == 200
    url = reverse("clients:consent_give", args=[contact.pk])
    assert client.post(url, {"purpose": "marketing", "source": "paper"}).status_code == 403
    assert not Consent.objects.exists()


# --- personal data -----------------------------------------------------------------------------


def test_export_is_a_json_download_and_is_audited(make_staff, login_as) -> None:
    contact = ContactFactory.create(last_name="Орлова")
    response = login_as(make_staff(Role.SUPERVISOR)).get(
        reverse("clients:contact_export", args=[contact.pk])
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert json.loads(response.content)["contact"]["last_name"] == "Орлова"
    assert AuditEvent.objects.filter(action="clients.contact_exported").count() == 1


def test_marketer_and_analyst_cannot_export_or_erase(make_staff, login_as) -> None:
    contact = ContactFactory.create()
    for role in (Role.MARKETER, Role.ANALYST, Role.CALL_OPERATOR):
        client = login_as(make_staff(role))
        assert client.get(reverse("clients:contact_export", args=[contact.pk])).status_code == 403
        erase = reverse("clients:contact_erase", args=[contact.pk])
        assert client.post(erase, {"reason": "x", "confirm": "on"}).status_code == 403
    contact.refresh_from_db()
    assert contact.erased_at is None


def test_erase_asks_for_a_reason_and_confirmation(make_staff, login_as) -> None:
    contact = ContactFactory.create(last_name="Белова")
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    url = reverse("clients:contact_erase", args=[contact.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "Запрос № 3"}).status_code == 400
    assert client.post(url, {"reason": "Запрос № 3", "confirm": "on"}).status_code == 302
    contact.refresh_from_db()
    assert contact.erased_at is not None
    html = client.get(reverse("clients:contact_detail", args=[contact.pk])).content.decode()
    assert "Белова" not in html


# --- contracts, revenue, to-dos ----------------------------------------------------------------


def test_contract_and_revenue_forms_read_russian_numbers(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    response = client.post(
        reverse("clients:contract_create", args=[company.pk]),
        {"number": "7/25", "currency": "RUB", "status": "active", "value": "1 500 000,50"},
    )
    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.value == Decimal("1500000.50")
    response = client.post(
        reverse("clients:revenue_create", args=[company.pk]),
        {"date": "2025-02-03", "amount": "1 234,56", "currency": "RUB", "contract": contract.pk},
    )
    assert response.status_code == 302
    assert RevenueRecord.objects.get().amount_base == Decimal("1234.56")
    card = client.get(reverse("clients:company_detail", args=[company.pk])).content.decode()
    assert "2025" in card
    error = client.post(
        reverse("clients:revenue_create", args=[company.pk]),
        {"date": "2025-02-03", "amount": "10", "currency": "EUR"},
    )
    assert error.status_code == 400 and "rate of the day" in error.content.decode()


def test_todo_done_via_htmx(make_staff, login_as) -> None:
    todo = Todo.objects.create(company=CompanyFactory.create(), kind=Todo.Kind.OTHER, title="Дело")
    response = login_as(make_staff(Role.CALL_OPERATOR)).post(
        reverse("clients:todo_done", args=[todo.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    todo.refresh_from_db()
    assert todo.done_at is not None
    assert (
        login_as(make_staff(Role.ANALYST))
        .post(reverse("clients:todo_done", args=[todo.pk]))
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_company_card_links_to_portal_access_only_for_those_who_manage_it(
    make_staff, login_as
) -> None:
    company = CompanyFactory.create()
    link = reverse("portal:staff_company", args=[company.pk])
    url = reverse("clients:company_detail", args=[company.pk])
    kam_page = login_as(make_staff(Role.ACCOUNT_MANAGER)).get(url).content.decode()
    assert link in kam_page
    analyst_page = login_as(make_staff(Role.ANALYST)).get(url).content.decode()
    assert link not in analyst_page
