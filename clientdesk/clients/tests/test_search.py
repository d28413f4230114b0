"""Search across companies and contact persons: names in any form, typos, identifiers."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from clientdesk.clients import search, services
from clientdesk.clients.models import Company, Contact
from clientdesk.clients.tests.factories import CompanyFactory, ContactFactory, valid_inn
from clientdesk.clients.validators import normalise_name

pytestmark = pytest.mark.django_db


def company(name: str, **kwargs: object) -> Company:
    return CompanyFactory.create(legal_name=name, search_name=normalise_name(name), **kwargs)


def contact(company: Company, last: str, first: str, **kwargs: object) -> Contact:
    return ContactFactory.create(
        company=company,
        last_name=last,
        first_name=first,
        patronymic="",
        search_name=normalise_name(f"{last} {first}"),
        **kwargs,
    )


def names(results: list[Company]) -> list[str]:
    return [c.legal_name for c in results]


@pytest.fixture
def registry() -> dict[str, Company]:
    return {
        "romashka": company('ООО "Ромашка"', inn=valid_inn(501)),
        "romashka_stroy": company("АО Ромашка-Строй-Инвест", inn=valid_inn(502)),
        "techno": company("ТехноСервис-Урал", inn=valid_inn(503)),
        "vector": company('ООО "Вектор"', inn="7812345678"),
        "acme": company("Acme Systems Company", inn=valid_inn(504)),
    }


def test_word_form_finds_company(registry: dict[str, Company]) -> None:
    found = names(search.search_companies("ромашки"))
    assert found[0] == 'ООО "Ромашка"'
    assert "АО Ромашка-Строй-Инвест" in found
    assert "ТехноСервис-Урал" not in found


def test_first_part_of_hyphenated_name_finds_company(registry: dict[str, Company]) -> None:
    assert names(search.search_companies("техносервис")) == ["ТехноСервис-Урал"]
    assert names(search.search_companies("Техносервиса урал")) == ["ТехноСервис-Урал"]


def test_legal_form_and_quotes_in_query_are_ignored(registry: dict[str, Company]) -> None:
    assert names(search.search_companies("ООО «Вектор»")) == ['ООО "Вектор"']


@pytest.mark.parametrize("typo", ["рамашка", "ромшка", "рмоашка", "ромаашка"])
def test_one_letter_typo_still_finds_company(registry: dict[str, Company], typo: str) -> None:
    assert 'ООО "Ромашка"' in names(search.search_companies(typo))


def test_typo_in_hyphenated_name(registry: dict[str, Company]) -> None:
    assert names(search.search_companies("техносервик")) == ["ТехноСервис-Урал"]


def test_english_word_forms(registry: dict[str, Company]) -> None:
    assert names(search.search_companies("system")) == ["Acme Systems Company"]
    assert names(search.search_companies("companies")) == ["Acme Systems Company"]


def test_nonsense_finds_nothing(registry: dict[str, Company]) -> None:
    assert search.search_companies("зюзюкбрякс") == []
    assert search.search_companies("") == []


def test_inn_prefix_and_full_inn(registry: dict[str, Company]) -> None:
    assert names(search.search_companies("78123")) == ['ООО "Вектор"']
    assert names(search.search_companies("7812 345 678")) == ['ООО "Вектор"']
    assert len(search.search_companies("77")) == 4


@pytest.mark.parametrize(
    "typed", ["+7 495 123-45-67", "8 (495) 123-45-67", "84951234567", "+74951234567"]
)
def test_phone_in_any_format_finds_contact_and_company(
    registry: dict[str, Company], typed: str
) -> None:
    person = services.contact_create(
        company=registry["techno"],
        data=services.ContactInput(last_name="Иванов", first_name="Иван", phone="495 1234567"),
        by=None,
    )
    assert search.search_contacts(typed) == [person]
    assert names(search.search_companies(typed)) == ["ТехноСервис-Урал"]


def test_company_phone_finds_company(registry: dict[str, Company]) -> None:
    registry["vector"].phone = "+78122345678"
    registry["vector"].save()
    assert names(search.search_companies("8 812 234 56 78")) == ['ООО "Вектор"']


def test_email_finds_contact_whatever_the_case(registry: dict[str, Company]) -> None:
    person = services.contact_create(
        company=registry["acme"],
        data=services.ContactInput(last_name="Smith", first_name="Anna", email="Anna@Acme.COM"),
        by=None,
    )
    assert search.search_contacts("anna@acme.com") == [person]
    assert search.search_contacts("ANNA@ACME.COM") == [person]
    assert names(search.search_companies("anna@acme.com")) == ["Acme Systems Company"]


def test_contact_by_name_word_form_and_typo(registry: dict[str, Company]) -> None:
    ivanova = contact(registry["romashka"], "Иванова", "Мария")
    contact(registry["romashka"], "Петров", "Пётр")
    assert search.search_contacts("иванову") == [ivanova]
    assert search.search_contacts("Иваонва мария") == [ivanova]
    assert search.search_contacts("мария") == [ivanova]


def test_contact_by_company_inn(registry: dict[str, Company]) -> None:
    person = contact(registry["vector"], "Сидоров", "Олег")
    assert search.search_contacts("7812345678") == [person]


def test_merged_company_is_not_found(registry: dict[str, Company]) -> None:
    Company.objects.filter(pk=registry["romashka"].pk).update(merged_into=registry["vector"])
    assert names(search.search_companies("ромашка")) == ["АО Ромашка-Строй-Инвест"]
    assert search.filter_companies({"q": "ромашка"}).count() == 1


def test_erased_contact_is_not_found(registry: dict[str, Company]) -> None:
    person = contact(registry["romashka"], "Кузнецова", "Анна")
    assert search.search_contacts("кузнецова") == [person]
    Contact.objects.filter(pk=person.pk).update(erased_at=timezone.now())
    assert search.search_contacts("кузнецова") == []
    assert search.filter_contacts({"q": "кузнецова"}).count() == 0


def test_index_follows_every_write_path(registry: dict[str, Company]) -> None:
    # Renamed through save(), through queryset.update(), created by bulk_create, deleted.
    techno = registry["techno"]
    techno.search_name = normalise_name("Гранит-Сервис")
    techno.save()
    Company.objects.filter(pk=registry["vector"].pk).update(search_name="азимут")
    Company.objects.bulk_create([Company(legal_name="Берёзка", search_name="березка")])
    # A raw DELETE: the ORM's cascade would reach into apps this test does not need.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clients_company WHERE id = %s", [registry["acme"].pk])
    assert names(search.search_companies("гранит")) == ["ТехноСервис-Урал"]
    # Typos are corrected by single letters only, on both databases (PostgreSQL's trigram
    # similarity used to find «Гранит-Сервис» for "техносервис" by the shared "сервис").
    assert search.search_companies("техносервис") == []
    assert names(search.search_companies("азимута")) == ['ООО "Вектор"']
    assert names(search.search_companies("березки")) == ["Берёзка"]
    assert search.search_companies("acme") == []


def test_search_through_the_service_that_writes_companies(db: None) -> None:
    created = services.company_create(
        data=services.CompanyInput(legal_name='ООО "Северное Сияние"'), by=None
    )
    assert search.search_companies("северного сияния") == [created]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite triggers")
def test_lost_triggers_are_restored_with_the_index(registry: dict[str, Company]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER clients_company_search_ai")
    company("Новая Заря")
    assert search.search_companies("заря") == []
    assert search.ensure_search_indexes() is True
    assert names(search.search_companies("заря")) == ["Новая Заря"]
    assert search.ensure_search_indexes() is False


def test_reindex_all_keeps_results(registry: dict[str, Company]) -> None:
    search.reindex_all()
    assert names(search.search_companies("вектор")) == ['ООО "Вектор"']


@pytest.mark.parametrize(
    ("word", "prefix"),
    [("ромашки", "ромашк"), ("ромашка", "ромашк"), ("company", "compan"), ("ао", "ао")],
)
def test_word_prefix_is_shared_by_word_forms(word: str, prefix: str) -> None:
    assert search.word_prefix(word) == prefix


def test_query_kinds_are_recognised() -> None:
    assert search.parse_query("7701").inn_prefix == "7701"
    assert search.parse_query("+7 (916) 123-45-67").phone == "+79161234567"
    assert search.parse_query("+7 (916) 123-45-67").inn_prefix == ""
    assert search.parse_query("A@B.RU").email == "A@b.ru"
    assert search.parse_query("Ромашка").prefixes == ["ромашк"]


def test_part_of_a_compound_company_name_finds_it(registry: dict[str, Company]) -> None:
    company('ООО "ТехноСтрой"')
    company("Стройинвест")
    found = names(search.search_companies("строй"))
    assert set(found) == {'ООО "ТехноСтрой"', "Стройинвест", "АО Ромашка-Строй-Инвест"}
    # Word forms and typos work inside a name as well.
    assert 'ООО "ТехноСтрой"' in names(search.search_companies("технострою"))
    assert 'ООО "ТехноСтрой"' in names(search.search_companies("техностой"))
    assert search.filter_companies({"q": "строй"}).count() == 3


def test_part_of_a_double_barrelled_surname_finds_the_person(
    registry: dict[str, Company],
) -> None:
    painter = contact(registry["romashka"], "Петров-Водкин", "Кузьма")
    petrov = contact(registry["romashka"], "Петров", "Пётр")
    assert set(search.search_contacts("петров")) == {painter, petrov}
    assert search.search_contacts("водкин") == [painter]
    assert search.search_contacts("водкина кузьму") == [painter]
    assert search.search_contacts("водкни") == [painter]


def test_people_are_found_by_word_not_by_any_letters(registry: dict[str, Company]) -> None:
    # "ров" inside «Петров» is not what anyone looking for a person means.
    contact(registry["romashka"], "Петров", "Пётр")
    assert search.search_contacts("ров") == []


def test_contact_typo_in_any_word_and_both_words(registry: dict[str, Company]) -> None:
    ivanova = contact(registry["romashka"], "Иванова", "Мария")
    contact(registry["vector"], "Смирнова", "Мария")
    assert search.search_contacts("иванова марья") == [ivanova]
    assert search.search_contacts("иваонва марья") == [ivanova]
    assert search.search_contacts("мария иванова") == [ivanova]
    assert search.filter_contacts({"q": "иваонва"}).get() == ivanova


def test_contact_list_search_is_bounded_and_counted_in_few_queries(
    registry: dict[str, Company], django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        contact(registry["romashka"], "Кузнецов", f"Имя{n}")
    contact(registry["vector"], "Иванов", "Иван")
    qs = search.filter_contacts({"q": "кузнецов"}, search_limit=11)
    with django_assert_max_num_queries(3):
        page = search.keyset_page(qs, size=10)
        total = search.capped_count(qs, cap=10)
    assert len(page) == 10
    assert total == 11


def test_contact_words_follow_every_write_path(registry: dict[str, Company]) -> None:
    # Typo correction reads the term table, which triggers keep on both databases: a name
    # written by bulk_create or renamed by queryset.update() is found, even mistyped.
    company_ = registry["romashka"]
    Contact.objects.bulk_create(
        [Contact(company=company_, last_name="Ляпунов", first_name="Ян", search_name="ляпунов ян")]
    )
    person = contact(company_, "Сидоров", "Олег")
    Contact.objects.filter(pk=person.pk).update(search_name="чебышев олег")
    assert [c.last_name for c in search.search_contacts("ляпнов")] == ["Ляпунов"]
    assert search.search_contacts("чебышёва") == [person]
    assert search.search_contacts("чебышов") == [person]
    assert search.search_contacts("сидоров") == []
