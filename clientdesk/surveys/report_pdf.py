"""The research report as a PDF a manager can print: fpdf2 for the pages, matplotlib for the
charts (PNG), DejaVu Sans from matplotlib's own data for Cyrillic (no font is shipped here)."""

from __future__ import annotations

import io
import math
import os
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a server

import matplotlib.pyplot as plt
from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF

from . import statistics as st
from .analysis import ATTRIBUTE_LABELS, Report
from .charts import QUADRANT_LABELS

FONT_DIR = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")


def _fmt(value: float, digits: int = 1) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{digits}f}")
    )


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.report_title = title
        self.add_font("DejaVu", "", os.path.join(FONT_DIR, "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", os.path.join(FONT_DIR, "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_font("DejaVu", size=10)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 6, f"{self.report_title} · {self.page_no()}", align="C")

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", size=10)

    def para(self, text: str) -> None:
        self.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def grid(self, headers: list[str], rows: list[list[str]], widths: list[int]) -> None:
        self.set_font("DejaVu", "B", 8)
        for h, w in zip(headers, widths, strict=True):
            self.cell(w, 6, h, border=1)
        self.ln()
        self.set_font("DejaVu", size=8)
        for row in rows:
            for v, w in zip(row, widths, strict=True):
                self.cell(w, 5, v[: max(int(w / 1.6), 4)], border=1)
            self.ln()
        self.set_font("DejaVu", size=10)
        self.ln(2)

    def figure(self, fig: Any, width: int = 170) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
        plt.close(fig)
        buf.seek(0)
        self.image(buf, w=width)
        self.ln(2)


def _bar(labels: list[str], values: list[float], title: str) -> Any:
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(labels) + 0.8))
    ax.barh(range(len(labels)), values, color="#3b6ea5")
    ax.set_yticks(range(len(labels)), [label[:30] for label in labels])
    ax.invert_yaxis()
    ax.set_title(title, fontsize=10)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.0f}", va="center", fontsize=8)
    return fig


def _ipa(report: Report) -> Any:
    fig, ax = plt.subplots(figsize=(6, 5))
    for p in report.ipa_points:
        color = "#c0392b" if p.quadrant == st.Quadrant.CONCENTRATE else "#3b6ea5"
        ax.scatter(p.performance, p.importance, color=color)
        ax.annotate(
            p.attribute[:20],
            (p.performance, p.importance),
            fontsize=8,
            xytext=(4, 2),
            textcoords="offset points",
        )
    i_cut, p_cut = report.ipa_cuts
    ax.axhline(i_cut, color="#99a", lw=1)
    ax.axvline(p_cut, color="#99a", lw=1)
    ax.set_xlabel(_("Performance"))
    ax.set_ylabel(_("Importance"))
    ax.text(
        0.02,
        0.97,
        str(QUADRANT_LABELS[st.Quadrant.CONCENTRATE]),
        transform=ax.transAxes,
        va="top",
        color="#c0392b",
        fontsize=8,
    )
    ax.text(
        0.98,
        0.97,
        str(QUADRANT_LABELS[st.Quadrant.KEEP_UP]),
        transform=ax.transAxes,
        va="top",
        ha="right",
        fontsize=8,
    )
    ax.text(
        0.02,
        0.03,
        str(QUADRANT_LABELS[st.Quadrant.LOW_PRIORITY]),
        transform=ax.transAxes,
        fontsize=8,
    )
    ax.text(
        0.98,
        0.03,
        str(QUADRANT_LABELS[st.Quadrant.OVERKILL]),
        transform=ax.transAxes,
        ha="right",
        fontsize=8,
    )
    return fig


def _trend(report: Report) -> Any:
    fig, ax = plt.subplots(figsize=(6, 2.8))
    waves = [w for w in report.waves if w.nps and w.nps.n]
    xs = [w.wave for w in waves]
    ys = [w.nps.nps for w in waves if w.nps]
    err = [
        [w.nps.nps - w.nps.low for w in waves if w.nps],
        [w.nps.high - w.nps.nps for w in waves if w.nps],
    ]
    ax.errorbar(xs, ys, yerr=err, marker="o", capsize=4, color="#3b6ea5")
    ax.set_xticks(xs)
    ax.set_xlabel(_("Wave"))
    ax.set_ylabel("NPS")
    return fig


