"""The full analysis of one survey: reads columns once, runs every statistic, derives
recommendations by rules. The web report, the PDF and the benchmark all call `analyse`.

Every figure carries the question code and n it was computed from, so the report can link each
one to the responses behind it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import columns as col
from . import statistics as st
from .models import (
    SCALES,
    Invitation,
    Question,
    QuestionKind,
    QuestionRole,
    Response,
    ServqualDimension,
    Survey,
)
from .textterms import Term, terms

ATTRIBUTE_LABELS = {
    "segment": gettext_lazy("Segment (ABC-XYZ)"),
    "industry": gettext_lazy("Industry (OKVED section)"),
    "size_band": gettext_lazy("Company size"),
    "role": gettext_lazy("Role in decisions"),
    "channel": gettext_lazy("Response channel"),
}
# A group smaller than this is left out of a cross-tabulation: its share would be noise.
MIN_GROUP = 5
ALPHA = 0.05


@dataclass
class QuestionStats:
    question: Question
    item: int
    label: str
    n: int
    distribution: st.Distribution | None = None
    labels: list[str] = field(default_factory=list)
    mean: st.Interval | None = None


@dataclass
class CrossResult:
    question: Question
    item: int
    label: str
    attribute: str
    groups: list[str]
    group_n: list[int]
    group_means: list[float]
    test: st.TestResult
    p_bh: float = math.nan
    p_holm: float = math.nan

    @property
    def significant(self) -> bool:
        return self.p_bh < ALPHA


@dataclass
class Rate:
    label: str
    invited: int
    answered: int

    @property
    def rate(self) -> float:
        return 100 * self.answered / self.invited if self.invited else math.nan


@dataclass
class Wave:
    survey_id: int
    wave: int
    title: str
    nps: st.NpsResult | None
    csat: st.Interval | None
    segments_nps: dict[str, st.NpsResult]


@dataclass
class Recommendation:
    text: str
    basis: str  # the figure it rests on, with question code and n
    priority: int  # 1 = act first


@dataclass
class Report:
    survey: Survey
    n: int
    invited: int
    started: int
    rates: dict[str, list[Rate]]
    nps: st.NpsResult | None = None
    nps_question: Question | None = None
    csat: st.Interval | None = None
    csat_question: Question | None = None
    ces: st.Interval | None = None
    ces_question: Question | None = None
    nps_by_segment: list[tuple[str, st.NpsResult]] = field(default_factory=list)
    questions: list[QuestionStats] = field(default_factory=list)
    crosstabs: list[CrossResult] = field(default_factory=list)
    scales: list[tuple[str, float, int, int]] = field(default_factory=list)  # name, alpha, n, k
    gaps: list[st.Gap] = field(default_factory=list)
    ipa_points: list[st.IpaPoint] = field(default_factory=list)
    ipa_cuts: tuple[float, float] = (math.nan, math.nan)
    ipa_mode: str = "stated"
    drivers: dict[str, st.DriverResult] = field(default_factory=dict)
    text_terms: dict[int, list[Term]] = field(default_factory=dict)
    text_questions: list[Question] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    follow_ups: dict[str, int] = field(default_factory=dict)

    @property
    def response_rate(self) -> float:
        return 100 * self.n / self.invited if self.invited else math.nan


def display_label(attribute: str, value: str) -> str:
    """A stored code as people read it (a role, a size band, a channel); unknown codes as is."""
    from clientdesk.clients.models import Channel, DecisionRole, SizeBand

    names: dict[str, dict[str, Any]] = {
        "role": dict(DecisionRole.choices),
        "size_band": dict(SizeBand.choices),
        "channel": {**dict(Channel.choices), **dict(Response.Channel.choices)},
    }
    found = names.get(attribute, {}).get(value)
    return str(found) if found else value


def _first(questions: Sequence[Question], kind: str) -> Question | None:
    return next((q for q in questions if q.kind == kind), None)


def _labels(q: Question, values: list[float]) -> list[str]:
    options = dict(q.options_in())
    return [options.get(int(v), f"{v:g}") for v in values]


def response_rates(survey: Survey) -> tuple[int, int, dict[str, list[Rate]]]:
    """Invited, started and answered by the invitee's segment attributes, in a few queries."""
    base = Invitation.objects.filter(survey=survey)
    totals = base.aggregate(
        invited=Count("id"),
        started=Count("id", filter=Q(started_at__isnull=False)),
    )
    answered = Q(responded_at__isnull=False)
    out: dict[str, list[Rate]] = {}
    for name, path in (
        ("industry", "company__industry__section"),
        ("size_band", "company__size_band"),
        ("role", "contact__decision_role"),
        ("channel", "channel"),
    ):
        rows = base.values(path).annotate(n=Count("id"), a=Count("id", filter=answered))
        out[name] = [
            Rate(display_label(name, str(r[path])) if r[path] else "—", r["n"], r["a"])
            for r in rows.order_by(path)
        ]
    # Segments come from the segmentation run; one query for all invited companies.
    from clientdesk.segments.selectors import segments_for

    per_company = list(
        base.values("company_id").annotate(n=Count("id"), a=Count("id", filter=answered))
    )
    segs = segments_for([r["company_id"] for r in per_company if r["company_id"]])
    by_seg: dict[str, list[int]] = {}
    for r in per_company:
        s = segs.get(r["company_id"])
        key = s.cell if s else "—"
        acc = by_seg.setdefault(key, [0, 0])
        acc[0] += r["n"]
        acc[1] += r["a"]
    out["segment"] = [Rate(k, v[0], v[1]) for k, v in sorted(by_seg.items())]
    return totals["invited"], totals["started"], out


