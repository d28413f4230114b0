"""REST API of the registry: reading, writing through services, allowlists, errors, access."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from clientdesk.clients.models import Company, Contact, Contract, Interaction, RevenueRecord
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory, valid_inn
from clientdesk.clients.validators import normalise_name
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(make_staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_staff(Role.ACCOUNT_MANAGER))
    return client


def company(name: str, **kwargs: object) -> Company:
    return CompanyFactory.create(legal_name=name, search_name=normalise_name(name), **kwargs)


def new_company(**extra: object) -> dict[str, object]:
    return {"legal_name": 'ООО "Ромашка"', "inn": valid_inn(901), "kpp": "770101001", **extra}


def test_anonymous_gets_401() -> None:
    response = APIClient().get("/api/v1/companies/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_portal_user_gets_403(make_portal_user) -> None:
    client = APIClient()
    client.force_authenticate(make_portal_user())
    assert client.get("/api/v1/companies/").status_code == 403
    assert client.get("/api/v1/contacts/").status_code == 403


def test_role_without_edit_reads_but_cannot_write(make_staff) -> None:
    target = company("Альфа")
    client = APIClient()
    client.force_authenticate(make_staff(Role.ANALYST))
    assert client.get("/api/v1/companies/").status_code == 200
    assert client.get(f"/api/v1/companies/{target.pk}/").status_code == 200
    refused = client.post("/api/v1/companies/", new_company(), format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert client.patch(f"/api/v1/companies/{target.pk}/", {"short_name": "x"}).status_code == 403
    assert (
        client.post(f"/api/v1/companies/{target.pk}/interactions/", {"channel": "phone"})
    ).status_code == 403
    assert Company.objects.count() == 1


def test_list_filters_and_cursor_pagination(api: APIClient) -> None:
    for n in range(5):
        company(f"Компания {n}", inn=valid_inn(n), status="active" if n % 2 else "lost")
    seen: list[int] = []
    url: str | None = "/api/v1/companies/?page_size=2"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == sorted(Company.objects.values_list("pk", flat=True), reverse=True)
    assert len(api.get("/api/v1/companies/?status=active").json()["results"]) == 2
    assert [
        r["inn"] for r in api.get(f"/api/v1/companies/?inn={valid_inn(3)}").json()["results"]
    ] == [valid_inn(3)]
    found = api.get("/api/v1/companies/", {"q": "компании 4"}).json()["results"]
    assert [r["legal_name"] for r in found] == ["Компания 4"]
    future = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert api.get("/api/v1/companies/", {"updated_since": future}).json()["results"] == []


def test_bad_filter_is_a_validation_error(api: APIClient) -> None:
    response = api.get("/api/v1/companies/", {"status": "bogus", "updated_since": "yesterday"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"status", "updated_since"}


def test_create_goes_through_the_service_and_is_audited(api: APIClient) -> None:
    response = api.post("/api/v1/companies/", new_company(phone="8 495 123 45 67"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    created = Company.objects.get(pk=body["id"])
    assert created.search_name == "ооо ромашка"
    assert created.phone == body["phone"] == "+74951234567"
    assert AuditEvent.objects.filter(action="clients.company_created").count() == 1


def test_bad_inn_is_a_validation_error_in_the_common_shape(api: APIClient) -> None:
    response = api.post("/api/v1/companies/", new_company(inn="7701234567"), format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    assert "7701234567" in error["fields"]["inn"][0]
    assert Company.objects.count() == 0


def test_missing_name_is_a_validation_error(api: APIClient) -> None:
    response = api.post("/api/v1/companies/", {"inn": ""}, format="json")
    assert response.status_code == 400
    assert "legal_name" in response.json()["error"]["fields"]


def test_fields_outside_the_allowlist_change_nothing(api: APIClient, make_staff) -> None:
    other = make_staff()
    survivor = company("Бета")
    target = company("Альфа", completeness=10)
    before = Company.objects.get(pk=target.pk)
    forbidden = {
        "account_manager": other.pk,
        "search_name": "hacked",
        "completeness": 100,
        "merged_into": survivor.pk,
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "id": 999,
    }
    response = api.patch(
        f"/api/v1/companies/{target.pk}/", {"short_name": "Альфочка", **forbidden}, format="json"
    )
    assert response.status_code == 200, response.json()
    after = Company.objects.get(pk=target.pk)
    assert after.short_name == "Альфочка"
    assert after.account_manager_id is None
    assert after.search_name == before.search_name
    assert after.merged_into_id is None
    assert after.created_at == before.created_at
    assert after.completeness != 100
    created = api.post("/api/v1/companies/", new_company(**forbidden), format="json").json()
    fresh = Company.objects.get(pk=created["id"])
    assert fresh.account_manager_id is None and fresh.merged_into_id is None
    assert fresh.search_name == "ооо ромашка" and fresh.pk != 999


def test_partial_update_keeps_other_fields_and_validates(api: APIClient) -> None:
    target = company("Альфа", inn=valid_inn(7), kpp="770101001", status="active")
    assert api.patch(f"/api/v1/companies/{target.pk}/", {"status": "dormant"}).status_code == 200
    target.refresh_from_db()
    assert (target.status, target.inn, target.legal_name) == ("dormant", valid_inn(7), "Альфа")
    bad = api.patch(f"/api/v1/companies/{target.pk}/", {"phone": "12"})
    assert bad.status_code == 400
    assert "phone" in bad.json()["error"]["fields"]


def test_merged_company_is_not_served(api: APIClient) -> None:
    survivor = company("Бета")
    merged = company("Альфа", merged_into=survivor)
    assert api.get(f"/api/v1/companies/{merged.pk}/").status_code == 404


def test_contacts_are_created_under_their_company_only(api: APIClient) -> None:
    mine, other = company("Альфа"), company("Бета")
    response = api.post(
        f"/api/v1/companies/{mine.pk}/contacts/",
        {"last_name": "Иванов", "first_name": "Иван", "company": other.pk, "phone": "84951234567"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    person = Contact.objects.get(pk=response.json()["id"])
    assert person.company_id == mine.pk
    assert person.points.get().value == "+74951234567"
    moved = api.patch(f"/api/v1/contacts/{person.pk}/", {"company": other.pk, "position": "CEO"})
    assert moved.status_code == 200
    person.refresh_from_db()
    assert (person.company_id, person.position) == (mine.pk, "CEO")
    listed = api.get(f"/api/v1/companies/{mine.pk}/contacts/").json()["results"]
    assert [p["id"] for p in listed] == [person.pk]
    assert (
        api.get("/api/v1/contacts/", {"q": "+7 495 123-45-67"}).json()["results"][0]["id"]
        == person.pk
    )


def test_erased_contact_is_not_served(api: APIClient) -> None:
    person = ContactFactory.create(erased_at=timezone.now())
    assert api.get(f"/api/v1/contacts/{person.pk}/").status_code == 404
    assert api.get("/api/v1/contacts/").json()["results"] == []


def test_interaction_is_recorded_by_the_caller(api: APIClient) -> None:
    target = company("Альфа")
    stranger = ContactFactory.create()
    response = api.post(
        f"/api/v1/companies/{target.pk}/interactions/",
        {"channel": "phone", "subject": "Звонок", "staff": 999, "source": "forged"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    entry = Interaction.objects.get()
    assert entry.staff is not None and entry.source == ""
    wrong = api.post(
        f"/api/v1/companies/{target.pk}/interactions/",
        {"channel": "phone", "subject": "x", "contact": stranger.pk},
        format="json",
    )
    assert wrong.status_code == 400
    assert "contact" in wrong.json()["error"]["fields"]
    assert len(api.get(f"/api/v1/companies/{target.pk}/interactions/").json()["results"]) == 1


def test_contracts_and_revenue(api: APIClient) -> None:
    target = company("Альфа")
    contract = api.post(
        f"/api/v1/companies/{target.pk}/contracts/",
        {"number": "15/2026", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
        format="json",
    )
    assert contract.status_code == 201, contract.json()
    backwards = api.post(
        f"/api/v1/companies/{target.pk}/contracts/",
        {"number": "16", "starts_on": "2026-02-01", "ends_on": "2026-01-01"},
        format="json",
    )
    assert "ends_on" in backwards.json()["error"]["fields"]
    revenue = api.post(
        f"/api/v1/companies/{target.pk}/revenue/",
        {"date": "2026-03-01", "amount": "1000.00", "contract": contract.json()["id"]},
        format="json",
    )
    assert revenue.status_code == 201, revenue.json()
    assert RevenueRecord.objects.get().amount_base == 1000
    assert (
        api.get("/api/v1/contracts/", {"company": target.pk}).json()["results"][0]["number"]
        == "15/2026"
    )
    assert api.get(f"/api/v1/contracts/{Contract.objects.get().pk}/").status_code == 200
    assert len(api.get("/api/v1/revenue/", {"date_from": "2026-02-01"}).json()["results"]) == 1
    assert api.get("/api/v1/revenue/", {"date_from": "2026-04-01"}).json()["results"] == []
