"""The company and contact list pages: filters, sorting, keyset pages, live search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clientdesk.clients import search
from clientdesk.clients.models import Company, CompanyStatus, Industry, Region, SizeBand, Tag
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory, valid_inn
from clientdesk.clients.validators import normalise_name
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db


def company(name: str, **kwargs: object) -> Company:
    return CompanyFactory.create(legal_name=name, search_name=normalise_name(name), **kwargs)


def listed(params: dict[str, str], user: object = None) -> list[str]:
    return [c.legal_name for c in search.filter_companies(params, user=user)]


def test_filters_each_narrow_the_list(make_staff) -> None:
    manager = make_staff(Role.ACCOUNT_MANAGER)
    region = Region.objects.create(code="66", name="Свердловская область")
    industry = Industry.objects.create(code="62.01", section="J", name="Разработка ПО")
    tag = Tag.objects.create(name="VIP")
    a = company("Альфа", status=CompanyStatus.ACTIVE, account_manager=manager, completeness=90)
    b = company("Бета", status=CompanyStatus.LOST, region=region, completeness=40)
    c = company("Гамма", legal_form="АО", industry=industry, size_band=SizeBand.SMALL)
    a.tags.add(tag)
    assert listed({}) == ["Альфа", "Бета", "Гамма"]
    assert listed({"status": "lost"}) == ["Бета"]
    assert listed({"account_manager": str(manager.pk)}) == ["Альфа"]
    assert listed({"mine": "1"}, user=manager) == ["Альфа"]
    assert listed({"region": str(region.pk)}) == ["Бета"]
    assert listed({"industry": str(industry.pk)}) == ["Гамма"]
    assert listed({"section": "j"}) == ["Гамма"]
    assert listed({"size": "small"}) == ["Гамма"]
    assert listed({"size": "unknown"}) == ["Альфа", "Бета"]
    assert listed({"tag": str(tag.pk)}) == ["Альфа"]
    assert listed({"legal_form": "АО"}) == ["Гамма"]
    assert listed({"completeness_below": "50"}) == ["Бета", "Гамма"]
    assert listed({"status": "lost", "q": "альфа"}) == []
    # Nonsense in a numeric filter is ignored rather than a server error.
    assert listed({"region": "abc"}) == ["Альфа", "Бета", "Гамма"]
    assert c.pk and b.pk


def test_sorting_by_inn_and_completeness() -> None:
    company("Бета", inn=valid_inn(2), completeness=10)
    company("Альфа", inn=valid_inn(3), completeness=50)
    company("Гамма", inn=valid_inn(1), completeness=30)
    assert listed({"sort": "inn"}) == ["Гамма", "Бета", "Альфа"]
    assert listed({"sort": "-completeness"}) == ["Альфа", "Гамма", "Бета"]
    assert listed({"sort": "-name"}) == ["Гамма", "Бета", "Альфа"]
    assert listed({"sort": "bogus"}) == ["Альфа", "Бета", "Гамма"]


@pytest.mark.parametrize("sort", ["name", "-name", "inn", "-completeness", "updated"])
def test_keyset_pages_cover_every_row_once_both_ways(sort: str) -> None:
    for n in range(23):
        # Equal sort values on purpose: the id breaks ties.
        company(f"Компания {n % 5}", inn=valid_inn(n), completeness=n % 3 * 10)
    qs = search.filter_companies({"sort": sort})
    expected = [c.pk for c in qs]
    seen, pages, after = [], [], ""
    while True:
        page = search.keyset_page(qs, after=after, size=5)
        pages.append(page)
        seen += [c.pk for c in page]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert seen == expected
    assert len(pages) == 5
    assert not pages[0].prev_cursor
    back = search.keyset_page(qs, before=pages[-1].prev_cursor, size=5)
    assert [c.pk for c in back] == [c.pk for c in pages[-2]]
    assert back.next_cursor and back.prev_cursor


def test_broken_cursor_shows_first_page() -> None:
    company("Альфа")
    assert len(search.keyset_page(search.filter_companies({}), after="!!garbage")) == 1


def test_company_list_page_with_filters_and_bounded_queries(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    user = make_staff(Role.ACCOUNT_MANAGER)
    Region.objects.create(code="77", name="Москва")
    tag = Tag.objects.create(name="VIP")
    for n in range(60):
        c = company(f"Компания {n:02d}", account_manager=user)
        c.tags.add(tag)
    client = login_as(user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("clients:company_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Компания 00" in page and "Компания 50" not in page
    assert 'rel="next"' in page
    assert response.context["total"] == 60 and not response.context["total_capped"]
    next_page = client.get(
        reverse("clients:company_list"), {"after": response.context["page"].next_cursor}
    )
    assert "Компания 59" in next_page.content.decode()
    with django_assert_max_num_queries(10):
        filtered = client.get(reverse("clients:company_list"), {"q": "компании 07", "mine": "1"})
    assert [c.legal_name for c in filtered.context["page"]] == ["Компания 07"]


def test_live_search_returns_only_the_results_block(make_staff, login_as) -> None:
    company('ООО "Ромашка"')
    company("ТехноСервис-Урал")
    client = login_as(make_staff(Role.CALL_OPERATOR))
    response = client.get(
        reverse("clients:company_list"), {"q": "ромашки"}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "Ромашка" in body and "ТехноСервис" not in body


def test_count_is_capped_on_big_lists(make_staff, login_as) -> None:
    Company.objects.bulk_create(
        [Company(legal_name=f"Ф{n}", search_name=f"ф{n}") for n in range(search.COUNT_CAP + 5)]
    )
    response = login_as(make_staff()).get(reverse("clients:company_list"))
    assert response.context["total_capped"] is True
    assert response.context["total"] == search.COUNT_CAP


def test_contact_list_filters_search_and_bounded_queries(
    make_staff, login_as, django_assert_max_num_queries
) -> None:
    user = make_staff()
    mine = company("Альфа", account_manager=user)
    other = company("Бета")
    for n in range(55):
        ContactFactory(company=mine if n % 2 else other, last_name=f"Иванов{n:02d}")
    ContactFactory(
        company=mine,
        last_name="Сидорова",
        first_name="Анна",
        search_name="сидорова анна",
        left_company=True,
    )
    client = login_as(user)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("clients:contact_list"))
    assert response.status_code == 200
    assert len(response.context["page"]) == 50
    found = client.get(reverse("clients:contact_list"), {"q": "сидоровой"})
    assert [p.last_name for p in found.context["page"]] == ["Сидорова"]
    left = client.get(reverse("clients:contact_list"), {"left": "yes"})
    assert [p.last_name for p in left.context["page"]] == ["Сидорова"]
    assert search.filter_contacts({"mine": "1"}, user=user).count() == 28


def test_portal_user_and_anonymous_are_kept_out(make_portal_user, login_as, client) -> None:
    anonymous = client.get(reverse("clients:company_list"))
    assert anonymous.status_code == 302
    portal = login_as(make_portal_user())
    assert portal.get(reverse("clients:company_list")).status_code == 403
    assert portal.get(reverse("clients:contact_list")).status_code == 403


def test_company_rows_link_to_the_company(make_staff, login_as) -> None:
    c = company("Альфа")
    response = login_as(make_staff()).get(reverse("clients:company_list"))
    assert reverse("clients:company_detail", args=[c.pk]) in response.content.decode()


def test_list_page_bounds_a_broad_search_but_the_export_filter_does_not(
    make_staff, login_as
) -> None:
    Company.objects.bulk_create(
        [Company(legal_name=f"Фирма {n}", search_name=f"фирма {n}") for n in range(1010)]
    )
    response = login_as(make_staff()).get(reverse("clients:company_list"), {"q": "фирмы"})
    assert response.context["search_capped"] is True
    assert len(response.context["page"]) == 50
    assert search.filter_companies({"q": "фирмы"}).count() == 1010
