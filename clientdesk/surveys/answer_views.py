"""Answering: by personal link (no login) and in the client portal.

The form is plain HTML: one page at a time, server-side validation, every POST saves what was
entered (partial answers survive a closed tab), skip logic evaluated on the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from clientdesk.core.permissions import public
from clientdesk.portal.permissions import require_portal_user
from clientdesk.portal.selectors import portal_account_for

from . import answering, selectors, services
from .models import Answer, Invitation, Question, QuestionKind, Response, Survey

ACTIONS = ("save", "next", "back", "submit")


def _saved_values(response: Response | None) -> dict[str, list[str]]:
    """What the respondent saved, as posted field values, to fill the form again."""
    if response is None:
        return {}
    out: dict[str, list[str]] = {}
    for a in Answer.objects.filter(response=response).select_related("question"):
        q = a.question
        name = answering.field_name(q, a.item)
        if q.kind == QuestionKind.TEXT:
            out[name] = [a.text]
        elif q.kind == QuestionKind.MULTI and a.value is not None:
            out[name] = [str(i + 1) for i in range(len(q.choices)) if int(a.value) & (1 << i)]
        elif a.value is not None:
            out[name] = [str(int(a.value))]
    return out


def page_context(
    survey: Survey,
    questions: Sequence[Question],
    page: int,
    values: Mapping[str, Sequence[str]],
    errors: Mapping[str, str],
    lang: str,
    by_code: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    pages = sorted({q.page for q in questions}) or [1]
    page = page if page in pages else pages[0]
    shown = answering.visible([q for q in questions if q.page == page], by_code or {})
    if by_code is None:  # preview: show every question, conditions are listed instead
        shown = [q for q in questions if q.page == page]
    items = []
    for q in shown:
        rows = q.rows_in(lang) if q.kind == QuestionKind.MATRIX else []
        items.append(
            {
                "q": q,
                "text": q.text_in(lang),
                "name": answering.field_name(q),
                "options": q.options_in(lang),
                "rows": [
                    {
                        "label": label,
                        "name": answering.field_name(q, r),
                        "value": list(values.get(answering.field_name(q, r), [])),
                        "error": errors.get(answering.field_name(q, r), ""),
                    }
                    for r, label in rows
                ],
                "value": list(values.get(answering.field_name(q), [])),
                "error": errors.get(answering.field_name(q), ""),
            }
        )
    index = pages.index(page)
    return {
        "survey": survey,
        "survey_title": survey.title_in(lang),
        "intro": survey.intro_in(lang) if index == 0 else "",
        "items": items,
        "page": page,
        "page_number": index + 1,
        "page_count": len(pages),
        "is_first": index == 0,
        "is_last": index == len(pages) - 1,
        "errors": errors,
        "has_errors": bool(errors),
        "general_error": errors.get("__all__", ""),
        "lang": lang,
        "kinds": QuestionKind,
    }


def _handle(
    request: HttpRequest, invitation: Invitation, token: str, channel: str, action_url: str
) -> HttpResponse:
    lang = invitation.language if invitation.language in ("ru", "en") else "ru"
    if request.GET.get("lang") in ("ru", "en"):
        lang = request.GET["lang"]
    with translation.override(lang):
        survey = invitation.survey
        response = services.response_for(invitation=invitation, token=token, channel=channel)
        questions = list(survey.questions.all())
        errors: dict[str, str] = {}
        values: Mapping[str, Sequence[str]]
        page = response.page
        if request.method == "POST":
            action = request.POST.get("action", "save")
            action = action if action in ACTIONS else "save"
            try:
                page = int(request.POST.get("page", response.page))
            except ValueError:
                page = response.page
            result = services.page_save(
                response=response,
                page=page,
                data={k: request.POST.getlist(k) for k in request.POST},
                action=action,
                invitation=invitation,
            )
            if result.submitted:
                return render(
                    request, "surveys/thanks.html", {"title": _("Thank you"), "lang": lang}
                )
            if not result.errors:
                return redirect(action_url)
            errors, page = result.errors, result.page
            values = {k: request.POST.getlist(k) for k in request.POST}
        else:
            values = _saved_values(response)
        ctx = page_context(
            survey, questions, page, values, errors, lang, services.answers_by_code(response)
        )
        ctx.update({"title": survey.title_in(lang), "action_url": action_url})
        return render(request, "surveys/answer.html", ctx, status=400 if errors else 200)


@public
@never_cache
@csrf_protect
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link: the token is the only credential, so no login is needed."""
    try:
        invitation = services.invitation_for_token(token)
    except services.LinkError as exc:
        return render(
            request,
            "surveys/link_error.html",
            {"title": _("Survey"), "message": str(exc)},
            status=410 if exc.gone else 404,
        )
    return _handle(request, invitation, token, Response.Channel.LINK, request.path)


@require_portal_user
def portal_list(request: HttpRequest) -> HttpResponse:
    account = portal_account_for(request.user)
    assert account is not None
    invitations = selectors.portal_invitations(account.contact_id)
    return render(
        request,
        "surveys/portal_list.html",
        {"title": _("Surveys"), "invitations": invitations},
    )


@require_portal_user
def portal_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Only surveys addressed to the portal user's own contact; anything else is 404."""
    account = portal_account_for(request.user)
    assert account is not None
    invitation = selectors.portal_invitations(account.contact_id).filter(pk=pk).first()
    if invitation is None or invitation.token is None:
        raise Http404
    try:
        services.invitation_for_token(invitation.token)
    except services.LinkError as exc:
        return render(
            request,
            "surveys/link_error.html",
            {"title": _("Survey"), "message": str(exc)},
            status=410,
        )
    return _handle(request, invitation, invitation.token, Response.Channel.PORTAL, request.path)
