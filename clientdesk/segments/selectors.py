"""Reads of the segments domain. Later domains (service standards, routing, campaign audiences)
read a client's segment only through `segment_of`, `segments_for` and `companies_in`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from clientdesk.clients.models import Company

from . import rules as rule_engine
from .models import CellPolicy, Cluster, CompanySegment, RuleSegment, SegmentRun


@dataclass(frozen=True)
class CurrentSegment:
    company_id: int
    run_id: int
    period_end: dt.date
    abc: str
    abc_margin: str
    xyz: str
    rfm_segment: str
    r: int | None
    f: int | None
    m: int | None
    lifecycle: str
    cluster: int | None
    churn_risk: int
    risk_reasons: list[dict[str, Any]]
    revenue: float
    value_historic: float
    value_expected: float
    at_risk: bool
    # Service policy of the ABC-XYZ cell, when one is set.
    tier: int | None
    response_hours: int | None
    policy: str

    @property
    def cell(self) -> str:
        return f"{self.abc}{self.xyz}"


def sorted_reasons(reasons: Any) -> list[dict[str, Any]]:
    """Risk reasons, the heaviest first."""
    return sorted(reasons or [], key=lambda r: -float(r.get("points") or 0))


def current_run() -> SegmentRun | None:
    return (
        SegmentRun.objects.filter(status=SegmentRun.Status.DONE)
        .order_by("-period_end", "-finished_at", "-id")
        .first()
    )


def done_runs() -> QuerySet[SegmentRun]:
    return SegmentRun.objects.filter(status=SegmentRun.Status.DONE).order_by("-period_end")


def _to_current(
    row: CompanySegment, run: SegmentRun, policies: dict[str, CellPolicy], threshold: int
) -> CurrentSegment:
    policy = policies.get(f"{row.abc}{row.xyz}")
    return CurrentSegment(
        company_id=row.company_id,
        run_id=run.pk,
        period_end=run.period_end,
        abc=row.abc,
        abc_margin=row.abc_margin,
        xyz=row.xyz,
        rfm_segment=row.rfm_segment,
        r=row.r,
        f=row.f,
        m=row.m,
        lifecycle=row.lifecycle,
        cluster=row.cluster,
        churn_risk=row.churn_risk,
        risk_reasons=sorted_reasons(row.risk_reasons),
        revenue=row.revenue,
        value_historic=row.value_historic,
        value_expected=row.value_expected,
        at_risk=row.churn_risk >= threshold and row.lifecycle not in NOT_AT_RISK,
        tier=policy.tier if policy else None,
        response_hours=policy.response_hours if policy else None,
        policy=policy.policy if policy else "",
    )


def _threshold(run: SegmentRun) -> int:
    return int((run.summary or {}).get("params", {}).get("at_risk_threshold", 60))


def segments_for(
    company_ids: list[int], *, run: SegmentRun | None = None
) -> dict[int, CurrentSegment]:
    """Current segments of many companies in three queries, whatever their number."""
    run = run or current_run()
    if run is None or not company_ids:
        return {}
    policies = {str(p): p for p in CellPolicy.objects.all()}
    rows = CompanySegment.objects.filter(run=run, company_id__in=company_ids)
    threshold = _threshold(run)
    return {r.company_id: _to_current(r, run, policies, threshold) for r in rows}


def segment_of(company_id: int) -> CurrentSegment | None:
    return segments_for([company_id]).get(company_id)


def companies_in(
    *,
    abc: str | None = None,
    xyz: str | None = None,
    rfm_segment: str | None = None,
    lifecycle: str | None = None,
    cluster: int | None = None,
    at_risk: bool | None = None,
    rule_segment: RuleSegment | int | None = None,
    run: SegmentRun | None = None,
) -> QuerySet[Company]:
    """THE audience selector: companies in the given segments of the current run (AND).

    Arguments left out do not filter; with none given every company is returned.
    """
    run = run or current_run()
    qs = Company.objects.filter(merged_into__isnull=True)
    filters: dict[str, Any] = {}
    for name, value in (
        ("abc", abc),
        ("xyz", xyz),
        ("rfm_segment", rfm_segment),
        ("lifecycle", lifecycle),
        ("cluster", cluster),
    ):
        if value is not None:
            filters[name] = value
    at_risk_q = Q()
    if at_risk is not None and run is not None:
        at_risk_q = Q(churn_risk__gte=_threshold(run)) & ~Q(lifecycle__in=NOT_AT_RISK)
        at_risk_q = at_risk_q if at_risk else ~at_risk_q
    if filters or at_risk is not None:
        if run is None:
            return qs.none()
        qs = qs.filter(
            pk__in=CompanySegment.objects.filter(at_risk_q, run=run, **filters).values("company_id")
        )
    if rule_segment is not None:
        segment = (
            rule_segment
            if isinstance(rule_segment, RuleSegment)
            else RuleSegment.objects.get(pk=rule_segment)
        )
        qs = qs.filter(
            pk__in=rule_engine.evaluate(segment.rules, run_id=run.pk if run else None).values("pk")
        )
    return qs


def rule_segments_visible(user: Any) -> QuerySet[RuleSegment]:
    return RuleSegment.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def rule_segment_for(user: Any, pk: int) -> RuleSegment:
    """The segment if the user may see it (own or shared); RuleSegment.DoesNotExist otherwise."""
    return rule_segments_visible(user).get(pk=pk)


# --- drill-down ---------------------------------------------------------------------------------
NOT_AT_RISK = ("lost", "prospect")
DRILL_FILTERS = ("abc", "abc_margin", "xyz", "rfm_segment", "lifecycle", "cluster", "r", "f")
FIRMO_FILTERS = {
    "size_band": "company__size_band",
    "section": "company__industry__section",
    "region": "company__region__code",
}


def members(
    run: SegmentRun, params: dict[str, str], *, from_run: SegmentRun | None = None
) -> QuerySet[CompanySegment]:
    """Rows of `run` behind one chart element, largest revenue first.

    `params` are the chart's filters (abc=A&xyz=X, r=5&f=3, ...); `from_*` filters select
    the companies that were in a segment in `from_run` (a cell of the migration matrix).
    """
    qs = CompanySegment.objects.filter(run=run).select_related(
        "company", "company__account_manager", "company__industry", "company__region"
    )
    for name in DRILL_FILTERS:
        if name in params:
            qs = qs.filter(**{name: params[name]})
    for name, lookup in FIRMO_FILTERS.items():
        if name in params:
            qs = qs.filter(**{lookup: params[name]})
    if "in_group" in params:
        grouped = Q(company__parent__isnull=False) | ~Q(company__group_role="")
        qs = qs.filter(grouped) if params["in_group"] == "1" else qs.exclude(grouped)
    if "risk_band" in params and params["risk_band"].isdigit():
        low = int(params["risk_band"])
        qs = qs.filter(churn_risk__gte=low, churn_risk__lt=low + 10 if low < 90 else 101)
    if "at_risk" in params:
        qs = qs.filter(churn_risk__gte=_threshold(run)).exclude(lifecycle__in=NOT_AT_RISK)
    if "clients" in params:
        qs = qs.exclude(abc="")
    if from_run is not None:
        inner = {
            k[5:]: v for k, v in params.items() if k.startswith("from_") and k[5:] in DRILL_FILTERS
        }
        if inner:
            qs = qs.filter(
                company_id__in=CompanySegment.objects.filter(run=from_run, **inner).values(
                    "company_id"
                )
            )
    return qs.order_by("-revenue", "company_id")


def at_risk_list(
    run: SegmentRun, *, account_manager_id: int | None = None, min_risk: int | None = None
) -> QuerySet[CompanySegment]:
    """Clients still worth keeping whose churn risk is at the threshold or above, the riskiest
    and most valuable first. Lost clients (a year without purchases) are not "at risk": gone."""
    qs = (
        CompanySegment.objects.filter(
            run=run, churn_risk__gte=min_risk if min_risk is not None else _threshold(run)
        )
        .exclude(lifecycle__in=NOT_AT_RISK)
        .select_related("company", "company__account_manager")
    )
    if account_manager_id is not None:
        qs = qs.filter(company__account_manager_id=account_manager_id)
    return qs.order_by("-churn_risk", "-value_historic", "company_id")


def clusters_of(run: SegmentRun) -> QuerySet[Cluster]:
    return Cluster.objects.filter(run=run).order_by("number")


def migration_matrix(from_run: SegmentRun, to_run: SegmentRun, dim: str) -> list[dict[str, Any]]:
    """How many companies moved from each value of `dim` to each value, between two runs."""
    if dim not in ("abc", "xyz", "rfm_segment", "lifecycle"):
        raise ValueError(dim)
    stored = (to_run.summary or {}).get("migration") or {}
    if stored.get("from_run") == from_run.pk and dim in stored:
        return list(stored[dim])
    table = CompanySegment._meta.db_table
    sql = f"""
        SELECT a.{dim}, b.{dim}, COUNT(*) FROM {table} a
        JOIN {table} b ON b.company_id = a.company_id AND b.run_id = %s
        WHERE a.run_id = %s GROUP BY a.{dim}, b.{dim} ORDER BY 1, 2
    """  # noqa: S608 - dim is checked against a fixed list above
    with connection.cursor() as cursor:
        cursor.execute(sql, [to_run.pk, from_run.pk])
        return [{"from": a, "to": b, "n": n} for a, b, n in cursor.fetchall()]


def quarter_runs() -> list[SegmentRun]:
    """Runs whose period ends a quarter (for quarterly migration)."""
    return [r for r in done_runs() if r.period_end.month % 3 == 0]


def panel_context(company_id: int) -> dict[str, Any]:
    """What the company card shows: the current segment and its history over recent runs."""
    seg = segment_of(company_id)
    history = list(
        CompanySegment.objects.filter(company_id=company_id, run__status=SegmentRun.Status.DONE)
        .select_related("run")
        .order_by("-run__period_end")[:6]
    )
    return {"seg": seg, "history": history}
