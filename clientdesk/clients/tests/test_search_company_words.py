"""Companies found by whole words (PostgreSQL: term table + word index; SQLite: FTS5), by any
part of a compound name, in any form and with one typo; the same answers on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from clientdesk.clients import search
from clientdesk.clients.models import Company
from clientdesk.clients.tests.factories import CompanyFactory, valid_inn
from clientdesk.clients.validators import normalise_name
from clientdesk.core.roles import Role

pytestmark = pytest.mark.django_db

pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL layout")


def company(name: str, **kwargs: object) -> Company:
    return CompanyFactory.create(legal_name=name, search_name=normalise_name(name), **kwargs)


def names(results: Any) -> set[str]:
    return {c.legal_name for c in results}


@pytest.fixture
def registry() -> dict[str, Company]:
    return {
        "techno": company('ООО "ТехноСтрой"', inn=valid_inn(601)),
        "stroyinvest": company("Стройинвест", inn=valid_inn(602)),
        "romashka": company('АО "Ромашка-Строй-Инвест"', inn=valid_inn(603)),
        "granit": company("Гранит Логистик", inn=valid_inn(604)),
        "sever": company('ООО "Северная Звезда"', inn=valid_inn(605)),
    }


@pytest.fixture(params=["listed words", "trigrams"])
def part_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test twice on PostgreSQL: a part of a name turned into the words containing it,
    and a part found in too many words to list, matched with trigram LIKE instead."""
    if request.param == "trigrams":
        monkeypatch.setattr(search, "PG_PART_WORDS", 0)
    return str(request.param)


def test_part_of_a_compound_name(registry: dict[str, Company], part_path: str) -> None:
    expected = {'ООО "ТехноСтрой"', "Стройинвест", 'АО "Ромашка-Строй-Инвест"'}
    assert names(search.search_companies("строй")) == expected
    assert names(search.filter_companies({"q": "строй"})) == expected
    assert names(search.filter_companies({"q": "строй"}, search_limit=1001)) == expected
    # From the middle of a word, and two parts of one name.
    assert names(search.search_companies("хностр")) == {'ООО "ТехноСтрой"'}
    assert names(search.search_companies("ромашка строй")) == {'АО "Ромашка-Строй-Инвест"'}


def test_a_common_part_beside_a_rare_word(
    registry: dict[str, Company], monkeypatch: pytest.MonkeyPatch
) -> None:
    # On PostgreSQL "строй" is now inside more words than are listed (trigram LIKE over the
    # names), "ромашк" inside two (whole words): both kinds in one query.
    monkeypatch.setattr(search, "PG_PART_WORDS", 2)
    company("Ромашка")
    assert names(search.search_companies("ромашка строй")) == {'АО "Ромашка-Строй-Инвест"'}
    assert names(search.filter_companies({"q": "ромашки строй"})) == {'АО "Ромашка-Строй-Инвест"'}
    assert search.search_companies("северная строй") == []


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("технострою", 'ООО "ТехноСтрой"'),
        ("технострое", 'ООО "ТехноСтрой"'),
        ("стройинвеста", "Стройинвест"),
        ("северной звезды", 'ООО "Северная Звезда"'),
        ("гранита логистика", "Гранит Логистик"),
    ],
)
def test_word_forms(registry: dict[str, Company], part_path: str, typed: str, found: str) -> None:
    assert names(search.search_companies(typed)) == {found}
    assert names(search.filter_companies({"q": typed}, search_limit=1001)) == {found}


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("техностой", 'ООО "ТехноСтрой"'),  # a letter missing
        ("технострлй", 'ООО "ТехноСтрой"'),  # a wrong letter
        ("техносттрой", 'ООО "ТехноСтрой"'),  # a letter too many
        ("тенхострой", 'ООО "ТехноСтрой"'),  # two letters swapped
        ("стройинвемт", "Стройинвест"),
        ("гарнит логистик", "Гранит Логистик"),  # a typo in one word of two
        ("северная зведза", 'ООО "Северная Звезда"'),
    ],
)
def test_one_edit_typos(registry: dict[str, Company], typed: str, found: str) -> None:
    assert found in names(search.search_companies(typed))
    assert found in names(search.filter_companies({"q": typed}, search_limit=1001))
    # The export (no limit) understands the query the same way.
    assert found in names(search.filter_companies({"q": typed}))


