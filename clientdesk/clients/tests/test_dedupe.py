from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from clientdesk.clients import dedupe
from clientdesk.clients.models import ContactPoint, DuplicateCandidate, GroupRole
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db
COMPANY = DuplicateCandidate.Kind.COMPANY
CONTACT = DuplicateCandidate.Kind.CONTACT


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted in their English source text whatever the site language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _pairs(kind=COMPANY):
    return {(c.left_id, c.right_id): c for c in DuplicateCandidate.objects.filter(kind=kind)}


def test_typo_in_name_is_found_with_an_explained_reason():
    a = CompanyFactory.create(legal_name='ООО "Ромашка Трейд"', inn="")
    # A Latin "a" and a dropped letter: the same company typed twice.
    b = CompanyFactory.create(legal_name="Ромашкa Трэйд", inn="")
    CompanyFactory.create(legal_name='АО "Василёк"', inn="")
    assert dedupe.find_duplicates(COMPANY) == 1
    candidate = _pairs()[(a.pk, b.pk)]
    assert candidate.score >= 60
    assert any("similar" in r and "Ромашка Трейд" in r for r in candidate.reasons)


def test_same_phone_pair_is_found_and_unrelated_companies_are_not():
    a = CompanyFactory.create(legal_name="Альфа", inn="", phone="+7 (495) 123-45-67")
    b = CompanyFactory.create(legal_name="ТД Альфа-М", inn="", phone="84951234567")
    CompanyFactory.create(legal_name="Бета", inn="", phone="+74950000000")
    CompanyFactory.create(legal_name="Гамма", inn="")
    dedupe.find_duplicates(COMPANY)
    pairs = _pairs()
    assert list(pairs) == [(a.pk, b.pk)]
    assert "same phone +74951234567" in pairs[(a.pk, b.pk)].reasons


def test_same_inn_with_empty_kpp_is_a_duplicate_but_branches_are_not():
    head = CompanyFactory.create(inn="7707083893", kpp="770701001", legal_name="Сбер")
    twin = CompanyFactory.create(inn="7707083893", kpp="", legal_name="Совсем другое имя")
    CompanyFactory.create(
        inn="7707083893",
        kpp="773601001",
        legal_name="Сбер филиал",
        parent=head,
        group_role=GroupRole.BRANCH,
    )
    dedupe.find_duplicates(COMPANY)
    pairs = _pairs()
    assert list(pairs) == [(head.pk, twin.pk)]
    assert "same INN 7707083893" in pairs[(head.pk, twin.pk)].reasons


def test_same_ogrn_is_a_duplicate():
    a = CompanyFactory.create(ogrn="1027700132195", legal_name="Первая")
    b = CompanyFactory.create(ogrn="1027700132195", legal_name="Вторая", inn="")
    dedupe.find_duplicates(COMPANY)
    assert (a.pk, b.pk) in _pairs()


def test_different_inns_outweigh_a_similar_name():
    CompanyFactory.create(legal_name="Ромашка")  # the factory gives each a distinct valid INN
    CompanyFactory.create(legal_name="Ромашка")
    assert dedupe.find_duplicates(COMPANY) == 0


def test_rerun_neither_duplicates_nor_reopens_dismissed(make_staff):
    a = CompanyFactory.create(legal_name="Ромашка", inn="")
    b = CompanyFactory.create(legal_name="Ромашкаа", inn="")
    assert dedupe.find_duplicates(COMPANY) == 1
    assert dedupe.find_duplicates(COMPANY) == 0
    candidate = DuplicateCandidate.objects.get()
    dedupe.dismiss_candidate(candidate=candidate, by=make_staff())
    assert dedupe.find_duplicates(COMPANY) == 0
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.DISMISSED
    assert (candidate.left_id, candidate.right_id) == (a.pk, b.pk)


def test_incremental_run_only_looks_at_given_companies():
    CompanyFactory.create(legal_name="Ромашка", inn="")
    CompanyFactory.create(legal_name="Ромашкаа", inn="")
    new = CompanyFactory.create(legal_name="Лютик", inn="")
    CompanyFactory.create(legal_name="Лютикк", inn="")
    assert dedupe.find_duplicates(COMPANY, company_ids=[new.pk]) == 1
    assert dedupe.find_duplicates(COMPANY) == 1


