"""Contracts and revenue records edited from the company card: rights, audit, errors in words,
records reached only through their own company, bounded queries on the list."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from clientdesk.clients import services
from clientdesk.clients.models import Company, Contract, Offering, RevenueRecord
from clientdesk.clients.tests.factories import CompanyFactory
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _contract(company: Company, number: str = "1/25", **kwargs: Any) -> Contract:
    return Contract.objects.create(company=company, number=number, **kwargs)


def _revenue(company: Company, day: int = 1, amount: str = "100", **kwargs: Any) -> RevenueRecord:
    return RevenueRecord.objects.create(
        company=company,
        date=datetime.date(2025, 1, day),
        amount=Decimal(amount),
        amount_base=Decimal(amount),
        **kwargs,
    )


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- contracts ---------------------------------------------------------------------------------


def test_account_manager_edits_a_contract_and_the_audit_lists_the_changes(
    make_staff, login_as
) -> None:
    company = CompanyFactory.create()
    old, kept = (
        Offering.objects.create(code="old", name="Старая услуга", is_active=False),
        Offering.objects.create(code="new", name="Новая услуга"),
    )
    contract = _contract(company, value=Decimal("100.00"), status=Contract.Status.ACTIVE)
    contract.offerings.set([old])
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    url = reverse("clients:contract_edit", args=[company.pk, contract.pk])
    form = client.get(url).content.decode()
    assert 'value="1/25"' in form and "Старая услуга" in form  # an inactive service it has
    response = client.post(
        url,
        {
            "number": "1/25-A",
            "currency": "RUB",
            "status": "terminated",
            "value": "1 500 000,50",
            "offerings": [old.pk, kept.pk],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company_detail", args=[company.pk])
    contract.refresh_from_db()
    assert contract.number == "1/25-A" and contract.value == Decimal("1500000.50")
    assert set(contract.offerings.all()) == {old, kept}
    (event,) = _events("clients.contract_updated")
    assert event.target_id == str(company.pk)
    assert event.changes["number"] == ["1/25", "1/25-A"]
    assert event.changes["status"] == ["active", "terminated"]
    assert event.changes["offerings"] == [[old.pk], sorted([old.pk, kept.pk])]
    assert event.changes["contract"] == contract.pk
    assert "title" not in event.changes


def test_contract_edit_shows_what_to_fix_and_changes_nothing(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    contract = _contract(company, "1/25")
    _contract(company, "2/25")
    client = login_as(make_staff(Role.CALL_OPERATOR))
    url = reverse("clients:contract_edit", args=[company.pk, contract.pk])
    response = client.post(
        url,
        {
            "number": "2/25",
            "currency": "RUB",
            "status": "active",
            "starts_on": "2025-05-01",
            "ends_on": "2025-01-01",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "already has contract № 2/25" in html
    assert "cannot end before it starts" in html
    response = client.post(url, {"number": "1/25", "currency": "RUB", "status": "x"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    contract.refresh_from_db()
    assert contract.number == "1/25" and contract.ends_on is None
    assert not _events("clients.contract_updated")


def test_contract_errors_are_in_russian_for_a_russian_user(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    contract = _contract(company, "1/25")
    _contract(company, "2/25")
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    with translation.override("ru"):
        response = client.post(
            reverse("clients:contract_edit", args=[company.pk, contract.pk]),
            {"number": "2/25", "currency": "RUB", "status": "active"},
            HTTP_ACCEPT_LANGUAGE="ru",
        )
    assert response.status_code == 400
    assert "У этой компании уже есть договор № 2/25" in response.content.decode()


def test_deleting_a_contract_keeps_its_revenue_and_audits_both(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    contract = _contract(company, value=Decimal("10.00"))
    record = _revenue(company, contract=contract)
    client = login_as(make_staff(Role.SUPERVISOR))
    url = reverse("clients:contract_delete", args=[company.pk, contract.pk])
    page = client.get(url).content.decode()
    assert "1 revenue records refer to it" in page
    assert Contract.objects.filter(pk=contract.pk).exists()  # GET only asks
    response = client.post(url)
    assert response.status_code == 302
    assert not Contract.objects.filter(pk=contract.pk).exists()
    record.refresh_from_db()
    assert record.contract_id is None
    (event,) = _events("clients.contract_deleted")
    assert event.changes["number"] == ["1/25", None]
    assert event.changes["unlinked_revenue_records"] == [record.pk]


def test_outsider_roles_get_403_and_change_nothing(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    contract = _contract(company)
    record = _revenue(company)
    for role in (Role.ANALYST, Role.MARKETER):
        client = login_as(make_staff(role))
        for name, args in (
            ("contract_create", [company.pk]),
            ("contract_edit", [company.pk, contract.pk]),
            ("contract_delete", [company.pk, contract.pk]),
            ("revenue_create", [company.pk]),
            ("revenue_edit", [company.pk, record.pk]),
            ("revenue_delete", [company.pk, record.pk]),
        ):
            url = reverse(f"clients:{name}", args=args)
            assert client.get(url).status_code == 403, (role, name)
            assert client.post(url, {"number": "X", "amount": "1"}).status_code == 403
        # Reading the list is allowed, without the edit links.
        html = client.get(reverse("clients:revenue_list", args=[company.pk])).content.decode()
        assert reverse("clients:revenue_edit", args=[company.pk, record.pk]) not in html
    assert Contract.objects.filter(pk=contract.pk, number="1/25").exists()
    assert RevenueRecord.objects.filter(pk=record.pk, amount=Decimal("100")).exists()
    assert not AuditEvent.objects.filter(action__startswith="clients.contract").exists()


def test_portal_user_gets_403_and_anonymous_goes_to_login(
    make_portal_user, login_as, client
) -> None:
    company = CompanyFactory.create()
    record = _revenue(company)
    urls = [
        reverse("clients:revenue_list", args=[company.pk]),
        reverse("clients:revenue_edit", args=[company.pk, record.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 302
    portal = login_as(make_portal_user(company=company))
    for url in urls:
        assert portal.get(url).status_code == 403


def test_a_record_of_another_company_is_not_found(make_staff, login_as) -> None:
    mine, theirs = CompanyFactory.create(), CompanyFactory.create()
    contract = _contract(theirs)
    record = _revenue(theirs)
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    for url in (
        reverse("clients:contract_edit", args=[mine.pk, contract.pk]),
        reverse("clients:contract_delete", args=[mine.pk, contract.pk]),
        reverse("clients:revenue_edit", args=[mine.pk, record.pk]),
        reverse("clients:revenue_delete", args=[mine.pk, record.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert Contract.objects.filter(pk=contract.pk).exists()
    assert RevenueRecord.objects.filter(pk=record.pk).exists()


def test_card_links_to_the_edit_pages_only_for_editors(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    contract = _contract(company)
    _revenue(company)
    card = reverse("clients:company_detail", args=[company.pk])
    edit = reverse("clients:contract_edit", args=[company.pk, contract.pk])
    html = login_as(make_staff(Role.ACCOUNT_MANAGER)).get(card).content.decode()
    assert edit in html and reverse("clients:revenue_list", args=[company.pk]) in html
    html = login_as(make_staff(Role.ANALYST)).get(card).content.decode()
    assert edit not in html


# --- revenue records ---------------------------------------------------------------------------


def test_revenue_record_is_corrected_and_the_audit_lists_the_changes(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    contract = _contract(company)
    record = _revenue(company, amount="100", external_id="1C-77")
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    url = reverse("clients:revenue_edit", args=[company.pk, record.pk])
    assert 'value="100.00"' in client.get(url).content.decode()
    response = client.post(
        url,
        {"date": "2025-01-15", "amount": "1 234,56", "currency": "RUB", "contract": contract.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:revenue_list", args=[company.pk])
    record.refresh_from_db()
    assert record.amount == record.amount_base == Decimal("1234.56")
    assert record.contract == contract and record.date == datetime.date(2025, 1, 15)
    assert record.external_id == "1C-77"  # the form does not show it, so it is kept
    (event,) = _events("clients.revenue_updated")
    assert event.target_id == str(company.pk)
    assert event.changes["amount"] == ["100.00", "1234.56"]
    assert event.changes["contract_id"] == [None, contract.pk]
    assert "external_id" not in event.changes


def test_revenue_in_another_currency_needs_the_rouble_amount(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    record = _revenue(company)
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    url = reverse("clients:revenue_edit", args=[company.pk, record.pk])
    response = client.post(url, {"date": "2025-01-01", "amount": "10", "currency": "EUR"})
    assert response.status_code == 400
    assert "rate of the day" in response.content.decode()
    response = client.post(url, {"date": "2025-01-01", "amount": "", "currency": "RUB"})
    assert response.status_code == 400 and "Enter the amount" in response.content.decode()
    other = _contract(CompanyFactory.create(), "9/99")
    response = client.post(
        url, {"date": "2025-01-01", "amount": "5", "currency": "RUB", "contract": other.pk}
    )
    assert response.status_code == 400  # not among this company's contracts
    record.refresh_from_db()
    assert record.amount == Decimal("100") and record.currency == "RUB"
    response = client.post(
        url, {"date": "2025-01-01", "amount": "10", "currency": "EUR", "amount_base": "950,5"}
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.amount_base == Decimal("950.50") and record.currency == "EUR"


def test_revenue_record_is_deleted_with_an_audit_row(make_staff, login_as) -> None:
    company = CompanyFactory.create()
    record = _revenue(company, amount="42")
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    url = reverse("clients:revenue_delete", args=[company.pk, record.pk])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    assert not RevenueRecord.objects.filter(pk=record.pk).exists()
    (event,) = _events("clients.revenue_deleted")
    assert event.changes["revenue_record"] == record.pk
    assert event.changes["amount"] == ["42.00", None]


def test_revenue_list_pages_with_a_fixed_number_of_queries(
    make_staff, login_as, django_assert_num_queries
) -> None:
    company = CompanyFactory.create()
    offering = Offering.objects.create(code="srv", name="Сервис")
    contract = _contract(company)
    client = login_as(make_staff(Role.ACCOUNT_MANAGER))
    url = reverse("clients:revenue_list", args=[company.pk])
    for day in range(1, 4):
        _revenue(company, day=day, offering=offering, contract=contract)
    client.get(url)  # warm-up: session and caches
    # session, user, company, count, page of records (with service and contract joined)
    with django_assert_num_queries(5):
        small = client.get(url)
    RevenueRecord.objects.bulk_create(
        RevenueRecord(
            company=company,
            date=datetime.date(2024, 1 + i % 12, 1 + i % 28),
            amount=Decimal(i),
            amount_base=Decimal(i),
            offering=offering,
            contract=contract,
        )
        for i in range(120)
    )
    with django_assert_num_queries(5):
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    html = large.content.decode()
    assert "Page 1 of 3" in html and html.count(">Edit<") == 50
    # Another company's records are not listed.
    _revenue(CompanyFactory.create(), amount="777777")
    assert "777" not in client.get(url + "?page=3").content.decode().split("<tbody>")[1]


def test_service_rejects_a_duplicate_external_id_on_update() -> None:
    company = CompanyFactory.create()
    _revenue(company, day=1, external_id="A")
    record = _revenue(company, day=2, external_id="B")
    data = services.RevenueInput(
        date=record.date, amount=record.amount, currency="RUB", external_id="A"
    )
    with pytest.raises(services.ValidationError) as exc:
        services.revenue_record_update(record=record, data=data, by=None)
    assert "external_id" in exc.value.message_dict
