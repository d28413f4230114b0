from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from clientdesk.accounts.tests.factories import PortalUserFactory
from clientdesk.clients import dedupe, merge
from clientdesk.clients.models import (
    Company,
    Consent,
    Contact,
    ContactPoint,
    Contract,
    DuplicateCandidate,
    Interaction,
    MergeRecord,
    RevenueRecord,
    Tag,
    Todo,
)
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.core.models import AuditEvent
from clientdesk.core.roles import Role
from clientdesk.portal.models import PortalAccount

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in their English source text whatever the site language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


TODAY = datetime.date(2026, 1, 15)


def _company_with_everything(**kwargs):
    """A company with one row of every kind that can point at a company."""
    company = CompanyFactory.create(**kwargs)
    contact = ContactFactory.create(company=company)
    ContactPoint.objects.create(contact=contact, kind="phone", value="+74951234567")
    Consent.objects.create(
        contact=contact, purpose="marketing", given_at=timezone.now(), source="paper"
    )
    Interaction.objects.create(
        company=company, contact=contact, channel="phone", occurred_at=timezone.now(), subject="Hi"
    )
    Contract.objects.create(company=company, number="1/2026")
    Contract.objects.create(company=company, number="7/2026")
    RevenueRecord.objects.create(
        company=company, date=TODAY, amount=Decimal(100), amount_base=Decimal(100)
    )
    Todo.objects.create(company=company, kind=Todo.Kind.VERIFY, title="Verify")
    PortalAccount.objects.create(user=PortalUserFactory.create(), company=company, role="member")
    CompanyFactory.create(parent=company, legal_name="Дочка")
    company.tags.add(Tag.objects.create(name="vip"), Tag.objects.get_or_create(name="shared")[0])
    return company


@pytest.fixture
def pair(make_staff):
    survivor = CompanyFactory.create(legal_name="Ромашка", phone="")
    survivor.tags.add(Tag.objects.get_or_create(name="shared")[0])
    Contract.objects.create(company=survivor, number="1/2026")
    Todo.objects.create(company=survivor, kind=Todo.Kind.VERIFY, title="Verify")
    merged = _company_with_everything(legal_name="Ромашкаа", phone="+74951234567")
    # Someone else's portal account also sees the merged company.
    other = PortalAccount.objects.create(
        user=PortalUserFactory.create(), company=CompanyFactory.create(), role="member"
    )
    other.extra_companies.add(merged)
    left, right = sorted((survivor.pk, merged.pk))
    DuplicateCandidate.objects.create(kind="company", left_id=left, right_id=right, score=90)
    return survivor, merged, make_staff(Role.SUPERVISOR)


def test_merge_moves_every_related_row_and_counts_them(pair):
    survivor, merged, by = pair
    record = merge.merge_companies(
        survivor=survivor, merged=merged, field_choices={"phone": "merged"}, by=by, reason="dup"
    )

    for model in (Contact, Interaction, Contract, RevenueRecord, Todo, PortalAccount):
        assert not model.objects.filter(company=merged).exists(), model
    assert Company.objects.filter(parent=survivor, legal_name="Дочка").exists()
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["shared", "vip"]
    assert PortalAccount.objects.filter(extra_companies=survivor).count() == 1
    assert Consent.objects.filter(contact__company=survivor).count() == 1

    assert record.moved["contacts"] == 1
    assert record.moved["interactions"] == 1
    assert record.moved["contracts"] == 2
    assert record.moved["revenue"] == 1
    assert record.moved["todos"] == 1
    assert record.moved["portal_accounts"] == 1
    assert record.moved["children"] == 1
    assert record.moved["tags"] == 1  # "shared" was there already
    assert record.moved["portal.portalaccount.extra_companies"] == 1
    assert record.moved["consents (with contacts)"] == 1

    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert merged.merged_into == survivor
    assert survivor.phone == "+74951234567"
    assert record.fields_taken == {"phone": {"from": "", "to": "+74951234567"}}
    assert record.merged_snapshot["legal_name"] == "Ромашкаа"
    assert DuplicateCandidate.objects.get().status == DuplicateCandidate.Status.MERGED
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"clients.company_merged", "clients.company_merged_into"} <= actions