def test_a_typo_finds_the_word_meant_not_names_containing_a_shorter_correction(
    registry: dict[str, Company],
) -> None:
    company("Карамистрой")
    # "карамир" is one letter from "карамиср" and begins a word: as a part of words it would
    # bring both of these, which are not what was meant.
    company("Карамирплюс")
    company("Гикарамир")
    assert names(search.search_companies("карамисрой")) == {"Карамистрой"}
    assert names(search.filter_companies({"q": "карамисрой"}, search_limit=1001)) == {"Карамистрой"}


def test_words_that_match_nothing_find_nothing(registry: dict[str, Company]) -> None:
    assert search.search_companies("зюзюкбрякс") == []
    # Both words exist, never in one name.
    assert search.search_companies("гранит звезда") == []
    # `_` and `%` are word characters of a query, not wildcards.
    assert search.search_companies("ех_о") == []
    assert search.search_companies("ех%о") == []


def test_identifiers_are_unchanged(registry: dict[str, Company]) -> None:
    registry["granit"].phone = "+74951112233"
    registry["granit"].email = "info@granit.ru"
    registry["granit"].save()
    assert names(search.search_companies(registry["sever"].inn)) == {'ООО "Северная Звезда"'}
    assert names(search.search_companies("8 (495) 111-22-33")) == {"Гранит Логистик"}
    assert names(search.search_companies("INFO@granit.ru")) == {"Гранит Логистик"}


def test_short_words_and_legal_forms(registry: dict[str, Company]) -> None:
    # A legal form alone is still a query (the user is typing); after a name it is noise.
    assert names(search.search_companies("ООО")) == {'ООО "ТехноСтрой"', 'ООО "Северная Звезда"'}
    assert names(search.search_companies("ООО северная")) == {'ООО "Северная Звезда"'}
    assert names(search.search_companies("ао")) == {'АО "Ромашка-Строй-Инвест"'}


def test_new_and_renamed_companies_are_found_by_part_form_and_typo(
    registry: dict[str, Company],
) -> None:
    # Written by bulk_create and renamed by queryset.update(): the term table follows (trigger).
    Company.objects.bulk_create([Company(legal_name="Агропромсбыт", search_name="агропромсбыт")])
    Company.objects.filter(pk=registry["granit"].pk).update(search_name="кварцлогистика")
    assert names(search.search_companies("промсбыт")) == {"Агропромсбыт"}
    assert names(search.search_companies("агропромсбыта")) == {"Агропромсбыт"}
    assert names(search.search_companies("агропромбыт")) == {"Агропромсбыт"}
    assert names(search.search_companies("кварцлогистики")) == {"Гранит Логистик"}
    assert names(search.search_companies("гранит")) == set()


def test_rebuilt_indexes_answer_the_same(registry: dict[str, Company]) -> None:
    before = [names(search.search_companies(q)) for q in ("строй", "техностой", "звезды")]
    search.drop_search_indexes()
    search.ensure_search_indexes(rebuild=True)
    after = [names(search.search_companies(q)) for q in ("строй", "техностой", "звезды")]
    assert after == before
    search.reindex_all()
    assert [names(search.search_companies(q)) for q in ("строй", "техностой", "звезды")] == before


@pg_only
def test_postgresql_layout_is_created_and_dropped(db: None) -> None:
    def present() -> dict[str, bool]:
        objects = [
            "clients_company_term",
            "clients_company_term_trgm",
            "clients_company_search_words",
            "clients_company_search_trgm",
            "clients_company_manager_completeness",
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, to_regclass(name) IS NOT NULL FROM unnest(%s::text[]) AS name",
                [objects],
            )
            return dict(cursor.fetchall())

    assert all(present().values())
    search.drop_search_indexes()
    assert not any(present().values())
    assert search.ensure_search_indexes() is True
    assert all(present().values())
    assert search.ensure_search_indexes() is False


def test_mine_incomplete_list(registry: dict[str, Company], make_staff: Any) -> None:
    manager = make_staff(Role.ACCOUNT_MANAGER)
    other = make_staff(Role.ACCOUNT_MANAGER)
    Company.objects.filter(pk=registry["techno"].pk).update(
        account_manager=manager, completeness=10
    )
    Company.objects.filter(pk=registry["granit"].pk).update(
        account_manager=manager, completeness=80
    )
    Company.objects.filter(pk=registry["sever"].pk).update(account_manager=other, completeness=10)
    Company.objects.filter(pk=registry["romashka"].pk).update(
        account_manager=manager, completeness=5, merged_into=registry["techno"]
    )
    qs = search.filter_companies({"mine": "1", "completeness_below": "30"}, user=manager)
    assert names(qs) == {'ООО "ТехноСтрой"'}
    assert search.capped_count(qs) == 1
