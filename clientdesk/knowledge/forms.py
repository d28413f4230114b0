from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Article, ArticleStatus, Category, Visibility
from .services import ArticleInput

_BODY_HELP = _(
    "Plain paragraphs separated by an empty line, or simple HTML (headings, lists, links, "
    "tables); anything else is removed."
)


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), max_length=300, required=False)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=120,
        help_text=_("Latin letters, digits and hyphens: it becomes part of the link."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.all(), required=False
    )
    visibility = forms.ChoiceField(label=_("Visible to"), choices=Visibility.choices)
    status = forms.ChoiceField(label=_("Status"), choices=ArticleStatus.choices)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}), help_text=_BODY_HELP
    )
    body_en = forms.CharField(
        label=_("Text (English)"),
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        help_text=_BODY_HELP,
    )

    @classmethod
    def initial_for(cls, article: Article) -> dict[str, Any]:
        return {
            "title": article.title,
            "title_en": article.title_en,
            "slug": article.slug,
            "category": article.category_id,
            "visibility": article.visibility,
            "status": article.status,
            "body": article.body_html,
            "body_en": article.body_html_en,
        }

    def to_input(self) -> ArticleInput:
        d = self.cleaned_data
        return ArticleInput(
            slug=d["slug"],
            title=d["title"],
            title_en=d["title_en"],
            body=d["body"],
            body_en=d["body_en"],
            category=d["category"],
            visibility=d["visibility"],
            status=d["status"],
        )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    slug = forms.SlugField(label=_("Code"), max_length=60)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label=_("Was this article helpful?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
    )
    comment = forms.CharField(
        label=_("What was missing? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
