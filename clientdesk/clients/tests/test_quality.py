from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from clientdesk.clients import quality
from clientdesk.clients.models import Company, CompanyStatus, Contact, RegistrySettings, Todo
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in their English source text whatever the site language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


LONG_AGO = timezone.now() - datetime.timedelta(days=800)


def _configure(**kwargs):
    registry = RegistrySettings.load()
    for k, v in kwargs.items():
        setattr(registry, k, v)
    registry.save()
    return registry


def _age(*companies, verified_at=None):
    Company.objects.filter(pk__in=[c.pk for c in companies]).update(
        created_at=LONG_AGO, verified_at=verified_at
    )


def test_completeness_counts_configured_fields_and_names_what_is_missing():
    _configure(company_required_fields=["inn", "phone", "region"])
    company = CompanyFactory.create(phone="")
    percent, missing = quality.company_completeness(company)
    assert percent == 33
    assert missing == ["Phone", "Region"]


def test_completeness_uses_weights_when_given():
    _configure(company_required_fields={"inn": 3, "phone": 1})
    assert quality.company_completeness(CompanyFactory.create(phone=""))[0] == 75
    _configure(company_required_fields=[{"field": "inn", "weight": 1}, {"field": "phone"}])
    assert quality.company_completeness(CompanyFactory.create(phone=""))[0] == 50


def test_completeness_falls_back_to_defaults_when_empty_or_misconfigured():
    company = CompanyFactory.create()
    default = quality.company_completeness(company)
    assert "Key account manager" in default[1]
    _configure(company_required_fields=["no_such_field"])
    assert quality.company_completeness(company) == default


def test_required_fields_setting_is_checked_with_a_clear_message():
    with pytest.raises(ValidationError, match="not a field"):
        quality.clean_required_fields(Company, ["inn", "shoe_size"])
    with pytest.raises(ValidationError, match="weight"):
        quality.clean_required_fields(Company, {"inn": 0})
    assert quality.clean_required_fields(Company, ["inn"]) == {"inn": 1}


def test_contact_completeness_with_configured_fields():
    _configure(contact_required_fields=["email", "phone"])
    contact = ContactFactory.create(phone="")
    assert quality.contact_completeness(contact) == (50, ["Phone"])


def test_recompute_stores_scores_of_companies_and_contacts():
    _configure(company_required_fields=["inn", "phone"], contact_required_fields=["email"])
    full = CompanyFactory.create(phone="+74951234567")
    half = CompanyFactory.create(phone="")
    contact = ContactFactory.create(company=half)
    changed = quality.recompute_completeness()
    assert changed == 3
    assert Company.objects.get(pk=full.pk).completeness == 100
    assert Company.objects.get(pk=half.pk).completeness == 50
    assert Contact.objects.get(pk=contact.pk).completeness == 100
    assert quality.recompute_completeness([half.pk]) == 0


def test_months_before_handles_short_months():
    moment = datetime.datetime(2026, 3, 31, 12, tzinfo=datetime.UTC)
    assert quality.months_before(moment, 1) == datetime.datetime(
        2026, 2, 28, 12, tzinfo=datetime.UTC
    )
    assert quality.months_before(moment, 15).year == 2024


def test_staleness_opens_one_todo_per_company_even_when_run_twice(make_staff):
    kam = make_staff(Role.ACCOUNT_MANAGER)
    stale = CompanyFactory.create(account_manager=kam)
    never_verified = CompanyFactory.create()
    fresh = CompanyFactory.create()  # created just now: not stale yet
    recently_verified = CompanyFactory.create()
    lost = CompanyFactory.create(status=CompanyStatus.LOST)
    _age(stale, never_verified, lost, verified_at=None)
    _age(recently_verified, verified_at=timezone.now())
    Company.objects.filter(pk=stale.pk).update(verified_at=LONG_AGO)

    assert quality.flag_stale_records() == 2
    assert quality.flag_stale_records() == 0

    todos = Todo.objects.filter(kind=Todo.Kind.VERIFY)
    assert sorted(todos.values_list("company_id", flat=True)) == sorted(
        [stale.pk, never_verified.pk]
    )
    assert todos.get(company=stale).assignee == kam
    assert not Todo.objects.filter(company__in=[fresh, recently_verified, lost]).exists()
    assert AuditEvent.objects.filter(action="clients.verification_requested").count() == 2