def analyse(survey: Survey, *, importance: str = "auto", with_rates: bool = True) -> Report:
    """`importance`: "stated" (importance questions), "derived" (Spearman correlation of each
    performance rating with overall satisfaction) or "auto" (stated when asked)."""
    questions = list(survey.questions.all())
    numeric = [q for q in questions if q.kind != QuestionKind.TEXT]
    texts = [q for q in questions if q.kind == QuestionKind.TEXT]
    data = col.load(survey.pk, [q.pk for q in numeric], [q.pk for q in texts])
    if with_rates:
        invited, started, rates = response_rates(survey)
    else:
        invited, started, rates = 0, 0, {}
    report = Report(survey, data.n, invited, started, rates, text_questions=texts)
    _headline(report, numeric, data)
    _per_question(report, numeric, data)
    _crosstabs(report, numeric, data)
    _scales(report, numeric, data)
    _servqual(report, numeric, data)
    _ipa_and_drivers(report, numeric, data, importance)
    for q in texts:
        report.text_terms[q.pk] = terms(data.texts.get(q.pk, []))
    _waves(report)
    _follow_ups(report)
    report.recommendations = recommend(report)
    return report


def _headline(report: Report, questions: list[Question], data: col.Columns) -> None:
    q = _first(questions, QuestionKind.NPS)
    if q is not None:
        scores = data.column(q.pk)
        report.nps, report.nps_question = st.nps(scores), q
        labels, codes = data.groups("segment")
        for i, label in enumerate(labels):
            r = st.nps(scores[codes == i])
            if r.n >= MIN_GROUP:
                report.nps_by_segment.append((label, r))
    q = _first(questions, QuestionKind.CSAT)
    if q is not None:
        report.csat, report.csat_question = st.csat(data.column(q.pk)), q
    q = _first(questions, QuestionKind.CES)
    if q is not None:
        report.ces, report.ces_question = st.mean_ci(data.column(q.pk)), q


def _items(q: Question) -> list[tuple[int, str]]:
    if q.kind == QuestionKind.MATRIX:
        return [(row, f"{q.code}.{row} {label}") for row, label in q.rows_in()]
    return [(0, f"{q.code}. {q.text_in()}")]


