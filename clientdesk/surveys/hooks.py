"""What the surveys domain plugs into the apps to its left (called from SurveysConfig.ready()).

- segments rule builder: fields "nps_group" (promoter / passive / detractor), "nps_score"
  (0-10) and "csat" (1-5);
- segments churn risk: the "satisfaction" input, the latest score on a 0..1 scale (NPS / 10,
  else (CSAT − 1) / 4);
- service request page: the client's latest satisfaction.

"Latest" is the company's latest submitted response that carries an NPS or CSAT answer; the
rule fields and the risk input read that response's NPS or CSAT answer (a response without
one is skipped, so a later survey without these questions does not hide an earlier score).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from clientdesk.core.permissions import has_perm
from clientdesk.core.roles import Perm
from clientdesk.service.hooks import ClientFact

NPS_GROUPS: list[tuple[str, Any]] = [
    ("promoter", _lazy("Promoter (9–10)")),
    ("passive", _lazy("Passive (7–8)")),
    ("detractor", _lazy("Detractor (0–6)")),
]
_GROUP_Q = {
    "promoter": Q(value__gte=9),
    "passive": Q(value__gte=7, value__lte=8),
    "detractor": Q(value__lte=6),
}
_NUMBER_LOOKUP = {"eq": "", "ne": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}


def _scored() -> Q:
    from .models import QuestionKind

    return Q(
        question__kind__in=[QuestionKind.NPS, QuestionKind.CSAT],
        item=0,
        value__isnull=False,
    )


def _latest_answers(kind: str) -> Any:
    """Answers of `kind` given in their company's latest scored response."""
    from .models import Answer, QuestionKind, Response

    # A join, not an IN over all scored answers: per company it reads that company's responses
    # (foreign-key index) and their answers (unique index on response, question, item).
    latest = (
        Response.objects.filter(
            company_id=OuterRef("response__company_id"),
            submitted_at__isnull=False,
            answers__question__kind__in=[QuestionKind.NPS, QuestionKind.CSAT],
            answers__item=0,
            answers__value__isnull=False,
        )
        .order_by("-submitted_at", "-id")
        .values("pk")[:1]
    )
    return Answer.objects.filter(
        question__kind=kind,
        item=0,
        value__isnull=False,
        response__company_id__isnull=False,
        response_id=Subquery(latest),
    )


def _companies(answers: Any) -> Q:
    return Q(pk__in=answers.values("response__company_id"))


def nps_group_q(op: str, value: Any, run_id: int | None) -> Q:
    """A company that never answered matches no condition, as with segment fields."""
    from .models import QuestionKind

    chosen = set(value) if isinstance(value, list) else {value}
    if op in ("ne", "not_in"):
        chosen = set(_GROUP_Q) - chosen
    groups = Q(pk__in=[])
    for name in chosen:
        if name in _GROUP_Q:
            groups |= _GROUP_Q[name]
    return _companies(_latest_answers(QuestionKind.NPS).filter(groups))


def _number_q(kind: str) -> Any:
    def build(op: str, value: Any, run_id: int | None) -> Q:
        lookup = Q(**{f"value{_NUMBER_LOOKUP[op]}": value})
        if op == "ne":
            lookup = ~lookup
        return _companies(_latest_answers(kind).filter(lookup))

    return build


def satisfaction_input(period_end: dt.date) -> pl.DataFrame:
    """company_id, satisfaction (0..1) of each company's latest scored response by period end."""
    from .models import Answer, QuestionKind

    end = dt.datetime.combine(period_end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    rows = (
        Answer.objects.filter(
            _scored(),
            response__company_id__isnull=False,
            response__submitted_at__lt=end,
        )
        .order_by()
        .values_list(
            "response__company_id",
            "response__submitted_at",
            "response_id",
            "question__kind",
            "value",
        )
    )
    schema: dict[str, pl.DataType] = {
        "company_id": pl.Int64(),
        "at": pl.Datetime("us", "UTC"),
        "response_id": pl.Int64(),
        "kind": pl.String(),
        "value": pl.Float64(),
    }
    frame = pl.DataFrame(list(rows), schema=schema, orient="row")
    scaled = (
        pl.when(pl.col("kind") == QuestionKind.NPS.value)
        .then(pl.col("value") / 10)
        .otherwise((pl.col("value") - 1) / 4)
        .clip(0, 1)
    )
    return (
        frame.with_columns(
            satisfaction=scaled, nps_first=(pl.col("kind") != QuestionKind.NPS.value)
        )
        # The latest response first; within it the NPS answer before the CSAT one.
        .sort(
            ["company_id", "at", "response_id", "nps_first"], descending=[False, True, True, False]
        )
        .group_by("company_id", maintain_order=True)
        .first()
        .select("company_id", "satisfaction")
    )


def satisfaction_facts(company_id: int, user: Any) -> list[ClientFact]:
    from .models import Response
    from .selectors import latest_satisfaction

    latest = latest_satisfaction([company_id]).get(company_id)
    if latest is None:
        return [ClientFact(label=_lazy("Satisfaction"), value=_("no survey yet"))]
    parts = []
    if latest["nps_score"] is not None:
        group = dict(NPS_GROUPS).get(latest["nps_group"], latest["nps_group"])
        parts.append(
            _("NPS %(score)s, %(group)s") % {"score": _n(latest["nps_score"]), "group": group}
        )
    if latest["csat"] is not None:
        parts.append(_("CSAT %(score)s of 5") % {"score": _n(latest["csat"])})
    url = ""
    if has_perm(user, Perm.SURVEYS_MANAGE):
        response_id = (
            Response.objects.filter(
                company_id=company_id,
                survey_id=latest["survey_id"],
                submitted_at=latest["answered_at"],
            )
            .values_list("pk", flat=True)
            .first()
        )
        url = reverse("surveys:responses", args=[latest["survey_id"]])
        if response_id is not None:
            url += f"?ids={response_id}"
    return [
        ClientFact(
            label=_lazy("Satisfaction"),
            value="; ".join(parts),
            note=formats.date_format(
                timezone.localtime(latest["answered_at"]), "SHORT_DATE_FORMAT"
            ),
            url=url,
        )
    ]


def _n(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else formats.number_format(value, 1)


def register() -> None:
    from clientdesk.segments.rules import FieldSpec, register_field
    from clientdesk.segments.services import register_risk_input
    from clientdesk.service.hooks import register_client_context

    from .models import QuestionKind

    register_field(
        FieldSpec(
            "nps_group",
            _lazy("NPS group (latest answer)"),
            "choice",
            target="custom",
            choices=lambda: NPS_GROUPS,
            build=nps_group_q,
        )
    )
    register_field(
        FieldSpec(
            "nps_score",
            _lazy("NPS score, 0–10 (latest answer)"),
            "number",
            target="custom",
            build=_number_q(QuestionKind.NPS),
        )
    )
    register_field(
        FieldSpec(
            "csat",
            _lazy("CSAT, 1–5 (latest answer)"),
            "number",
            target="custom",
            build=_number_q(QuestionKind.CSAT),
        )
    )
    register_risk_input("satisfaction", satisfaction_input)
    register_client_context(satisfaction_facts)