def test_contract_number_clash_is_renumbered_and_noted(pair):
    survivor, merged, by = pair
    record = merge.merge_companies(survivor=survivor, merged=merged, field_choices={}, by=by)
    numbers = sorted(Contract.objects.filter(company=survivor).values_list("number", flat=True))
    assert numbers == ["1/2026", "1/2026-2", "7/2026"]
    assert record.moved["contracts renumbered"] == 1
    assert any("1/2026-2" in note for note in record.moved["notes"])


def test_only_one_open_verification_survives(pair):
    survivor, merged, by = pair
    merge.merge_companies(survivor=survivor, merged=merged, field_choices={}, by=by)
    open_verify = Todo.objects.filter(company=survivor, kind="verify", done_at__isnull=True)
    assert open_verify.count() == 1


def test_survivor_may_take_the_merged_inn(pair):
    survivor, merged, by = pair
    merge.merge_companies(
        survivor=survivor, merged=merged, field_choices={"inn": "merged", "kpp": "merged"}, by=by
    )
    survivor.refresh_from_db()
    assert (survivor.inn, survivor.kpp) == (merged.inn, merged.kpp)


def test_merge_is_atomic(pair, monkeypatch):
    survivor, merged, by = pair

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge, "_close_candidates", explode)
    with pytest.raises(RuntimeError):
        merge.merge_companies(
            survivor=survivor, merged=merged, field_choices={"phone": "merged"}, by=by
        )
    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert merged.merged_into is None
    assert survivor.phone == ""
    assert Contact.objects.filter(company=merged).count() == 1
    assert Contract.objects.get(company=merged, number="1/2026")
    assert PortalAccount.objects.filter(company=merged).count() == 1
    assert merged.tags.count() == 2
    assert not MergeRecord.objects.exists()
    assert DuplicateCandidate.objects.get().status == DuplicateCandidate.Status.OPEN


def test_merge_rejects_bad_choices_and_merged_records(pair):
    survivor, merged, by = pair
    with pytest.raises(merge.MergeError, match="cannot be chosen"):
        merge.merge_companies(survivor=survivor, merged=merged, field_choices={"id": "x"}, by=by)
    with pytest.raises(merge.MergeError, match="choose"):
        merge.merge_companies(survivor=survivor, merged=merged, field_choices={"inn": "x"}, by=by)
    merge.merge_companies(survivor=survivor, merged=merged, field_choices={}, by=by)
    with pytest.raises(merge.MergeError, match="already been merged"):
        merge.merge_companies(survivor=survivor, merged=merged, field_choices={}, by=by)


def test_merged_company_is_not_proposed_again(pair):
    survivor, merged, by = pair
    merge.merge_companies(survivor=survivor, merged=merged, field_choices={}, by=by)
    dedupe.find_duplicates("company")
    assert DuplicateCandidate.objects.filter(status="open").count() == 0


def test_service_refuses_a_user_without_the_merge_right(pair, make_staff):
    survivor, merged, _by = pair
    with pytest.raises(PermissionDenied):
        merge.merge_companies(
            survivor=survivor, merged=merged, field_choices={}, by=make_staff(Role.CALL_OPERATOR)
        )


# --- contacts --------------------------------------------------------------------------------
def test_merge_contacts_unites_points_and_moves_history(make_staff):
    by = make_staff(Role.SUPERVISOR)
    company = CompanyFactory.create()
    keep = ContactFactory.create(company=company, phone="")
    gone = ContactFactory.create(company=company, last_name="Петроф", phone="+74951234567")
    ContactPoint.objects.create(contact=keep, kind="email", value="p@x.ru", is_primary=True)
    ContactPoint.objects.create(contact=gone, kind="email", value="p@x.ru")
    ContactPoint.objects.create(contact=gone, kind="email", value="p2@x.ru", is_primary=True)
    Consent.objects.create(contact=gone, purpose="surveys", given_at=timezone.now(), source="paper")
    Interaction.objects.create(
        company=company, contact=gone, channel="phone", occurred_at=timezone.now(), subject="Hi"
    )
    todo = Todo.objects.create(company=company, contact=gone, kind="call_back", title="Call")
    portal = PortalAccount.objects.create(
        user=PortalUserFactory.create(), company=company, contact=gone, role="member"
    )

    record = merge.merge_contacts(
        survivor=keep, merged=gone, field_choices={"phone": "merged"}, by=by
    )

    assert not Contact.objects.filter(pk=gone.pk).exists()
    values = sorted(keep.points.values_list("value", "is_primary"))
    assert values == [("p2@x.ru", False), ("p@x.ru", True)]
    assert keep.consents.count() == 1
    assert keep.interactions.count() == 1
    todo.refresh_from_db()
    portal.refresh_from_db()
    assert todo.contact == keep
    assert portal.contact == keep
    keep.refresh_from_db()
    assert keep.phone == "+74951234567"
    assert record.moved["points"] == 1
    assert record.moved["points already present"] == 1
    assert record.merged_snapshot["last_name"] == "Петроф"