def test_staleness_period_comes_from_settings():
    _configure(stale_after_months=60)
    company = CompanyFactory.create()
    _age(company)  # about 26 months ago
    assert quality.flag_stale_records() == 0


def test_mark_verified_stamps_closes_todo_and_audits(make_staff):
    kam = make_staff()
    company = CompanyFactory.create(account_manager=kam)
    _age(company)
    quality.flag_stale_records()
    quality.mark_verified(company=company, by=kam)
    company.refresh_from_db()
    assert company.verified_at is not None
    assert not Todo.objects.filter(company=company, done_at__isnull=True).exists()
    event = AuditEvent.objects.get(action="clients.company_verified")
    assert event.actor == kam
    # Verified now: a new run does not open another to-do.
    assert quality.flag_stale_records() == 0


# --- the page --------------------------------------------------------------------------------
def test_quality_page_lists_worst_first_with_summary(make_staff, login_as):
    kam = make_staff(Role.ACCOUNT_MANAGER)
    good = CompanyFactory.create(legal_name="Good", completeness=90)
    bad = CompanyFactory.create(legal_name="Bad", completeness=10)
    stale = CompanyFactory.create(legal_name="Stale", completeness=90)
    _age(stale)
    client = login_as(kam)
    response = client.get(reverse("clients:quality"))
    assert response.status_code == 200
    order = [row["company"].pk for row in response.context["rows"]]
    assert order == [bad.pk, stale.pk, good.pk]
    summary = response.context["summary"]
    assert summary["below_half"] == 1
    assert summary["stale"] == 1
    assert summary["total"] == 3
    assert "Phone" in response.context["rows"][0]["missing"]


def test_quality_page_filters_mine_and_status(make_staff, login_as):
    kam = make_staff()
    mine = CompanyFactory.create(account_manager=kam, status=CompanyStatus.ACTIVE)
    CompanyFactory.create(account_manager=make_staff())
    CompanyFactory.create(account_manager=kam, status=CompanyStatus.LOST)
    client = login_as(kam)
    response = client.get(reverse("clients:quality"), {"mine": "1", "status": "active"})
    assert [r["company"].pk for r in response.context["rows"]] == [mine.pk]


def test_quality_page_query_count_does_not_grow_with_rows(
    make_staff, login_as, django_assert_max_num_queries
):
    kam = make_staff()
    for _ in range(30):
        CompanyFactory.create(account_manager=make_staff())
    client = login_as(kam)
    RegistrySettings.load()
    with django_assert_max_num_queries(9):
        response = client.get(reverse("clients:quality"))
    assert len(response.context["rows"]) == 30


def test_mark_verified_button_returns_the_row_for_htmx(make_staff, login_as):
    kam = make_staff()
    company = CompanyFactory.create()
    _age(company)
    quality.flag_stale_records()
    response = login_as(kam).post(
        reverse("clients:mark_verified", args=[company.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert f'id="quality-row-{company.pk}"' in response.content.decode()
    company.refresh_from_db()
    assert company.verified_at is not None


def test_mark_verified_ignores_foreign_next_url(make_staff, login_as):
    company = CompanyFactory.create()
    response = login_as(make_staff()).post(
        reverse("clients:mark_verified", args=[company.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:quality")


def test_staff_without_edit_right_and_portal_users_get_403(make_staff, make_portal_user, login_as):
    company = CompanyFactory.create()
    marketer = make_staff(Role.MARKETER)
    client = login_as(marketer)
    assert client.get(reverse("clients:quality")).status_code == 403
    assert client.post(reverse("clients:mark_verified", args=[company.pk])).status_code == 403
    client = login_as(make_portal_user())
    assert client.get(reverse("clients:quality")).status_code == 403
    assert client.post(reverse("clients:mark_verified", args=[company.pk])).status_code == 403
    company.refresh_from_db()
    assert company.verified_at is None
