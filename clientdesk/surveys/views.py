"""Staff pages: building surveys, inviting, importing, the report and the closed loop."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clientdesk.accounts.models import User
from clientdesk.core.permissions import require_perm
from clientdesk.core.roles import Perm

from . import analysis, charts, forms, report_pdf, selectors, services
from . import statistics as st
from .imports import import_responses
from .models import Question, QuestionKind, Survey, SurveyStatus


def _user(request: HttpRequest) -> User:
    # require_perm has let only active staff members through.
    assert isinstance(request.user, User)
    return request.user


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


@require_perm(Perm.SURVEYS_MANAGE)
def survey_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    qs = selectors.survey_list(
        status=status if status in SurveyStatus.values else "", q=request.GET.get("q", "")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/list.html",
        {"title": _("Surveys"), "page": page, "statuses": SurveyStatus.choices, "status": status},
    )


@require_perm(Perm.SURVEYS_MANAGE)
def survey_create(request: HttpRequest) -> HttpResponse:
    form = forms.SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(data=form.to_input(), by=_user(request))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("surveys:detail", pk=survey.pk)
    return render(request, "surveys/form.html", {"title": _("New survey"), "form": form})


@require_perm(Perm.SURVEYS_MANAGE)
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    form = forms.SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(
                survey=Survey.objects.get(pk=pk), data=form.to_input(), by=_user(request)
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("surveys:detail", pk=pk)
    return render(
        request, "surveys/form.html", {"title": survey.title, "form": form, "survey": survey}
    )


@require_perm(Perm.SURVEYS_MANAGE)
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    return render(request, "surveys/detail.html", _detail_context(request, survey))


def _detail_context(request: HttpRequest, survey: Survey, **extra: Any) -> dict[str, Any]:
    return {
        "title": survey.title,
        "survey": survey,
        "questions": selectors.questions_of(survey),
        "question_form": extra.get("question_form") or forms.QuestionForm(),
        "ipa_form": extra.get("ipa_form") or forms.IpaForm(),
        "audience_form": extra.get("audience_form") or forms.AudienceForm(user=_user(request)),
        "invited": survey.invitations.count(),
        "responses": survey.responses.filter(submitted_at__isnull=False).count(),
        "partial": survey.responses.filter(submitted_at__isnull=True).count(),
        "follow_ups": selectors.follow_up_summary(survey),
        "statuses": SurveyStatus,
    }


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    form = forms.QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_add(survey=survey, data=form.to_input(), by=_user(request))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Question added."))
            return redirect("surveys:detail", pk=pk)
    return render(
        request,
        "surveys/detail.html",
        _detail_context(request, survey, question_form=form),
        status=400,
    )


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def question_delete(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_pk, survey_id=pk)
    try:
        services.question_delete(question=question, by=_user(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:detail", pk=pk)


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def servqual_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    services.servqual_template_add(survey=survey, by=_user(request))
    messages.success(request, _("SERVQUAL questions added: expectation and perception."))
    return redirect("surveys:detail", pk=pk)


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def ipa_add(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    form = forms.IpaForm(request.POST)
    if form.is_valid():
        try:
            services.ipa_attribute_add(
                survey=survey,
                attribute=form.cleaned_data["attribute"],
                attribute_en=form.cleaned_data.get("attribute_en", ""),
                page=form.cleaned_data["page"],
                by=_user(request),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("surveys:detail", pk=pk)
    return render(
        request, "surveys/detail.html", _detail_context(request, survey, ipa_form=form), status=400
    )


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def survey_status(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    try:
        services.survey_set_status(
            survey=survey, status=request.POST.get("status", ""), by=_user(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:detail", pk=pk)


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def next_wave(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    new = services.survey_next_wave(survey=survey, by=_user(request))
    messages.success(request, _("Wave %(n)s created with the same questions.") % {"n": new.wave})
    return redirect("surveys:detail", pk=new.pk)


@require_POST
@require_perm(Perm.SURVEYS_MANAGE)
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    form = forms.AudienceForm(request.POST, user=_user(request))
    if form.is_valid():
        try:
            n = services.invite(survey=survey, data=form.to_input(), by=_user(request))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("%(n)s contacts invited.") % {"n": n})
            return redirect("surveys:detail", pk=pk)
    return render(
        request,
        "surveys/detail.html",
        _detail_context(request, survey, audience_form=form),
        status=400,
    )


@require_perm(Perm.SURVEYS_MANAGE)
def preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer form as respondents see it, page by page, in either language; saves nothing."""
    from django.utils import translation

    from .answer_views import page_context

    survey = selectors.survey_get(pk)
    lang = request.GET.get("lang", "ru") if request.GET.get("lang") in ("ru", "en") else "ru"
    with translation.override(lang):
        questions = selectors.questions_of(survey)
        pages = sorted({q.page for q in questions}) or [1]
        try:
            page = int(request.GET.get("page", pages[0]))
        except ValueError:
            page = pages[0]
        ctx = page_context(survey, questions, page, {}, {}, lang)
        ctx.update({"preview": True, "title": _("Preview"), "lang": lang})
        return render(request, "surveys/answer.html", ctx)