def _per_question(report: Report, questions: list[Question], data: col.Columns) -> None:
    for q in questions:
        for item, label in _items(q):
            values = data.column(q.pk, item)
            if q.kind == QuestionKind.MULTI:
                d = st.bit_counts(values, len(q.choices))
                labels = [label for _v, label in q.options_in()]
                report.questions.append(QuestionStats(q, item, label, d.n, d, labels))
                continue
            scale = SCALES.get(q.kind) or list(range(1, len(q.choices) + 1))
            d = st.distribution(values, scale=scale)
            stats = QuestionStats(q, item, label, d.n, d, _labels(q, d.values))
            if q.is_ordinal:
                stats.mean = st.mean_ci(values)
            report.questions.append(stats)


def _crosstabs(report: Report, questions: list[Question], data: col.Columns) -> None:
    for q in questions:
        if q.kind == QuestionKind.MULTI:
            continue
        for item, label in _items(q):
            values = data.column(q.pk, item)
            for attribute in col.ATTRIBUTES:
                names, codes = data.groups(attribute)
                if len(names) < 2:
                    continue
                tab = st.crosstab(values, codes)
                sizes = tab.group_sizes()
                big = sizes >= MIN_GROUP
                if big.sum() < 2:
                    continue
                tab.counts = tab.counts[big]
                tab.groups = [g for g, b in zip(tab.groups, big, strict=True) if b]
                result = st.compare(tab, ordinal=q.is_ordinal)
                vals = np.asarray(tab.values)
                means = (tab.counts @ vals / tab.counts.sum(axis=1)).tolist()
                report.crosstabs.append(
                    CrossResult(
                        q,
                        item,
                        label,
                        attribute,
                        [display_label(attribute, names[int(g)]) for g in tab.groups],
                        tab.counts.sum(axis=1).tolist(),
                        means,
                        result,
                    )
                )
    ps = [c.test.p for c in report.crosstabs]
    for c, bh, hm in zip(report.crosstabs, st.benjamini_hochberg(ps), st.holm(ps), strict=True):
        c.p_bh, c.p_holm = bh, hm


def _scales(report: Report, questions: list[Question], data: col.Columns) -> None:
    names = sorted({q.scale for q in questions if q.scale})
    for name in names:
        items = [q for q in questions if q.scale == name and q.is_ordinal]
        if len(items) < 2:
            continue
        matrix = np.column_stack([data.column(q.pk) for q in items])
        alpha, n = st.cronbach_alpha(matrix)
        report.scales.append((name, alpha, n, len(items)))


def _servqual(report: Report, questions: list[Question], data: col.Columns) -> None:
    pairs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for dim in ServqualDimension.values:
        e = [q for q in questions if q.role == QuestionRole.EXPECTATION and q.dimension == dim]
        p = [q for q in questions if q.role == QuestionRole.PERCEPTION and q.dimension == dim]
        by_attr = {q.attribute: q for q in p}
        matched = [(qe, by_attr[qe.attribute]) for qe in e if qe.attribute in by_attr]
        if not matched:
            continue
        pairs[str(ServqualDimension(dim).label)] = (
            np.column_stack([data.column(qe.pk) for qe, _qp in matched]),
            np.column_stack([data.column(qp.pk) for _qe, qp in matched]),
        )
    report.gaps = st.servqual_gaps(pairs)


def _overall(questions: list[Question]) -> Question | None:
    return next((q for q in questions if q.role == QuestionRole.OVERALL), None) or _first(
        questions, QuestionKind.CSAT
    )


