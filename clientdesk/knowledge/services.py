"""Writes for the knowledge base. Every article write re-computes `search_text`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from clientdesk.core import audit
from clientdesk.service.text import body_to_html, html_to_text

from .models import Article, ArticleFeedback, ArticleStatus, Category, SuggestionEvent, Visibility
from .search import search_text_for

# Paths under /kb/ that are pages, not articles.
RESERVED_SLUGS = frozenset({"manage"})


@dataclass
class ArticleInput:
    slug: str
    title: str
    body: str
    title_en: str = ""
    body_en: str = ""
    category: Category | None = None
    visibility: str = Visibility.PORTAL
    status: str = ArticleStatus.DRAFT


def _validate(data: ArticleInput, *, instance: Article | None) -> None:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Enter the title in Russian.")]
    if not html_to_text(body_to_html(data.body)):
        errors["body"] = [_("Write the text of the article in Russian.")]
    if data.visibility not in Visibility.values:
        errors["visibility"] = [_("Choose who may read the article.")]
    if data.status not in ArticleStatus.values:
        errors["status"] = [_("Choose draft or published.")]
    if data.slug in RESERVED_SLUGS:
        errors["slug"] = [_("This address is used by the knowledge base itself; choose another.")]
    taken = Article.objects.filter(slug=data.slug)
    if instance is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        errors["slug"] = [_("Another article has this address; choose another one.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def article_save(*, data: ArticleInput, by: Any, instance: Article | None = None) -> Article:
    """Creates an article, or updates `instance`; the body is sanitised before it is stored."""
    _validate(data, instance=instance)
    article = instance or Article(author=by)
    before = {"status": article.status, "visibility": article.visibility} if instance else {}
    article.slug = data.slug
    article.title = data.title.strip()
    article.title_en = data.title_en.strip()
    article.body_html = body_to_html(data.body)
    article.body_html_en = body_to_html(data.body_en)
    article.category = data.category
    article.visibility = data.visibility
    article.status = data.status
    if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()
    article.search_text = search_text_for(article)
    article.save()
    audit.record(
        actor=by,
        action="knowledge.article_updated" if instance else "knowledge.article_created",
        target=article,
        changes={
            "before": before,
            "status": article.status,
            "visibility": article.visibility,
            "slug": article.slug,
        },
    )
    return article


@transaction.atomic
def category_create(*, slug: str, name: str, name_en: str = "", by: Any) -> Category:
    if not name.strip():
        raise ValidationError({"name": [_("Enter the category name.")]})
    if Category.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": [_("Another category has this code; choose another.")]})
    category = Category.objects.create(slug=slug, name=name.strip(), name_en=name_en.strip())
    audit.record(actor=by, action="knowledge.category_created", target=category)
    return category


def record_view(*, article: Article) -> None:
    # One UPDATE with F(): concurrent readers never lose each other's counts.
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def feedback_give(
    *, article: Article, helpful: bool, comment: str = "", user: Any = None, session_key: str = ""
) -> ArticleFeedback:
    """One answer per user (or per session for anonymous readers); a second raises."""
    signed_in = getattr(user, "is_authenticated", False)
    if not signed_in and not session_key:
        raise ValidationError(_("Your browser did not keep a session; enable cookies to vote."))
    owner: dict[str, Any] = (
        {"user": user} if signed_in else {"user": None, "session_key": session_key}
    )
    if ArticleFeedback.objects.filter(article=article, **owner).exists():
        raise ValidationError(_("You have already told us whether this article helped."))
    try:
        with transaction.atomic():
            feedback = ArticleFeedback.objects.create(
                article=article,
                helpful=helpful,
                comment=comment.strip()[:2000],
                **owner,
            )
    except IntegrityError:
        raise ValidationError(_("You have already told us whether this article helped.")) from None
    counter = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return feedback


def suggestion_event(
    *,
    form_id: str,
    kind: str,
    user: Any = None,
    company_id: int | None = None,
    article: Article | None = None,
) -> SuggestionEvent | None:
    """Records what happened on a request form; a form id that is not ours is ignored."""
    form_id = (form_id or "").strip()[:40]
    if not form_id or kind not in SuggestionEvent.Kind.values:
        return None
    if not getattr(user, "is_authenticated", False):
        # Forms are shown to portal users only; an anonymous reader cannot own one.
        return None
    if (
        kind != SuggestionEvent.Kind.FORM
        and not SuggestionEvent.objects.filter(
            form_id=form_id, kind=SuggestionEvent.Kind.FORM, user=user
        ).exists()
    ):
        # Only the user who was shown the form may add to its story: no forged deflections.
        return None
    return SuggestionEvent.objects.create(
        form_id=form_id,
        kind=kind,
        user=user,
        company_id=company_id,
        article=article,
    )


def suggestions_shown(
    *, form_id: str, user: Any, company_id: int | None, articles: list[Article]
) -> None:
    if not articles or not getattr(user, "is_authenticated", False):
        return
    owned = SuggestionEvent.objects.filter(
        form_id=form_id, kind=SuggestionEvent.Kind.FORM, user=user
    ).exists()
    if not owned:
        return
    SuggestionEvent.objects.bulk_create(
        [
            SuggestionEvent(
                form_id=form_id,
                kind=SuggestionEvent.Kind.SHOWN,
                user=user,
                company_id=company_id,
                article=a,
            )
            for a in articles
        ]
    )