def test_contacts_similar_name_in_same_company_and_same_email_across_companies():
    company = CompanyFactory.create()
    a = ContactFactory.create(company=company, last_name="Иванов", first_name="Сергей", email="")
    b = ContactFactory.create(company=company, last_name="Иваноф", first_name="Сергей", email="")
    moved = ContactFactory.create(last_name="Смирнова", first_name="Анна", email="")
    ContactPoint.objects.create(contact=moved, kind="email", value="anna@romashka.ru")
    again = ContactFactory.create(last_name="Смирнова", first_name="Анна", email="Anna@romashka.ru")
    ContactFactory.create(company=company, last_name="Петров", email="")
    assert dedupe.find_duplicates(CONTACT) == 2
    pairs = _pairs(CONTACT)
    assert set(pairs) == {(a.pk, b.pk), (moved.pk, again.pk)}
    assert "same e-mail anna@romashka.ru" in pairs[(moved.pk, again.pk)].reasons


def test_shared_switchboard_does_not_make_colleagues_duplicates():
    company = CompanyFactory.create()
    ContactFactory.create(
        company=company, last_name="Иванов", first_name="Сергей", phone="+74951234567"
    )
    ContactFactory.create(
        company=company, last_name="Кузнецова", first_name="Ольга", phone="+74951234567"
    )
    assert dedupe.find_duplicates(CONTACT) == 0


def test_blocking_compares_far_fewer_pairs_than_all(monkeypatch):
    monkeypatch.setattr(dedupe, "MAX_BLOCK", 200)
    rows = [
        dedupe.CompanyRow(id=i, name=dedupe.name_key(f"компания {i:05d} {chr(0x430 + i % 32)}"))
        for i in range(3000)
    ]
    stats = dedupe.Stats()
    found = dedupe.company_pairs(rows, stats=stats)
    assert stats.compared < 3000 * 3000 / 10
    assert found == {}  # "компания 00001" and "компания 00002" differ by their numbers


# --- the review pages ------------------------------------------------------------------------
def test_review_list_and_comparison_pages(make_staff, login_as, django_assert_max_num_queries):
    for n in range(5):
        CompanyFactory.create(legal_name=f"Лютик {n}0", inn="")
        CompanyFactory.create(legal_name=f"Лютик {n}0а", inn="")
    dedupe.find_duplicates(COMPANY)
    client = login_as(make_staff(Role.SUPERVISOR))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("clients:duplicates"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == DuplicateCandidate.objects.count() >= 5
    candidate = DuplicateCandidate.objects.order_by("pk")[0]
    response = client.get(reverse("clients:duplicate_detail", args=[candidate.pk]))
    assert response.status_code == 200
    assert "legal_name" in [r["name"] for r in response.context["rows"]]


def test_dismiss_via_page(make_staff, login_as):
    CompanyFactory.create(legal_name="Ромашка", inn="")
    CompanyFactory.create(legal_name="Ромашкаа", inn="")
    dedupe.find_duplicates(COMPANY)
    candidate = DuplicateCandidate.objects.get()
    response = login_as(make_staff()).post(
        reverse("clients:duplicate_dismiss", args=[candidate.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.DISMISSED


def test_call_operator_and_portal_user_cannot_review(make_staff, make_portal_user, login_as):
    CompanyFactory.create(legal_name="Ромашка", inn="")
    CompanyFactory.create(legal_name="Ромашкаа", inn="")
    dedupe.find_duplicates(COMPANY)
    candidate = DuplicateCandidate.objects.get()
    for user in (make_staff(Role.CALL_OPERATOR), make_portal_user()):
        client = login_as(user)
        assert client.get(reverse("clients:duplicates")).status_code == 403
        assert (
            client.get(reverse("clients:duplicate_detail", args=[candidate.pk])).status_code == 403
        )
        url = reverse("clients:duplicate_dismiss", args=[candidate.pk])
        assert client.post(url).status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == DuplicateCandidate.Status.OPEN


def test_contact_comparison_page_and_a_pair_whose_record_is_gone(make_staff, login_as):
    company = CompanyFactory.create()
    a = ContactFactory.create(company=company, last_name="Иванов", first_name="Сергей")
    ContactFactory.create(company=company, last_name="Иваноф", first_name="Сергей")
    dedupe.find_duplicates(CONTACT)
    candidate = DuplicateCandidate.objects.get(kind=CONTACT)
    client = login_as(make_staff())
    response = client.get(reverse("clients:duplicate_detail", args=[candidate.pk]))
    assert response.status_code == 200
    assert "last_name" in [r["name"] for r in response.context["rows"]]
    a.delete()
    response = client.get(reverse("clients:duplicate_detail", args=[candidate.pk]))
    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()