def render(report: Report) -> bytes:
    survey = report.survey
    pdf = _Pdf(survey.title)
    pdf.add_page()
    pdf.heading(_("Research report: %(t)s") % {"t": survey.title}, 15)
    pdf.para(
        _("Prepared %(d)s from %(n)s submitted responses.")
        % {"d": timezone.localdate().strftime("%d.%m.%Y"), "n": report.n}
    )

    pdf.heading("1. " + _("Goal and method"))
    pdf.para(
        survey.goal
        or _(
            "Measure corporate clients' satisfaction and loyalty, find what "
            "drives them and what to improve first."
        )
    )
    pdf.para(
        _(
            "NPS with a 95 % Wald interval; CSAT (share of 4-5) with a Wilson interval; CES mean "
            "with a t interval. Group differences: chi-square / Fisher, Mann-Whitney U, "
            "Kruskal-Wallis, adjusted by Benjamini-Hochberg. Cronbach's alpha; SERVQUAL gaps "
            "with paired t-tests; importance-performance analysis; driver analysis by "
            "standardised regression and relative weights. Every figure names its question "
            "code and n."
        )
    )
    _sample(pdf, report)
    _headline(pdf, report)
    _models(pdf, report)
    _scales_and_groups(pdf, report)
    _recommendations(pdf, report)
    return bytes(pdf.output())


def _sample(pdf: _Pdf, report: Report) -> None:
    pdf.heading("2. " + _("Sample and response"))
    rate = _fmt(report.response_rate) + " %" if report.invited else "—"
    pdf.para(
        _("Invited: %(i)s. Started: %(s)s. Submitted: %(n)s. Response rate: %(r)s.")
        % {"i": report.invited, "s": report.started, "n": report.n, "r": rate}
    )
    for name, rates in report.rates.items():
        if len(rates) < 2:
            continue
        pdf.grid(
            [str(ATTRIBUTE_LABELS.get(name, name)), _("Invited"), _("Answered"), "%"],
            [[r.label, str(r.invited), str(r.answered), _fmt(r.rate)] for r in rates],
            [70, 30, 30, 25],
        )


def _headline(pdf: _Pdf, report: Report) -> None:
    pdf.heading("3. " + _("Findings"))
    rows = []
    if report.nps and report.nps_question:
        rows.append(
            [
                "NPS",
                _fmt(report.nps.nps),
                f"{_fmt(report.nps.low)} … {_fmt(report.nps.high)}",
                str(report.nps.n),
                report.nps_question.code,
            ]
        )
    if report.csat and report.csat_question:
        rows.append(
            [
                "CSAT, %",
                _fmt(report.csat.value),
                f"{_fmt(report.csat.low)} … {_fmt(report.csat.high)}",
                str(report.csat.n),
                report.csat_question.code,
            ]
        )
    if report.ces and report.ces_question:
        rows.append(
            [
                "CES",
                _fmt(report.ces.value, 2),
                f"{_fmt(report.ces.low, 2)} … {_fmt(report.ces.high, 2)}",
                str(report.ces.n),
                report.ces_question.code,
            ]
        )
    if rows:
        pdf.grid(["", _("Value"), "95 % CI", "n", _("Question")], rows, [35, 30, 50, 25, 30])
    if report.nps_by_segment:
        pdf.figure(
            _bar(
                [s for s, _r in report.nps_by_segment],
                [r.nps for _s, r in report.nps_by_segment],
                _("NPS by segment"),
            ),
            width=150,
        )
    if len(report.waves) > 1:
        pdf.heading(_("Trend across waves"), 11)
        pdf.figure(_trend(report), width=140)