def report_context(survey: Survey, importance: str) -> dict[str, Any]:
    report = analysis.analyse(survey, importance=importance)
    q_charts = []
    for qs in report.questions:
        if qs.distribution is None:
            continue
        total = qs.distribution.n or 1
        q_charts.append(
            (
                qs,
                charts.bars(
                    qs.labels,
                    [100 * c / total for c in qs.distribution.counts],
                    unit=" %",
                    title=qs.label,
                ),
            )
        )
    labels = {k: str(v) for k, v in charts.QUADRANT_LABELS.items()}
    labels.update(
        {"x": _("Performance"), "y": _("Importance"), "title": _("Importance-performance")}
    )
    waves = report.waves
    trend = charts.trend(
        [f"{_('wave')} {w.wave}" for w in waves],
        [w.nps.nps if w.nps else float("nan") for w in waves],
        [w.nps.low if w.nps else float("nan") for w in waves],
        [w.nps.high if w.nps else float("nan") for w in waves],
    )
    attribute_labels = {k: str(v) for k, v in analysis.ATTRIBUTE_LABELS.items()}
    significant = [c for c in report.crosstabs if c.significant]
    for c in significant:
        c.attribute_label = attribute_labels.get(c.attribute, c.attribute)  # type: ignore[attr-defined]
    ipa_rows = [
        {
            "attribute": p.attribute,
            "importance": p.importance,
            "performance": p.performance,
            "n": p.n,
            "quadrant_label": labels[p.quadrant],
        }
        for p in report.ipa_points
    ]
    return {
        "title": _("Research report: %(t)s") % {"t": survey.title},
        "driver_tables": [
            (
                name,
                d,
                list(zip(d.names, d.betas, d.p_values, [100 * s for s in d.shares], strict=False)),
            )
            for name, d in report.drivers.items()
        ],
        "text_blocks": [(q, report.text_terms.get(q.pk, [])) for q in report.text_questions],
        "rate_tables": [(attribute_labels.get(k, k), v) for k, v in report.rates.items()],
        "ipa_rows": ipa_rows,
        "survey": survey,
        "report": report,
        "question_charts": q_charts,
        "ipa_chart": charts.ipa(report.ipa_points, report.ipa_cuts, labels),
        "quadrant_labels": labels,
        "trend_chart": trend if len(waves) > 1 else "",
        "segment_chart": charts.bars(
            [s for s, _r in report.nps_by_segment],
            [r.nps for _s, r in report.nps_by_segment],
            title=_("NPS by segment"),
        ),
        "significant": significant,
        "importance": importance,
        "Quadrant": st.Quadrant,
    }


def _importance(request: HttpRequest) -> str:
    value = request.GET.get("importance", "auto")
    return value if value in ("auto", "stated", "derived") else "auto"


@require_perm(Perm.SURVEYS_MANAGE)
def report(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    return render(request, "surveys/report.html", report_context(survey, _importance(request)))


@require_perm(Perm.SURVEYS_MANAGE)
def report_pdf_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    result = analysis.analyse(survey, importance=_importance(request))
    pdf = report_pdf.render(result)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="survey-{survey.pk}-report.pdf"'
    return response


@require_perm(Perm.SURVEYS_MANAGE)
def responses(request: HttpRequest, pk: int) -> HttpResponse:
    """The responses behind a figure: by question and value, or a list of ids (open answers)."""
    survey = selectors.survey_get(pk)
    question = None
    code = request.GET.get("q", "")
    if code:
        question = get_object_or_404(Question, survey=survey, code=code)
    value = None
    try:
        value = float(request.GET["value"]) if request.GET.get("value") else None
    except ValueError:
        value = None
    ids = None
    if request.GET.get("ids"):
        ids = [int(i) for i in request.GET["ids"].split(",") if i.strip().isdigit()][:500]
    qs = selectors.responses_of(survey, question=question, value=value, ids=ids)
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    answers = selectors.answers_for(page.object_list)
    for r in page.object_list:
        r.answer_list = answers.get(r.pk, [])  # type: ignore[attr-defined]
    return render(
        request,
        "surveys/responses.html",
        {
            "title": _("Responses"),
            "survey": survey,
            "page": page,
            "question": question,
            "value": value,
            "text_kind": QuestionKind.TEXT,
        },
    )


@require_perm(Perm.SURVEYS_MANAGE)
def follow_ups(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    page = Paginator(selectors.follow_ups_of(survey), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/follow_ups.html",
        {
            "title": _("Follow-ups"),
            "survey": survey,
            "page": page,
            "summary": selectors.follow_up_summary(survey),
        },
    )


@require_perm(Perm.SURVEYS_MANAGE)
def import_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = selectors.survey_get(pk)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()[:5]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"upload{suffix}"
            with path.open("wb") as fh:
                for chunk in upload.chunks():
                    fh.write(chunk)
            result = import_responses(
                survey=survey, path=path, channel=form.cleaned_data["channel"], by=_user(request)
            )
        if not result.errors:
            messages.success(request, _("%(n)s responses imported.") % {"n": result.created})
            return redirect("surveys:detail", pk=pk)
    return render(
        request,
        "surveys/import.html",
        {"title": _("Import responses"), "survey": survey, "form": form, "result": result},
        status=400 if result and result.errors else 200,
    )
