from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clientdesk.core.roles import Role
from clientdesk.knowledge import search, selectors
from clientdesk.knowledge.demo import ARTICLES, load_demo
from clientdesk.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleStatus,
    SuggestionEvent,
    Visibility,
)
from clientdesk.knowledge.services import ArticleInput, article_save, feedback_give

pytestmark = pytest.mark.django_db


def make_article(
    slug: str = "power-of-attorney",
    *,
    title: str = "Доверенность на представителя",
    body: str = "Доверенность подписывает руководитель организации.",
    visibility: str = Visibility.PUBLIC,
    status: str = ArticleStatus.PUBLISHED,
    title_en: str = "",
) -> Article:
    return article_save(
        data=ArticleInput(
            slug=slug,
            title=title,
            title_en=title_en,
            body=body,
            visibility=visibility,
            status=status,
        ),
        by=None,
    )


def test_search_finds_russian_word_forms_both_ways() -> None:
    make_article(title="Счета за услуги связи", body="Счёт приходит до пятого числа.")
    qs = Article.objects.all()
    for query in ["счёт", "счетов", "счетами", "услуг связи"]:
        assert search.match_all(qs, query).count() == 1, query
    assert search.match_all(qs, "доверенность").count() == 0


def test_search_finds_english_word_forms() -> None:
    make_article(title="Счета", title_en="Where to find invoices", body="Текст.")
    assert search.match_all(Article.objects.all(), "invoice").count() == 1


def test_body_html_is_sanitised_and_plain_text_becomes_paragraphs() -> None:
    a = make_article(
        body='Первый абзац.\n\nВторой <script>alert(1)</script><a href="javascript:x">ссылка</a>'
    )
    assert "<script" not in a.body_html and "javascript:" not in a.body_html
    b = make_article("plain", body="Первый абзац.\n\nВторой абзац.")
    assert b.body_html == "<p>Первый абзац.</p><p>Второй абзац.</p>"


def test_reserved_and_duplicate_slugs_are_refused() -> None:
    make_article("invoices")
    with pytest.raises(ValidationError) as exc:
        make_article("invoices")
    assert "slug" in exc.value.message_dict
    with pytest.raises(ValidationError):
        make_article("manage")


def test_visibility_public_portal_staff(client, make_portal_user, make_staff, login_as) -> None:
    make_article("pub", visibility=Visibility.PUBLIC)
    make_article("por", visibility=Visibility.PORTAL)
    make_article("stf", visibility=Visibility.STAFF)
    make_article("drf", visibility=Visibility.PUBLIC, status=ArticleStatus.DRAFT)

    def codes() -> dict[str, int]:
        return {s: client.get(reverse("knowledge:article", args=[s])).status_code for s in
                ["pub", "por", "stf", "drf"]}  # fmt: skip

    assert codes() == {"pub": 200, "por": 404, "stf": 404, "drf": 404}
    login_as(make_portal_user())
    assert codes() == {"pub": 200, "por": 200, "stf": 404, "drf": 404}
    login_as(make_staff(Role.CALL_OPERATOR))
    assert codes() == {"pub": 200, "por": 200, "stf": 200, "drf": 404}
    login_as(make_staff(Role.MARKETER))  # an editor previews drafts
    assert codes()["drf"] == 200


def test_index_lists_only_what_the_reader_may_see(client, make_portal_user, login_as) -> None:
    make_article("pub", title="Открытая статья", visibility=Visibility.PUBLIC)
    make_article("por", title="Статья для клиентов", visibility=Visibility.PORTAL)
    body = client.get(reverse("knowledge:index")).content.decode()
    assert "Открытая статья" in body and "Статья для клиентов" not in body
    login_as(make_portal_user())
    body = client.get(reverse("knowledge:index"), {"q": "статьи"}).content.decode()
    assert "Открытая статья" in body and "Статья для клиентов" in body


def test_index_query_count_is_flat(client, django_assert_max_num_queries) -> None:
    for i in range(20):
        make_article(f"a{i}", title=f"Статья {i}")
    with django_assert_max_num_queries(6):
        assert client.get(reverse("knowledge:index")).status_code == 200


def test_views_are_counted_for_published_articles(client) -> None:
    a = make_article()
    client.get(reverse("knowledge:article", args=[a.slug]))
    client.get(reverse("knowledge:article", args=[a.slug]))
    a.refresh_from_db()
    assert a.view_count == 2


