"""Small inline SVG charts for the web report (no JavaScript library): bars, the IPA quadrant
chart and a trend line. Text is escaped; sizes are in user units and scale with the page."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from . import statistics as st

COLORS = {"bar": "#3b6ea5", "muted": "#8a94a6", "bad": "#c0392b", "good": "#2e7d32"}


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    unit: str = "",
    width: int = 420,
    title: str = "",
) -> SafeString:
    """Horizontal bars, one per label, with the value written at the end."""
    row, left = 22, 150
    height = row * len(labels) + 10
    top = max([v for v in values if not math.isnan(v)] or [1]) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        w = 0 if math.isnan(value) else (width - left - 60) * value / top
        shown = "—" if math.isnan(value) else f"{value:.0f}{unit}" if unit else f"{value:g}"
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="12">'
            f"{escape(label[:24])}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{COLORS["bar"]}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="12">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


QUADRANT_LABELS = {
    st.Quadrant.CONCENTRATE: gettext_lazy("Concentrate here"),
    st.Quadrant.KEEP_UP: gettext_lazy("Keep up the good work"),
    st.Quadrant.LOW_PRIORITY: gettext_lazy("Low priority"),
    st.Quadrant.OVERKILL: gettext_lazy("Possible overkill"),
}


def ipa(
    points: Sequence[st.IpaPoint],
    cuts: tuple[float, float],
    labels: dict[str, str],
    *,
    size: int = 420,
) -> SafeString:
    """Performance on x, importance on y, cross-hairs at the means."""
    if not points:
        return mark_safe("")
    pad = 40
    xs = [p.performance for p in points] + [cuts[1]]
    ys = [p.importance for p in points] + [cuts[0]]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    dx = (x1 - x0) or 1
    dy = (y1 - y0) or 1
    x0, x1, y0, y1 = x0 - 0.1 * dx, x1 + 0.1 * dx, y0 - 0.1 * dy, y1 + 0.1 * dy

    def px(v: float) -> float:
        return pad + (size - 2 * pad) * (v - x0) / (x1 - x0)

    def py(v: float) -> float:
        return size - pad - (size - 2 * pad) * (v - y0) / (y1 - y0)

    cx, cy = px(cuts[1]), py(cuts[0])
    parts = [
        f'<svg class="chart" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="{escape(labels.get("title", ""))}" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{pad}" y="{pad}" width="{size - 2 * pad}" height="{size - 2 * pad}" '
        'fill="none" stroke="#ccd"/>',
        f'<line x1="{cx:.1f}" y1="{pad}" x2="{cx:.1f}" y2="{size - pad}" stroke="#99a"/>',
        f'<line x1="{pad}" y1="{cy:.1f}" x2="{size - pad}" y2="{cy:.1f}" stroke="#99a"/>',
        f'<text x="{pad + 4}" y="{pad + 14}" font-size="11" fill="{COLORS["bad"]}">'
        f"{escape(labels[st.Quadrant.CONCENTRATE])}</text>",
        f'<text x="{size - pad - 4}" y="{pad + 14}" font-size="11" text-anchor="end" '
        f'fill="{COLORS["good"]}">{escape(labels[st.Quadrant.KEEP_UP])}</text>',
        f'<text x="{pad + 4}" y="{size - pad - 6}" font-size="11" fill="{COLORS["muted"]}">'
        f"{escape(labels[st.Quadrant.LOW_PRIORITY])}</text>",
        f'<text x="{size - pad - 4}" y="{size - pad - 6}" font-size="11" text-anchor="end" '
        f'fill="{COLORS["muted"]}">{escape(labels[st.Quadrant.OVERKILL])}</text>',
        f'<text x="{size / 2}" y="{size - 10}" font-size="12" text-anchor="middle">'
        f"{escape(labels.get('x', ''))}</text>",
        f'<text x="12" y="{size / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 12 {size / 2})">{escape(labels.get("y", ""))}</text>',
    ]
    for p in points:
        color = COLORS["bad"] if p.quadrant == st.Quadrant.CONCENTRATE else COLORS["bar"]
        parts.append(
            f'<circle cx="{px(p.performance):.1f}" cy="{py(p.importance):.1f}" r="5" '
            f'fill="{color}"><title>{escape(p.attribute)}: {p.importance:.2f} / '
            f"{p.performance:.2f}</title></circle>"
            f'<text x="{px(p.performance) + 7:.1f}" y="{py(p.importance) + 4:.1f}" '
            f'font-size="11">{escape(p.attribute[:20])}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def trend(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float],
    highs: Sequence[float],
    *,
    width: int = 420,
    height: int = 180,
) -> SafeString:
    """A line through the waves with the 95 % interval as whiskers (NPS, −100..100)."""
    if not values:
        return mark_safe("")
    pad = 30
    n = len(values)

    def px(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def py(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v + 100) / 200

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad}" y1="{py(0):.1f}" x2="{width - pad}" y2="{py(0):.1f}" stroke="#ccd"/>',
    ]
    points = []
    for i, (label, v, lo, hi) in enumerate(zip(labels, values, lows, highs, strict=True)):
        if math.isnan(v):
            continue
        points.append(f"{px(i):.1f},{py(v):.1f}")
        parts.append(
            f'<line x1="{px(i):.1f}" y1="{py(lo):.1f}" x2="{px(i):.1f}" y2="{py(hi):.1f}" '
            f'stroke="{COLORS["muted"]}"/>'
            f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="4" fill="{COLORS["bar"]}"/>'
            f'<text x="{px(i):.1f}" y="{py(v) - 8:.1f}" font-size="11" text-anchor="middle">'
            f"{v:.0f}</text>"
            f'<text x="{px(i):.1f}" y="{height - 8}" font-size="11" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    if len(points) > 1:
        parts.insert(
            2, f'<polyline points="{" ".join(points)}" fill="none" stroke="{COLORS["bar"]}"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