def _ipa_and_drivers(
    report: Report, questions: list[Question], data: col.Columns, importance: str
) -> None:
    perf = [q for q in questions if q.role == QuestionRole.PERFORMANCE]
    imp = {q.attribute: q for q in questions if q.role == QuestionRole.IMPORTANCE}
    overall = _overall(questions)
    if perf:
        mode = importance
        if mode == "auto":
            mode = "stated" if imp else "derived"
        if mode == "derived" and overall is None:
            mode = "stated"
        report.ipa_mode = mode
        names, imps, perfs, ns = [], [], [], []
        for q in perf:
            values = data.column(q.pk)
            m = st.mean_ci(values)
            if mode == "stated":
                iq = imp.get(q.attribute)
                i_val = st.mean_ci(data.column(iq.pk)).value if iq else math.nan
            else:
                assert overall is not None
                i_val, _n = st.spearman(values, data.column(overall.pk))
            names.append(q.attribute)
            imps.append(i_val)
            perfs.append(m.value)
            ns.append(m.n)
        points, i_cut, p_cut = st.ipa(names, imps, perfs, ns)
        report.ipa_points, report.ipa_cuts = points, (i_cut, p_cut)
    predictors = perf or [q for q in questions if q.role == QuestionRole.PERCEPTION]
    if predictors:
        x = np.column_stack([data.column(q.pk) for q in predictors])
        labels = [q.attribute or q.code for q in predictors]
        if overall is not None:
            report.drivers[overall.code] = st.drivers(x, data.column(overall.pk), labels)
        if report.nps_question is not None:
            report.drivers[report.nps_question.code] = st.drivers(
                x, data.column(report.nps_question.pk), labels
            )


def _counts_to_array(counts: dict[float, int]) -> np.ndarray:
    if not counts:
        return np.empty(0)
    keys = np.fromiter(counts.keys(), dtype=float)
    return np.repeat(keys, np.fromiter(counts.values(), dtype=np.int64))


def _waves(report: Report) -> None:
    survey = report.survey
    if not survey.series:
        return
    for s in Survey.objects.filter(series=survey.series).order_by("wave"):
        qs = list(s.questions.filter(kind__in=[QuestionKind.NPS, QuestionKind.CSAT]))
        nq, cq = _first(qs, QuestionKind.NPS), _first(qs, QuestionKind.CSAT)
        nps = st.nps(_counts_to_array(col.value_counts(nq.pk))) if nq else None
        csat = st.csat(_counts_to_array(col.value_counts(cq.pk))) if cq else None
        segs: dict[str, st.NpsResult] = {}
        if nq is not None:
            rows = (
                Response.objects.filter(survey=s, submitted_at__isnull=False)
                .filter(answers__question=nq, answers__item=0)
                .values("segment", "answers__value")
                .annotate(c=Count("id"))
            )
            acc: dict[str, dict[float, int]] = {}
            for r in rows:
                if r["segment"] and r["answers__value"] is not None:
                    acc.setdefault(r["segment"], {})[float(r["answers__value"])] = r["c"]
            segs = {k: st.nps(_counts_to_array(v)) for k, v in acc.items()}
        report.waves.append(Wave(s.pk, s.wave, s.title, nps, csat, segs))


def _follow_ups(report: Report) -> None:
    from .selectors import follow_up_summary

    report.follow_ups = follow_up_summary(report.survey)


# --- recommendations -------------------------------------------------------------------------
def recommend(report: Report) -> list[Recommendation]:
    """Rules from the figures; each recommendation names the figure it rests on."""
    out: list[Recommendation] = []
    for rule in (_rec_ipa, _rec_waves, _rec_lowest, _rec_gaps, _rec_drivers, _rec_scales):
        out.extend(rule(report))
    return sorted(out, key=lambda r: r.priority)


def _rec_ipa(report: Report) -> list[Recommendation]:
    out = []
    for p in sorted(
        (p for p in report.ipa_points if p.quadrant == st.Quadrant.CONCENTRATE),
        key=lambda p: p.performance,
    ):
        out.append(
            Recommendation(
                _("Improve “%(a)s”: clients find it important but rate it below average.")
                % {"a": p.attribute},
                _("Importance %(i).2f, performance %(p).2f (n = %(n)s).")
                % {"i": p.importance, "p": p.performance, "n": p.n},
                1,
            )
        )
    return out


