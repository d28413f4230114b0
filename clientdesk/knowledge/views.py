"""Knowledge-base pages: reading (open to all, filtered by who reads) and editing (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.core.permissions import has_perm, public, require_perm
from clientdesk.core.roles import Perm
from clientdesk.portal.selectors import portal_account_for

from . import search, selectors, services
from .forms import ArticleForm, CategoryForm, FeedbackForm
from .models import Article, ArticleFeedback, ArticleStatus, SuggestionEvent, Visibility

PAGE_SIZE = 30


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _feedback_given(request: HttpRequest, article: Article) -> bool:
    if request.user.is_authenticated:
        return ArticleFeedback.objects.filter(article=article, user=request.user).exists()
    key = request.session.session_key
    return (
        bool(key)
        and ArticleFeedback.objects.filter(article=article, user=None, session_key=key).exists()
    )


@public
def index(request: HttpRequest) -> HttpResponse:
    """Public articles for anyone; portal users and staff also see what is meant for them."""
    q = request.GET.get("q", "").strip()
    category = request.GET.get("category", "")
    qs = selectors.readable_articles(request.user)
    if category:
        qs = qs.filter(category__slug=category)
    qs = search.match_all(qs, q) if q else qs.order_by("category__position", "title")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/index.html",
        {
            "title": _("Knowledge base"),
            "page": page,
            "q": q,
            "query": _query_without_page(request),
            "category": category,
            "categories": selectors.categories_with_counts(request.user),
        },
    )


@public
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.article_for_reader(request.user, slug)
    if found is None:
        # Portal and staff articles are not told to exist to those who may not read them.
        raise Http404
    if found.status == ArticleStatus.PUBLISHED:
        services.record_view(article=found)
    if form_id := request.GET.get("suggested", ""):
        account = portal_account_for(request.user)
        services.suggestion_event(
            form_id=form_id,
            kind=SuggestionEvent.Kind.OPENED,
            user=request.user,
            company_id=account.company_id if account else None,
            article=found,
        )
    return render(
        request,
        "knowledge/article.html",
        {
            "title": found.display_title,
            "article": found,
            "form": FeedbackForm(),
            "feedback_given": _feedback_given(request, found),
            "is_draft": found.status != ArticleStatus.PUBLISHED,
            "can_edit": has_perm(request.user, Perm.KNOWLEDGE_EDIT),
        },
    )


@public
@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.readable_articles(request.user).filter(slug=slug).first()
    if found is None:
        raise Http404
    form = FeedbackForm(request.POST)
    if not request.session.session_key:
        request.session.save()
    done = False
    error = ""
    if form.is_valid():
        try:
            services.feedback_give(
                article=found,
                helpful=form.cleaned_data["helpful"],
                comment=form.cleaned_data["comment"],
                user=request.user if request.user.is_authenticated else None,
                session_key=request.session.session_key or "",
            )
            done = True
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = _("Choose “Yes” or “No”.")
    context = {"article": found, "form": form, "done": done, "error": error}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "knowledge/_feedback.html", context)
    if done:
        messages.success(request, _("Thank you for your answer."))
    elif error:
        messages.error(request, error)
    return redirect("knowledge:article", slug=found.slug)


# --- editing ---------------------------------------------------------------------------------
@require_perm(Perm.KNOWLEDGE_EDIT)
def manage(request: HttpRequest) -> HttpResponse:
    qs = selectors.editor_articles(request.GET)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/manage.html",
        {
            "title": _("Knowledge base: articles"),
            "page": page,
            "most_read": selectors.most_read(),
            "least_helpful": selectors.least_helpful(),
            "deflection": selectors.deflection(),
            "statuses": ArticleStatus.choices,
            "visibilities": Visibility.choices,
            "params": request.GET,
            "query": _query_without_page(request),
        },
    )


@require_perm(Perm.KNOWLEDGE_EDIT)
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    instance = get_object_or_404(Article, pk=pk) if pk is not None else None
    initial = ArticleForm.initial_for(instance) if instance else {}
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.article_save(data=form.to_input(), by=request.user, instance=instance)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for e in errors:
                    form.add_error(field if field in form.fields else None, e)
        else:
            messages.success(request, _("The article is saved."))
            return redirect("knowledge:article", slug=saved.slug)
    title = _("Edit article") if instance else _("New article")
    return render(
        request,
        "knowledge/article_form.html",
        {"title": title, "form": form, "article": instance},
    )


@require_perm(Perm.KNOWLEDGE_EDIT)
def category_new(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.category_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for e in errors:
                    form.add_error(field if field in form.fields else None, e)
        else:
            messages.success(request, _("The category is added."))
            return redirect("knowledge:manage")
    return render(
        request, "knowledge/category_form.html", {"title": _("New category"), "form": form}
    )
