"""Reads for the knowledge base: what a reader may see, and the editors' figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from clientdesk.core.permissions import has_perm, is_staff_member
from clientdesk.core.roles import Perm
from clientdesk.portal.selectors import portal_account_for

from .models import Article, ArticleStatus, Category, SuggestionEvent, Visibility


def visibilities_for(user: Any) -> list[str]:
    """Staff read everything, portal users public and portal articles, anyone else public."""
    if is_staff_member(user):
        return list(Visibility.values)
    if portal_account_for(user) is not None and user.is_active:
        return [Visibility.PUBLIC, Visibility.PORTAL]
    return [Visibility.PUBLIC]


def readable_articles(user: Any) -> QuerySet[Article]:
    return Article.objects.filter(
        status=ArticleStatus.PUBLISHED, visibility__in=visibilities_for(user)
    ).select_related("category")


def portal_articles() -> QuerySet[Article]:
    """What a request form may suggest: never a staff-only article."""
    return Article.objects.filter(
        status=ArticleStatus.PUBLISHED, visibility__in=[Visibility.PUBLIC, Visibility.PORTAL]
    )


def article_for_reader(user: Any, slug: str) -> Article | None:
    """Editors also see drafts (a preview before publishing)."""
    qs = (
        Article.objects.select_related("category")
        if has_perm(user, Perm.KNOWLEDGE_EDIT)
        else readable_articles(user)
    )
    return qs.filter(slug=slug).first()


def categories_with_counts(user: Any) -> QuerySet[Category]:
    visible = Q(
        articles__status=ArticleStatus.PUBLISHED,
        articles__visibility__in=visibilities_for(user),
    )
    return Category.objects.annotate(article_count=Count("articles", filter=visible)).filter(
        article_count__gt=0
    )


def editor_articles(params: Any) -> QuerySet[Article]:
    qs = Article.objects.select_related("category", "author")
    if status := params.get("status"):
        qs = qs.filter(status=status)
    if visibility := params.get("visibility"):
        qs = qs.filter(visibility=visibility)
    if category := params.get("category"):
        qs = qs.filter(category__slug=category)
    return qs.order_by("-updated_at", "-id")


def most_read(limit: int = 10) -> QuerySet[Article]:
    return Article.objects.filter(status=ArticleStatus.PUBLISHED, view_count__gt=0).order_by(
        "-view_count", "id"
    )[:limit]


def least_helpful(limit: int = 10, *, min_votes: int = 3) -> QuerySet[Article]:
    """Articles readers most often found unhelpful; a couple of votes prove nothing."""
    return (
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .annotate(votes=F("helpful_yes") + F("helpful_no"))
        .filter(votes__gte=min_votes)
        .order_by(F("helpful_yes") * 1.0 / F("votes"), "-votes", "id")[:limit]
    )


@dataclass(frozen=True)
class Deflection:
    forms: int
    with_article_opened: int
    deflected: int

    @property
    def rate(self) -> float | None:
        """Share of request forms where an article was opened and no request followed."""
        return None if self.forms == 0 else self.deflected / self.forms


def deflection(events: QuerySet[SuggestionEvent] | None = None) -> Deflection:
    events = events if events is not None else SuggestionEvent.objects.all()
    kinds = SuggestionEvent.Kind
    forms = events.filter(kind=kinds.FORM).values("form_id").distinct()
    opened = set(events.filter(kind=kinds.OPENED).values_list("form_id", flat=True).distinct())
    created = set(events.filter(kind=kinds.CREATED).values_list("form_id", flat=True).distinct())
    return Deflection(
        forms=forms.count(),
        with_article_opened=len(opened),
        deflected=len(opened - created),
    )