def _rec_waves(report: Report) -> list[Recommendation]:
    out: list[Recommendation] = []
    current = next((w for w in report.waves if w.survey_id == report.survey.pk), None)
    earlier = [w for w in report.waves if current and w.wave < current.wave]
    if current is None or not earlier:
        return out
    prev = earlier[-1]
    if current.nps and prev.nps and current.nps.n and prev.nps.n:
        diff, p = st.nps_difference(prev.nps, current.nps)
        if diff < 0 and p < ALPHA:
            out.append(
                Recommendation(
                    _(
                        "NPS fell significantly since wave %(w)s: find out why with the "
                        "detractors' open answers."
                    )
                    % {"w": prev.wave},
                    _("NPS %(a).0f → %(b).0f, p = %(p).3f.")
                    % {"a": prev.nps.nps, "b": current.nps.nps, "p": p},
                    1,
                )
            )
    for seg, now in sorted(current.segments_nps.items()):
        before = prev.segments_nps.get(seg)
        if before is None or before.n < MIN_GROUP or now.n < MIN_GROUP:
            continue
        diff, p = st.nps_difference(before, now)
        if diff <= -10:
            out.append(
                Recommendation(
                    _(
                        "Segment %(s)s: NPS fell by %(d).0f points; review its service "
                        "level and call its detractors."
                    )
                    % {"s": seg, "d": -diff},
                    _("NPS %(a).0f (n = %(na)s) → %(b).0f (n = %(nb)s), p = %(p).3f.")
                    % {"a": before.nps, "na": before.n, "b": now.nps, "nb": now.n, "p": p},
                    1 if p < ALPHA else 2,
                )
            )
    return out


def _rec_lowest(report: Report) -> list[Recommendation]:
    out = []
    rated = [
        qs
        for qs in report.questions
        if qs.mean is not None and qs.question.role == QuestionRole.PERFORMANCE and qs.n
    ]
    for qs in sorted(rated, key=lambda s: s.mean.value if s.mean else 0)[:3]:
        assert qs.mean is not None
        out.append(
            Recommendation(
                _("Lowest-rated service attribute: “%(a)s”.") % {"a": qs.question.attribute},
                _("%(code)s: mean %(m).2f (95%% CI %(l).2f–%(h).2f), n = %(n)s.")
                % {
                    "code": qs.question.code,
                    "m": qs.mean.value,
                    "l": qs.mean.low,
                    "h": qs.mean.high,
                    "n": qs.mean.n,
                },
                2,
            )
        )
    return out


def _rec_gaps(report: Report) -> list[Recommendation]:
    out = []
    for gap in sorted(report.gaps, key=lambda g: g.gap)[:2]:
        if gap.gap < 0 and gap.p < ALPHA:
            out.append(
                Recommendation(
                    _("SERVQUAL: expectations on %(d)s are not met.") % {"d": gap.dimension},
                    _("Gap P − E = %(g).2f (95%% CI %(l).2f–%(h).2f), n = %(n)s.")
                    % {"g": gap.gap, "l": gap.low, "h": gap.high, "n": gap.n},
                    2,
                )
            )
    return out


def _rec_drivers(report: Report) -> list[Recommendation]:
    out = []
    for name, result in report.drivers.items():
        if result.shares and not math.isnan(result.r2):
            best = int(np.nanargmax(result.weights))
            out.append(
                Recommendation(
                    _("“%(a)s” moves %(q)s most: improving it pays off first.")
                    % {"a": result.names[best], "q": name},
                    _("Relative weight %(w).0f%% of R² = %(r).2f, n = %(n)s.")
                    % {"w": 100 * result.shares[best], "r": result.r2, "n": result.n},
                    2,
                )
            )
    return out


def _rec_scales(report: Report) -> list[Recommendation]:
    out = []
    for name, alpha, n, k in report.scales:
        if not math.isnan(alpha) and alpha < 0.7:
            out.append(
                Recommendation(
                    _(
                        "Scale “%(s)s” is not reliable enough; revise its items before the next "
                        "wave."
                    )
                    % {"s": name},
                    _("Cronbach's α = %(a).2f over %(k)s items, n = %(n)s.")
                    % {"a": alpha, "k": k, "n": n},
                    3,
                )
            )
    return out


def summary_for_bench(report: Report) -> dict[str, Any]:
    return {
        "n": report.n,
        "nps": report.nps.nps if report.nps else None,
        "crosstabs": len(report.crosstabs),
        "significant": sum(c.significant for c in report.crosstabs),
        "recommendations": len(report.recommendations),
    }