def _models(pdf: _Pdf, report: Report) -> None:
    if report.ipa_points:
        pdf.heading(_("Importance-performance analysis"), 11)
        pdf.figure(_ipa(report), width=140)
        pdf.grid(
            [_("Attribute"), _("Importance"), _("Performance"), "n", _("Quadrant")],
            [
                [
                    p.attribute,
                    _fmt(p.importance, 2),
                    _fmt(p.performance, 2),
                    str(p.n),
                    str(QUADRANT_LABELS[p.quadrant]),
                ]
                for p in report.ipa_points
            ],
            [50, 25, 25, 15, 55],
        )
    for name, d in report.drivers.items():
        pdf.heading(
            _("What drives %(q)s (R² = %(r)s, n = %(n)s)")
            % {"q": name, "r": _fmt(d.r2, 2), "n": d.n},
            11,
        )
        pdf.grid(
            [_("Attribute"), "β", "p", _("weight, % R²")],
            [
                [n, _fmt(b, 3), _fmt(p, 4), _fmt(100 * s)]
                for n, b, p, s in zip(d.names, d.betas, d.p_values, d.shares, strict=False)
            ],
            [60, 30, 30, 40],
        )


def _scales_and_groups(pdf: _Pdf, report: Report) -> None:
    if report.gaps:
        pdf.heading(_("SERVQUAL gaps (perception − expectation)"), 11)
        pdf.grid(
            [_("Dimension"), "E", "P", _("Gap"), "95 % CI", "p", "n"],
            [
                [
                    g.dimension,
                    _fmt(g.expectation, 2),
                    _fmt(g.perception, 2),
                    _fmt(g.gap, 2),
                    f"{_fmt(g.low, 2)} … {_fmt(g.high, 2)}",
                    _fmt(g.p, 4),
                    str(g.n),
                ]
                for g in report.gaps
            ],
            [40, 18, 18, 20, 40, 22, 18],
        )
    if report.scales:
        pdf.grid(
            [_("Scale"), _("Items"), "Cronbach's α", "n"],
            [[n, str(k), _fmt(a, 3), str(m)] for n, a, m, k in report.scales],
            [70, 25, 35, 25],
        )
    significant = [c for c in report.crosstabs if c.significant]
    pdf.heading(_("Differences between groups (significant after Benjamini-Hochberg)"), 11)
    pdf.grid(
        [_("Question"), _("By"), _("Test"), "p (BH)", _("Effect"), "n"],
        [
            [
                c.label,
                str(ATTRIBUTE_LABELS.get(c.attribute, c.attribute)),
                c.test.test,
                _fmt(c.p_bh, 4),
                f"{c.test.effect_name} {_fmt(c.test.effect, 3)}",
                str(c.test.n),
            ]
            for c in significant[:40]
        ]
        or [["—", "", "", "", "", ""]],
        [55, 35, 22, 18, 45, 15],
    )
    for q in report.text_questions:
        terms = report.text_terms.get(q.pk, [])
        if terms:
            pdf.heading(_("Open answers, frequent terms: %(c)s") % {"c": q.code}, 11)
            pdf.para(", ".join(f"{t.term} ({t.count})" for t in terms))


def _recommendations(pdf: _Pdf, report: Report) -> None:
    pdf.add_page()
    pdf.heading("4. " + _("Recommendations"))
    for i, rec in enumerate(report.recommendations, start=1):
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 5, f"{i}. {rec.text}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(0, 5, "   " + rec.basis, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    if not report.recommendations:
        pdf.para(_("The figures give no clear priority yet; collect more responses."))
    pdf.heading("5. " + _("Closed loop"))
    f = report.follow_ups
    pdf.para(
        _(
            "%(t)s detractors and low scores were followed up: %(r)s resolved, %(c)s closed, "
            "%(o)s open."
        )
        % {
            "t": f.get("total", 0),
            "r": f.get("resolved", 0),
            "c": f.get("closed", 0),
            "o": f.get("open", 0),
        }
    )