def test_feedback_once_per_user(make_portal_user) -> None:
    a = make_article()
    user = make_portal_user()
    feedback_give(article=a, helpful=False, comment="Нет образца", user=user)
    with pytest.raises(ValidationError):
        feedback_give(article=a, helpful=True, user=user)
    a.refresh_from_db()
    assert (a.helpful_yes, a.helpful_no) == (0, 1)


def test_anonymous_feedback_once_per_session(client) -> None:
    a = make_article()
    url = reverse("knowledge:feedback", args=[a.slug])
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    assert ArticleFeedback.objects.filter(article=a).count() == 1
    a.refresh_from_db()
    assert (a.helpful_yes, a.helpful_no) == (1, 0)


def test_feedback_on_unreadable_article_is_404(client) -> None:
    a = make_article(visibility=Visibility.STAFF)
    assert (
        client.post(reverse("knowledge:feedback", args=[a.slug]), {"helpful": "yes"}).status_code
        == 404
    )
    assert not ArticleFeedback.objects.exists()


def test_editor_pages_need_knowledge_edit(client, make_staff, make_portal_user, login_as) -> None:
    urls = [reverse("knowledge:manage"), reverse("knowledge:article_new"),
            reverse("knowledge:category_new")]  # fmt: skip
    login_as(make_staff(Role.CALL_OPERATOR))
    assert {client.get(u).status_code for u in urls} == {403}
    login_as(make_portal_user())
    assert {client.get(u).status_code for u in urls} == {403}
    login_as(make_staff(Role.MARKETER))
    assert {client.get(u).status_code for u in urls} == {200}


def test_editor_creates_and_edits_article(client, make_staff, login_as) -> None:
    editor = make_staff(Role.MARKETER)
    login_as(editor)
    data = {
        "title": "Часы работы",
        "slug": "hours",
        "visibility": Visibility.PUBLIC,
        "status": ArticleStatus.PUBLISHED,
        "body": "Круглосуточно.",
    }
    response = client.post(reverse("knowledge:article_new"), data)
    assert response.status_code == 302
    a = Article.objects.get(slug="hours")
    assert a.author == editor and a.published_at is not None and " круглосуточн" in a.search_text
    data["title"] = "Часы работы поддержки"
    client.post(reverse("knowledge:article_edit", args=[a.pk]), data)
    a.refresh_from_db()
    assert a.title == "Часы работы поддержки" and " поддержк" in a.search_text


def test_editor_list_query_count(
    client, make_staff, login_as, django_assert_max_num_queries
) -> None:
    for i in range(15):
        make_article(f"a{i}")
    login_as(make_staff(Role.MARKETER))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("knowledge:manage")).status_code == 200


def test_most_read_and_least_helpful() -> None:
    good, bad, few = make_article("good"), make_article("bad"), make_article("few")
    Article.objects.filter(pk=good.pk).update(view_count=50, helpful_yes=9, helpful_no=1)
    Article.objects.filter(pk=bad.pk).update(view_count=10, helpful_yes=1, helpful_no=4)
    Article.objects.filter(pk=few.pk).update(view_count=5, helpful_yes=0, helpful_no=1)
    assert [a.slug for a in selectors.most_read()] == ["good", "bad", "few"]
    assert [a.slug for a in selectors.least_helpful()] == ["bad", "good"]


def test_deflection_counts_forms_with_article_read_and_no_request() -> None:
    kinds = SuggestionEvent.Kind
    for form_id, story in {
        "f1": [kinds.FORM, kinds.SHOWN, kinds.OPENED],
        "f2": [kinds.FORM, kinds.SHOWN, kinds.OPENED, kinds.CREATED],
        "f3": [kinds.FORM, kinds.CREATED],
        "f4": [kinds.FORM],
    }.items():
        for kind in story:
            SuggestionEvent.objects.create(form_id=form_id, kind=kind)
    d = selectors.deflection()
    assert (d.forms, d.with_article_opened, d.deflected) == (4, 2, 1)
    assert d.rate == 0.25


def test_demo_loads_once_with_searchable_articles() -> None:
    load_demo(seed=1)
    load_demo(seed=1)
    assert Article.objects.count() == len(ARTICLES)
    found = search.match_all(Article.objects.all(), "доверенности")
    assert "power-of-attorney" in {a.slug for a in found}


def test_anonymous_reader_with_a_suggestion_link_records_nothing(client) -> None:
    SuggestionEvent.objects.create(form_id="f1", kind=SuggestionEvent.Kind.FORM)
    a = make_article()
    response = client.get(reverse("knowledge:article", args=[a.slug]), {"suggested": "f1"})
    assert response.status_code == 200
    assert not SuggestionEvent.objects.filter(kind=SuggestionEvent.Kind.OPENED).exists()
