"""Reads of the surveys domain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404

from . import statistics as st
from .models import (
    Answer,
    FollowUp,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Survey,
    SurveyStatus,
)


def survey_list(*, status: str = "", q: str = "") -> QuerySet[Survey]:
    qs = Survey.objects.annotate(
        n_questions=Count("questions", distinct=True),
    ).annotate(
        n_invited=Subquery(
            Invitation.objects.filter(survey=OuterRef("pk"))
            .values("survey")
            .annotate(c=Count("id"))
            .values("c")[:1]
        ),
        n_responses=Subquery(
            Response.objects.filter(survey=OuterRef("pk"), submitted_at__isnull=False)
            .values("survey")
            .annotate(c=Count("id"))
            .values("c")[:1]
        ),
    )
    if status:
        qs = qs.filter(status=status)
    if q.strip():
        qs = qs.filter(title__icontains=q.strip())
    return qs.select_related("created_by").order_by("-created_at", "-id")


def survey_get(pk: int) -> Survey:
    return get_object_or_404(Survey, pk=pk)


def questions_of(survey: Survey) -> list[Question]:
    return list(survey.questions.all())


def follow_up_summary(survey: Survey) -> dict[str, int]:
    """How many detractors and low scores were followed up, and what came of it."""
    rows = FollowUp.objects.filter(survey=survey).values("request__status").annotate(n=Count("id"))
    out = {"total": 0, "open": 0, "resolved": 0, "closed": 0}
    for r in rows:
        status = r["request__status"] or ""
        out["total"] += r["n"]
        if status in ("resolved",):
            out["resolved"] += r["n"]
        elif status == "closed":
            out["closed"] += r["n"]
        else:
            out["open"] += r["n"]
    return out


def follow_ups_of(survey: Survey) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(survey=survey).select_related(
        "company", "request", "request__assignee", "response"
    )


def responses_of(
    survey: Survey,
    *,
    question: Question | None = None,
    value: float | None = None,
    ids: Iterable[int] | None = None,
) -> QuerySet[Response]:
    """Submitted responses, optionally those that gave `value` to `question` (the report links
    every figure here, so the reader can see the answers behind it)."""
    qs = Response.objects.filter(survey=survey, submitted_at__isnull=False)
    if question is not None:
        answers = Answer.objects.filter(question=question)
        if value is not None:
            answers = answers.filter(value=int(value))
        qs = qs.filter(pk__in=answers.values("response_id"))
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.select_related("company", "contact").order_by("-submitted_at", "-id")


def answers_for(responses: Iterable[Response]) -> dict[int, list[Answer]]:
    ids = [r.pk for r in responses]
    out: dict[int, list[Answer]] = {}
    for a in Answer.objects.filter(response_id__in=ids).select_related("question"):
        out.setdefault(a.response_id, []).append(a)
    return out


def portal_invitations(contact_id: int | None) -> QuerySet[Invitation]:
    """Open surveys addressed to this contact through any channel."""
    if contact_id is None:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            contact_id=contact_id,
            survey__status=SurveyStatus.OPEN,
            token__isnull=False,
            responded_at__isnull=True,
            survey__anonymous=False,
        )
        .select_related("survey")
        .order_by("-created_at")
    )


def latest_satisfaction(company_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Each company's latest satisfaction, for segmentation rules and dashboards:
    {company_id: {"nps_score": 0-10, "nps_group": "promoter|passive|detractor", "csat": 1-5,
    "answered_at": datetime, "survey_id": int}}. Companies that never answered are absent.
    Two queries whatever the number of companies."""
    ids = list(company_ids)
    if not ids:
        return {}
    latest = (
        Response.objects.filter(company_id__in=ids, submitted_at__isnull=False)
        .values("company_id")
        .annotate(last=Max("submitted_at"))
    )
    last_at = {r["company_id"]: r["last"] for r in latest}
    rows = (
        Answer.objects.filter(
            response__company_id__in=ids,
            response__submitted_at__isnull=False,
            question__kind__in=[QuestionKind.NPS, QuestionKind.CSAT],
            item=0,
        )
        .filter(Q(value__isnull=False))
        .values(
            "response__company_id",
            "response__submitted_at",
            "response__survey_id",
            "question__kind",
            "value",
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for r in rows:
        cid = r["response__company_id"]
        if r["response__submitted_at"] != last_at.get(cid):
            continue
        entry = out.setdefault(
            cid,
            {
                "nps_score": None,
                "nps_group": "",
                "csat": None,
                "answered_at": r["response__submitted_at"],
                "survey_id": r["response__survey_id"],
            },
        )
        if r["question__kind"] == QuestionKind.NPS and entry["nps_score"] is None:
            score = float(r["value"] or 0)
            entry["nps_score"] = score
            entry["nps_group"] = (
                "promoter" if score >= 9 else "detractor" if score <= 6 else "passive"
            )
        elif r["question__kind"] == QuestionKind.CSAT and entry["csat"] is None:
            entry["csat"] = float(r["value"] or 0)
    return out


def nps_of(values: Iterable[float]) -> st.NpsResult:
    import numpy as np

    return st.nps(np.fromiter(values, dtype=float))
