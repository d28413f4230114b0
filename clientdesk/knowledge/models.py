"""The knowledge base: articles for clients and staff, what readers thought of them, and the
events that tell whether a suggested article spared a request (deflection).

`Article.search_text` holds the stemmed prefixes of the article's words in both languages,
space-delimited; `services` keeps it current and `search` matches word forms against it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from clientdesk.clients.models import Company


def _localised(ru: str, en: str) -> str:
    return en if (get_language() or "ru").startswith("en") and en else ru


class Category(models.Model):
    slug = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return _localised(self.name, self.name_en)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    PORTAL = "portal", _("Portal users and staff")
    STAFF = "staff", _("Staff only")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Article(models.Model):
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    slug = models.SlugField(_("address"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=300)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    # Always sanitised (service.text.body_to_html) before it is stored: rendered as safe HTML.
    body_html = models.TextField(_("text"))
    body_html_en = models.TextField(_("text (English)"), blank=True)
    visibility = models.CharField(
        _("visible to"), max_length=8, choices=Visibility.choices, default=Visibility.PORTAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    search_text = models.TextField(default="", editable=False)
    # Counters kept on the row (F() updates) so that lists sort on them without aggregation.
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful"), default=0)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "visibility", "title"]),
            models.Index(fields=["-view_count", "id"]),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return _localised(self.title, self.title_en)

    @property
    def display_body(self) -> str:
        return _localised(self.body_html, self.body_html_en)

    @property
    def helpful_share(self) -> float | None:
        total = self.helpful_yes + self.helpful_no
        return None if total == 0 else self.helpful_yes / total


class ArticleFeedback(models.Model):
    """ "Was this helpful?": once per signed-in user, or per session for anonymous readers."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=models.Q(user__isnull=False),
                name="kb_feedback_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=models.Q(user__isnull=True),
                name="kb_feedback_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class SuggestionEvent(models.Model):
    """What happened on one portal request form (`form_id`, made when the form is shown).

    A form with an OPENED event and no CREATED event was deflected: the client read an
    article instead of writing to us."""

    class Kind(models.TextChoices):
        FORM = "form", _("Request form shown")
        SHOWN = "shown", _("Article suggested")
        OPENED = "opened", _("Suggested article opened")
        CREATED = "created", _("Request created")

    form_id = models.CharField(max_length=40, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("suggestion event")
        verbose_name_plural = _("suggestion events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.form_id} {self.kind}"
