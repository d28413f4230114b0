"""Staff pages of the segments domain: overview charts, drill-down lists with export, at-risk
clients, the rule-segment builder, settings and runs. Views are thin: selectors and services do
the work, charts.py draws."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientdesk.clients import exports
from clientdesk.clients.models import SizeBand
from clientdesk.core.permissions import has_perm, require_perm
from clientdesk.core.roles import Perm, Role

from . import charts, selectors, services
from . import rules as rule_engine
from .models import CellPolicy, Lifecycle, RfmSegment, RuleSegment, SegmentationSettings, SegmentRun

RFM_LABELS = dict(RfmSegment.choices)
LIFECYCLE_LABELS = dict(Lifecycle.choices)
FEATURE_LABELS = {
    "high revenue": gettext_lazy("high revenue"),
    "low revenue": gettext_lazy("low revenue"),
    "frequent purchases": gettext_lazy("frequent purchases"),
    "rare purchases": gettext_lazy("rare purchases"),
    "long silent": gettext_lazy("long silent"),
    "recently active": gettext_lazy("recently active"),
    "erratic": gettext_lazy("erratic"),
    "steady": gettext_lazy("steady"),
    "growing": gettext_lazy("growing"),
    "shrinking": gettext_lazy("shrinking"),
    "typical clients": gettext_lazy("typical clients"),
}
REASON_LABELS = {
    "revenue_drop": gettext_lazy("falling revenue"),
    "silence": gettext_lazy("long silence"),
    "complaints": gettext_lazy("open complaints"),
    "satisfaction": gettext_lazy("low satisfaction"),
}


def describe_cluster(description: str) -> str:
    return ", ".join(str(FEATURE_LABELS.get(w.strip(), w)) for w in description.split(","))


def _run_from(request: HttpRequest) -> SegmentRun | None:
    run_id = request.GET.get("run", "")
    if run_id.isdigit():
        return get_object_or_404(selectors.done_runs(), pk=int(run_id))
    return selectors.current_run()


def _members_url(run: SegmentRun, **params: Any) -> str:
    query = {"run": run.pk, **{k: v for k, v in params.items() if v is not None}}
    return f"{reverse('segments:members')}?{urlencode(query)}"


# --- overview ----------------------------------------------------------------------------------
def _matrix_cells(run: SegmentRun, summary: dict[str, Any]) -> list[dict[str, Any]]:
    cells = {(c["abc"], c["xyz"]): c for c in summary.get("matrix", [])}
    top = max((c["revenue"] for c in cells.values()), default=0)
    policies = {str(p): p for p in CellPolicy.objects.all()}
    rows = []
    for a in "ABC":
        row = []
        for x in "XYZ":
            c = cells.get((a, x), {"n": 0, "revenue": 0})
            row.append(
                {
                    "abc": a,
                    "xyz": x,
                    "n": c["n"],
                    "revenue": c["revenue"],
                    "style": charts.shade(c["revenue"], top),
                    "policy": policies.get(f"{a}{x}"),
                    "href": _members_url(run, abc=a, xyz=x),
                }
            )
        rows.append({"abc": a, "cells": row})
    return rows


def _rfm_grid(run: SegmentRun, summary: dict[str, Any]) -> list[dict[str, Any]]:
    cells = {(c["r"], c["f"]): c["n"] for c in summary.get("rfm_grid", [])}
    top = max(cells.values(), default=0)
    return [
        {
            "r": r,
            "cells": [
                {
                    "f": f,
                    "n": cells.get((r, f), 0),
                    "style": charts.shade(cells.get((r, f), 0), top),
                    "href": _members_url(run, r=r, f=f),
                }
                for f in range(1, 6)
            ],
        }
        for r in range(5, 0, -1)
    ]


def _migration(to_run: SegmentRun, from_run: SegmentRun | None, dim: str) -> dict[str, Any] | None:
    if from_run is None:
        return None
    flows = selectors.migration_matrix(from_run, to_run, dim)
    all_labels: dict[str, dict[str, Any]] = {
        "abc": {"": "—"},
        "rfm_segment": {"": "—", **RFM_LABELS},
        "lifecycle": LIFECYCLE_LABELS,
    }
    labels = all_labels.get(dim, {})
    order = {
        "abc": ["A", "B", "C", ""],
        "rfm_segment": [*RfmSegment.values, ""],
        "lifecycle": list(Lifecycle.values),
    }[dim]
    present = {f["from"] for f in flows} | {f["to"] for f in flows}
    keys = [k for k in order if k in present]
    counts = {(f["from"], f["to"]): f["n"] for f in flows}
    top = max((n for (a, b), n in counts.items() if a != b), default=0)
    rows = []
    for a in keys:
        cells = []
        for b in keys:
            n = counts.get((a, b), 0)
            cells.append(
                {
                    "n": n,
                    "same": a == b,
                    "style": "" if a == b else charts.shade(n, top),
                    "href": _members_url(
                        to_run, **{dim: b, f"from_{dim}": a, "from_run": from_run.pk}
                    ),
                }
            )
        rows.append({"label": labels.get(a, a), "cells": cells})
    return {
        "dim": dim,
        "from_run": from_run,
        "columns": [labels.get(k, k) for k in keys],
        "rows": rows,
    }


@require_perm(Perm.SEGMENTS_VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    run = _run_from(request)
    context: dict[str, Any] = {
        "title": _("Segments"),
        "run": run,
        "runs": selectors.done_runs()[:24],
        "latest": SegmentRun.objects.order_by("-created_at").first(),
        "can_manage": has_perm(request.user, Perm.SEGMENTS_MANAGE),
    }
    if run is None:
        return render(request, "segments/overview.html", context)
    summary = run.summary or {}
    params = summary.get("params", {})
    pareto = summary.get("pareto", {})
    n = pareto.get("n", 0) or 1
    a_cut = pareto.get("a", 0) / n * 100
    b_cut = (pareto.get("a", 0) + pareto.get("b", 0)) / n * 100
    a_share = float(params.get("abc_a", 80))
    b_share = a_share + float(params.get("abc_b", 15))
    context["pareto_svg"] = charts.pareto(
        pareto.get("points", []),
        a_cut=a_cut,
        b_cut=b_cut,
        a_share=a_share,
        b_share=b_share,
        hrefs={k: _members_url(run, abc=k) for k in "ABC"},
        title=_("Pareto curve: cumulative share of revenue by share of clients"),
        desc=_("%(a).0f%% of clients (group A) bring %(s).0f%% of revenue.")
        % {"a": a_cut, "s": a_share},
    )
    context["pareto_table"] = [
        {
            "abc": r["abc"],
            "n": r["n"],
            "revenue": r["revenue"],
            "href": _members_url(run, abc=r["abc"]),
        }
        for r in summary.get("abc", [])
    ]
    context["matrix"] = _matrix_cells(run, summary)
    context["rfm_grid"] = _rfm_grid(run, summary)
    rfm_items = [
        charts.Bar(
            str(RFM_LABELS.get(r["rfm_segment"], r["rfm_segment"])),
            r["n"],
            _members_url(run, rfm_segment=r["rfm_segment"]),
        )
        for r in sorted(
            summary.get("rfm_segments", []), key=lambda r: RfmSegment.values.index(r["rfm_segment"])
        )
    ]
    context["rfm_bars"] = charts.bars(rfm_items, title=_("Clients by RFM segment"), ident="rfm")
    context["rfm_items"] = rfm_items
    life = {r["lifecycle"]: r for r in summary.get("lifecycle", [])}
    life_items = [
        charts.Bar(str(label), life[key]["n"], _members_url(run, lifecycle=key))
        for key, label in Lifecycle.choices
        if key in life
    ]
    context["lifecycle_bars"] = charts.bars(
        life_items, title=_("Companies by lifecycle stage"), ident="life"
    )
    context["lifecycle_items"] = life_items
    risk_items = [
        charts.Bar(
            f"{r['band']}–{r['band'] + 9 if r['band'] < 90 else 100}",
            r["n"],
            _members_url(run, risk_band=r["band"]),
        )
        for r in summary.get("risk_bands", [])
    ]
    context["risk_bars"] = charts.bars(risk_items, title=_("Clients by churn risk"), ident="risk")
    context["risk_items"] = risk_items
    sizes = dict(SizeBand.choices)
    context["firmographic"] = {
        _("Size"): [
            (
                sizes.get(r["size_band"], r["size_band"]) or _("Unknown"),
                r["n"],
                r["revenue"],
                _members_url(run, size_band=r["size_band"], clients=1),
            )
            for r in summary.get("size_band", [])
        ],
        _("Industry section"): [
            (
                r["section"] or _("Unknown"),
                r["n"],
                r["revenue"],
                _members_url(run, section=r["section"], clients=1),
            )
            for r in summary.get("section", [])
        ],
        _("Region (top 15)"): [
            (
                r["region"] or _("Unknown"),
                r["n"],
                r["revenue"],
                _members_url(run, region=r["region"], clients=1),
            )
            for r in summary.get("region", [])
        ],
        _("Corporate group"): [
            (
                _("In a group") if r["in_group"] else _("Independent"),
                r["n"],
                r["revenue"],
                _members_url(run, in_group=r["in_group"], clients=1),
            )
            for r in summary.get("in_group", [])
        ],
    }
    cluster_rows = {r["cluster"]: r for r in summary.get("clusters", [])}
    context["clusters"] = [
        {
            "c": c,
            "text": describe_cluster(c.description),
            "revenue": cluster_rows.get(c.number, {}).get("revenue", 0),
            "href": _members_url(run, cluster=c.number),
        }
        for c in selectors.clusters_of(run)
    ]
    context["silhouette"] = summary.get("silhouette", {})
    dim = request.GET.get("dim", "abc")
    if dim not in ("abc", "rfm_segment", "lifecycle"):
        dim = "abc"
    from_run = None
    from_id = request.GET.get("from", "")
    if from_id.isdigit():
        from_run = selectors.done_runs().filter(pk=int(from_id)).first()
    elif summary.get("migration"):
        from_run = selectors.done_runs().filter(pk=summary["migration"]["from_run"]).first()
    context["migration"] = _migration(run, from_run, dim)
    context["dim"] = dim
    context["summary"] = summary
    return render(request, "segments/overview.html", context)


# --- drill-down and export ---------------------------------------------------------------------
EXPORT_COLUMNS = [
    exports.Column(gettext_lazy("ID"), lambda s: s.company_id),
    exports.Column(gettext_lazy("Company"), lambda s: s.company.display_name),
    exports.Column(gettext_lazy("INN"), lambda s: s.company.inn),
    exports.Column(
        gettext_lazy("Key account manager"), lambda s: str(s.company.account_manager or "")
    ),
    exports.Column("ABC", lambda s: s.abc),
    exports.Column("XYZ", lambda s: s.xyz),
    exports.Column(gettext_lazy("ABC by margin"), lambda s: s.abc_margin),
    exports.Column(
        gettext_lazy("RFM segment"), lambda s: s.get_rfm_segment_display() if s.rfm_segment else ""
    ),
    exports.Column("R", lambda s: s.r),
    exports.Column("F", lambda s: s.f),
    exports.Column("M", lambda s: s.m),
    exports.Column(gettext_lazy("Lifecycle"), lambda s: s.get_lifecycle_display()),
    exports.Column(gettext_lazy("Cluster"), lambda s: s.cluster),
    exports.Column(gettext_lazy("Revenue, RUB"), lambda s: s.revenue),
    exports.Column(gettext_lazy("Margin, RUB"), lambda s: s.margin),
    exports.Column(gettext_lazy("Coefficient of variation, %"), lambda s: s.cv),
    exports.Column(gettext_lazy("Churn risk"), lambda s: s.churn_risk),
    exports.Column(gettext_lazy("Historic value, RUB"), lambda s: s.value_historic),
    exports.Column(gettext_lazy("Expected value, RUB"), lambda s: s.value_expected),
]
TEXT_PARAMS = ("abc", "xyz", "abc_margin", "rfm_segment", "section", "size_band", "region")
MEMBER_PARAMS = (
    *selectors.DRILL_FILTERS,
    *selectors.FIRMO_FILTERS,
    "in_group",
    "risk_band",
    "at_risk",
    "clients",
)


def _export(
    request: HttpRequest, qs: Any, fmt: str, name: str, params: dict[str, str]
) -> HttpResponse:
    if not has_perm(request.user, Perm.CLIENTS_EXPORT):
        raise PermissionDenied
    stamp = timezone.localdate().isoformat()
    total = qs.count()
    exports.record_export(
        by=request.user, what=f"segments.{name}", fmt=fmt, rows=total, params=params
    )
    if fmt == "xlsx":
        rows = exports.iterate(qs[: exports.XLSX_MAX_ROWS])
        out = exports.write_xlsx(EXPORT_COLUMNS, rows, title=name)
        xlsx = FileResponse(out, as_attachment=True, filename=f"{name}-{stamp}.xlsx")
        return xlsx  # type: ignore[return-value]
    response = StreamingHttpResponse(
        exports.stream_csv(EXPORT_COLUMNS, exports.iterate(qs)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response  # type: ignore[return-value]


def _describe_filters(params: dict[str, str]) -> list[str]:
    out = []
    for key, value in params.items():
        if key == "rfm_segment":
            value = str(RFM_LABELS.get(value, value))
        elif key == "lifecycle":
            value = str(LIFECYCLE_LABELS.get(value, value))
        out.append(f"{key} = {value}")
    return out


@require_perm(Perm.SEGMENTS_VIEW)
def members(request: HttpRequest) -> HttpResponse:
    run = _run_from(request)
    if run is None:
        raise Http404(_("No segmentation has been computed yet."))
    # An empty value is a real filter for text fields ("no industry"), not for numbers.
    params = {
        k: request.GET[k]
        for k in MEMBER_PARAMS
        if k in request.GET and (request.GET[k] != "" or k in TEXT_PARAMS)
    }
    from_run = None
    if request.GET.get("from_run", "").isdigit():
        from_run = get_object_or_404(selectors.done_runs(), pk=int(request.GET["from_run"]))
        params |= {
            k: str(v) for k, v in request.GET.items() if k.startswith("from_") and k != "from_run"
        }
    qs = selectors.members(run, params, from_run=from_run)
    fmt = request.GET.get("format", "")
    if fmt in ("csv", "xlsx"):
        return _export(request, qs, fmt, "segment", params)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k not in ("page", "format")})
    return render(
        request,
        "segments/members.html",
        {
            "title": _("Clients in the segment"),
            "run": run,
            "page": page,
            "query": query,
            "filters": _describe_filters(params),
            "from_run": from_run,
            "can_export": has_perm(request.user, Perm.CLIENTS_EXPORT),
        },
    )


# --- at-risk clients ---------------------------------------------------------------------------
@require_perm(Perm.SEGMENTS_VIEW)
def at_risk(request: HttpRequest) -> HttpResponse:
    from clientdesk.accounts.models import User

    run = selectors.current_run()
    user: Any = request.user
    manager = request.GET.get("manager")
    if manager is None:
        manager = str(user.pk) if user.role == Role.ACCOUNT_MANAGER else "all"
    manager_id = int(manager) if manager.isdigit() else None
    page = None
    if run is not None:
        qs = selectors.at_risk_list(run, account_manager_id=manager_id)
        if request.GET.get("format") in ("csv", "xlsx"):
            return _export(request, qs, request.GET["format"], "at-risk", {"manager": manager})
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        for row in page:
            row.reasons = [  # type: ignore[attr-defined]
                {**r, "label": REASON_LABELS.get(r["code"], r["code"])}
                for r in selectors.sorted_reasons(row.risk_reasons)
            ]
    managers = User.objects.filter(
        kind="staff", role=Role.ACCOUNT_MANAGER, is_active=True
    ).order_by("last_name", "first_name")
    return render(
        request,
        "segments/at_risk.html",
        {
            "title": _("At-risk clients"),
            "run": run,
            "page": page,
            "manager": manager,
            "managers": managers,
            "query": urlencode({"manager": manager}),
            "threshold": selectors._threshold(run) if run else None,
            "can_export": has_perm(request.user, Perm.CLIENTS_EXPORT),
        },
    )


# --- company panel -----------------------------------------------------------------------------
@require_perm(Perm.SEGMENTS_VIEW)
def company_panel(request: HttpRequest, company_id: int) -> HttpResponse:
    context = selectors.panel_context(company_id)
    seg = context["seg"]
    if seg is not None:
        context["reasons"] = [
            {**r, "label": REASON_LABELS.get(r["code"], r["code"])} for r in seg.risk_reasons
        ]
        context["rfm_label"] = RFM_LABELS.get(seg.rfm_segment, "")
        context["lifecycle_label"] = LIFECYCLE_LABELS.get(seg.lifecycle, "")
    return render(request, "segments/company_panel.html", context)


# --- rule segments -----------------------------------------------------------------------------
def _rules_from_post(data: Any) -> dict[str, Any]:
    fields, ops, values = data.getlist("field"), data.getlist("op"), data.getlist("value")
    conditions = []
    for i, name in enumerate(fields):
        if not name:
            continue
        op = ops[i] if i < len(ops) else ""
        value: Any = values[i] if i < len(values) else ""
        if op in ("in", "not_in"):
            value = [v.strip() for v in str(value).split(",") if v.strip()]
        conditions.append({"field": name, "op": op, "value": value})
    return {"match": data.get("match", "all"), "conditions": conditions}


def _field_choices() -> list[tuple[str, str, str]]:
    return [(s.name, str(s.label), s.target) for s in rule_engine.FIELDS.values()]


def _condition_rows(rules: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for cond in rules.get("conditions") or []:
        value = cond.get("value", "")
        rows.append(
            _condition_row(
                cond.get("field", ""),
                cond.get("op", ""),
                ", ".join(value) if isinstance(value, list) else str(value),
            )
        )
    return rows


def _condition_row(field: str, op: str = "", value: str = "") -> dict[str, Any]:
    spec = rule_engine.FIELDS.get(field) or next(iter(rule_engine.FIELDS.values()))
    return {
        "field": spec.name,
        "op": op if op in spec.ops else spec.ops[0],
        "value": value,
        "ops": [(o, rule_engine.OPS[o]) for o in spec.ops],
        "choices": spec.choices() if spec.choices else None,
    }


@require_perm(Perm.SEGMENTS_VIEW)
def rule_list(request: HttpRequest) -> HttpResponse:
    segments = list(selectors.rule_segments_visible(request.user))
    for s in segments:
        s.text = rule_engine.describe(s.rules)  # type: ignore[attr-defined]
    return render(
        request,
        "segments/rule_list.html",
        {
            "title": _("Rule segments"),
            "segments": segments,
            "can_manage": has_perm(request.user, Perm.SEGMENTS_MANAGE),
        },
    )


@require_perm(Perm.SEGMENTS_MANAGE)
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    segment = None
    if pk is not None:
        segment = get_object_or_404(RuleSegment, pk=pk, owner=request.user)
    rules = (
        segment.rules
        if segment
        else {"match": "all", "conditions": [{"field": "abc", "op": "in", "value": ["A"]}]}
    )
    error = ""
    if request.method == "POST":
        rules = _rules_from_post(request.POST)
        try:
            segment = services.rule_segment_save(
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                shared=request.POST.get("shared") == "on",
                rules=rules,
                by=request.user,  # type: ignore[arg-type]
                segment=segment,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The segment is saved."))
            return redirect("segments:rule_detail", pk=segment.pk)
    return render(
        request,
        "segments/rule_edit.html",
        {
            "title": segment.name if segment else _("New rule segment"),
            "segment": segment,
            "name": request.POST.get("name", segment.name if segment else ""),
            "description": request.POST.get("description", segment.description if segment else ""),
            "shared": segment.shared if segment else False,
            "match": rules.get("match", "all"),
            "rows": _condition_rows(rules),
            "fields": _field_choices(),
            "error": error,
        },
    )


@require_perm(Perm.SEGMENTS_MANAGE)
def rule_condition(request: HttpRequest) -> HttpResponse:
    """One condition row of the builder (htmx: add a row, or redraw it for another field)."""
    row = _condition_row(
        request.GET.get("field", "abc"), request.GET.get("op", ""), request.GET.get("value", "")
    )
    return render(request, "segments/_condition.html", {"row": row, "fields": _field_choices()})


@require_perm(Perm.SEGMENTS_VIEW)
def rule_preview(request: HttpRequest) -> HttpResponse:
    """Live count of the companies a rule set matches (htmx, while the builder is edited)."""
    rules = _rules_from_post(request.POST)
    run = selectors.current_run()
    try:
        normalised = rule_engine.validate(rules)
    except ValidationError as exc:
        return render(request, "segments/_preview.html", {"error": " ".join(exc.messages)})
    qs = rule_engine.evaluate(normalised, run_id=run.pk if run else None)
    return render(
        request,
        "segments/_preview.html",
        {
            "count": qs.count(),
            "sample": list(qs.order_by("legal_name", "id")[:10]),
            "text": rule_engine.describe(normalised),
        },
    )


@require_perm(Perm.SEGMENTS_VIEW)
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        segment = selectors.rule_segment_for(request.user, pk)
    except RuleSegment.DoesNotExist:
        raise Http404 from None
    run = selectors.current_run()
    companies = selectors.companies_in(rule_segment=segment, run=run).select_related(
        "account_manager", "industry", "region"
    )
    if request.GET.get("format") in ("csv", "xlsx"):
        if run is None:
            raise Http404
        rows = selectors.members(run, {}).filter(company__in=companies.values("pk"))
        return _export(
            request, rows, request.GET["format"], f"rule-{segment.pk}", {"rule": str(pk)}
        )
    if request.method == "POST" and request.POST.get("delete"):
        if not has_perm(request.user, Perm.SEGMENTS_MANAGE):
            raise PermissionDenied
        try:
            services.rule_segment_delete(segment=segment, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("segments:rule_detail", pk=pk)
        messages.success(request, _("The segment is deleted."))
        return redirect("segments:rule_list")
    page = Paginator(companies.order_by("legal_name", "id"), 50).get_page(request.GET.get("page"))
    segs = selectors.segments_for([c.pk for c in page], run=run) if run else {}
    for c in page:
        c.seg = segs.get(c.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "segments/rule_detail.html",
        {
            "title": segment.name,
            "segment": segment,
            "text": rule_engine.describe(segment.rules),
            "page": page,
            "is_owner": segment.owner_id == request.user.pk,
            "can_export": has_perm(request.user, Perm.CLIENTS_EXPORT),
        },
    )


# --- settings, policies, runs --------------------------------------------------------------------
class SettingsForm(forms.ModelForm):
    class Meta:
        model = SegmentationSettings
        fields = list(services.SETTINGS_FIELDS)


@require_perm(Perm.SEGMENTS_MANAGE)
def settings_page(request: HttpRequest) -> HttpResponse:
    current = SegmentationSettings.load()
    form = SettingsForm(request.POST or None, instance=SegmentationSettings.load())
    cells = {str(p): p for p in CellPolicy.objects.all()}
    if request.method == "POST" and request.POST.get("what") == "policies":
        try:
            for a in "ABC":
                for x in "XYZ":
                    key = f"{a}{x}"
                    hours = request.POST.get(f"hours_{key}", "").strip()
                    tier = request.POST.get(f"tier_{key}", "3")
                    services.cell_policy_set(
                        abc=a,
                        xyz=x,
                        policy=request.POST.get(f"policy_{key}", ""),
                        tier=int(tier) if tier.isdigit() else 0,
                        response_hours=int(hours) if hours.isdigit() else None,
                        by=request.user,  # type: ignore[arg-type]
                    )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Cell policies are saved."))
            return redirect("segments:settings")
    elif request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.SETTINGS_FIELDS}
        try:
            services.settings_update(data=data, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            messages.success(request, _("Settings are saved; they apply from the next recompute."))
            return redirect("segments:settings")
    policy_rows = [{"key": f"{a}{x}", "policy": cells.get(f"{a}{x}")} for a in "ABC" for x in "XYZ"]
    return render(
        request,
        "segments/settings.html",
        {
            "title": _("Segmentation settings"),
            "form": form,
            "current": current,
            "policy_rows": policy_rows,
            "tiers": CellPolicy.Tier.choices,
        },
    )


@require_perm(Perm.SEGMENTS_VIEW)
def runs(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not has_perm(request.user, Perm.SEGMENTS_MANAGE):
            raise PermissionDenied
        raw = request.POST.get("period_end", "")
        try:
            period_end = dt.date.fromisoformat(raw + "-01") if len(raw) == 7 else None
            if raw and period_end is None:
                raise ValueError
        except ValueError:
            messages.error(request, _("Enter the period as year and month, e.g. 2025-12."))
        else:
            if period_end is not None:
                from .calculations import month_end, month_index

                period_end = month_end(month_index(period_end))
            try:
                services.start_recompute(period_end=period_end, by=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request, _("The recompute has started; this page shows its progress.")
                )
        return redirect("segments:runs")
    page = Paginator(
        SegmentRun.objects.select_related("created_by").order_by("-created_at"), 25
    ).get_page(request.GET.get("page"))
    active = SegmentRun.objects.filter(
        status__in=[SegmentRun.Status.QUEUED, SegmentRun.Status.RUNNING]
    ).exists()
    template = (
        "segments/_runs_table.html" if getattr(request, "htmx", False) else "segments/runs.html"
    )
    return render(
        request,
        template,
        {
            "title": _("Recomputes"),
            "page": page,
            "active": active,
            "can_manage": has_perm(request.user, Perm.SEGMENTS_MANAGE),
            "default_period": selectors_default_period(),
        },
    )


def selectors_default_period() -> str:
    return services.default_period_end().strftime("%Y-%m")


urlpatterns = [
    path("", overview, name="overview"),
    path("clients/", members, name="members"),
    path("at-risk/", at_risk, name="at_risk"),
    path("company/<int:company_id>/panel/", company_panel, name="company_panel"),
    path("rules/", rule_list, name="rule_list"),
    path("rules/new/", rule_edit, name="rule_new"),
    path("rules/condition/", rule_condition, name="rule_condition"),
    path("rules/preview/", rule_preview, name="rule_preview"),
    path("rules/<int:pk>/", rule_detail, name="rule_detail"),
    path("rules/<int:pk>/edit/", rule_edit, name="rule_edit"),
    path("settings/", settings_page, name="settings"),
    path("runs/", runs, name="runs"),
]