# --- pages -----------------------------------------------------------------------------------
def test_merge_through_the_review_page(pair, login_as):
    survivor, _merged, by = pair
    candidate = DuplicateCandidate.objects.get()
    left_is_survivor = candidate.left_id == survivor.pk
    client = login_as(by)
    response = client.post(
        reverse("clients:duplicate_merge", args=[candidate.pk]),
        {
            "survivor": "left" if left_is_survivor else "right",
            "f_legal_name": "right" if left_is_survivor else "left",  # take the merged name
            "f_phone": "left" if left_is_survivor else "right",
            "reason": "same client",
        },
    )
    record = MergeRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:merge_detail", args=[record.pk])
    survivor.refresh_from_db()
    assert survivor.legal_name == "Ромашкаа"
    assert survivor.phone == ""
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "1/2026-2" in page.content.decode()
    assert client.get(reverse("clients:merge_list")).status_code == 200


def test_review_page_shows_errors_without_merging(pair, login_as):
    _survivor, _merged, by = pair
    candidate = DuplicateCandidate.objects.get()
    response = login_as(by).post(reverse("clients:duplicate_merge", args=[candidate.pk]), {})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not MergeRecord.objects.exists()


def test_call_operator_and_portal_user_cannot_merge(pair, make_staff, make_portal_user, login_as):
    _survivor, merged, _by = pair
    candidate = DuplicateCandidate.objects.get()
    record = merge.MergeRecord.objects.create(kind="company", survivor_id=1, merged_id=2)
    for user in (make_staff(Role.CALL_OPERATOR), make_portal_user()):
        client = login_as(user)
        response = client.post(
            reverse("clients:duplicate_merge", args=[candidate.pk]), {"survivor": "left"}
        )
        assert response.status_code == 403
        assert client.get(reverse("clients:merge_detail", args=[record.pk])).status_code == 403
        assert client.get(reverse("clients:merge_list")).status_code == 403
    merged.refresh_from_db()
    assert merged.merged_into is None


def test_survivor_that_was_the_merged_companys_child_takes_over_its_parent(make_staff):
    grand = CompanyFactory.create()
    merged = CompanyFactory.create(parent=grand)
    survivor = CompanyFactory.create(parent=merged)
    sibling = CompanyFactory.create(parent=merged)
    record = merge.merge_companies(
        survivor=survivor, merged=merged, field_choices={}, by=make_staff(Role.SUPERVISOR)
    )
    survivor.refresh_from_db()
    sibling.refresh_from_db()
    assert survivor.parent == grand
    assert sibling.parent == survivor
    assert record.moved["children"] == 1


def test_contact_merge_record_page_explains_the_merge(make_staff, login_as):
    by = make_staff(Role.SUPERVISOR)
    company = CompanyFactory.create()
    keep = ContactFactory.create(company=company)
    gone = ContactFactory.create(company=company, last_name="Петроф")
    record = merge.merge_contacts(survivor=keep, merged=gone, field_choices={}, by=by)
    response = login_as(by).get(reverse("clients:merge_detail", args=[record.pk]))
    assert response.status_code == 200
    assert "Петроф" in response.content.decode()
    assert "deleted after the merge" in response.content.decode()


@pytest.mark.django_db
def test_card_of_a_merged_company_leads_to_the_survivor(make_staff, login_as) -> None:
    from django.urls import reverse

    from clientdesk.clients.tests.factories import CompanyFactory
    from clientdesk.core.roles import Role

    survivor = CompanyFactory.create()
    merged = CompanyFactory.create(inn="", merged_into=survivor)
    response = login_as(make_staff(Role.CALL_OPERATOR)).get(
        reverse("clients:company_detail", args=[merged.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company_detail", args=[survivor.pk])
