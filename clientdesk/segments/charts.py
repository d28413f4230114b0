"""Inline SVG charts drawn by our own code: no JS library, no CDN.

Each chart is an <svg role="img"> with a <title> and <desc>; its numbers are also given as a
table next to it by the template, and every mark links to the list of clients behind it.
Matrices (ABC-XYZ, RFM, migration) are HTML tables with shaded cells, which screen readers read
as tables; see `shade`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str
    note: str = ""


def shade(value: float, top: float) -> str:
    """A background for a heat-map cell: light to deep blue by value / top."""
    share = 0.0 if top <= 0 else max(0.0, min(1.0, value / top))
    lightness = 96 - int(share * 50)
    return f"background:hsl(215 70% {lightness}%);color:{'#fff' if lightness < 62 else '#1d2430'}"


def pareto(
    points: Sequence[Sequence[float]],
    *,
    a_cut: float,
    b_cut: float,
    a_share: float,
    b_share: float,
    hrefs: dict[str, str],
    title: str,
    desc: str,
) -> SafeString:
    """Cumulative share of revenue (y) against share of clients (x), with A/B/C bands."""
    w, h, pad = 560, 300, 40
    iw, ih = w - 2 * pad, h - 2 * pad

    def x(v: float) -> float:
        return pad + iw * v / 100

    def y(v: float) -> float:
        return pad + ih * (1 - v / 100)

    bands = [
        ("A", 0.0, a_cut, "#dbe7fb"),
        ("B", a_cut, b_cut, "#eef3fc"),
        ("C", b_cut, 100.0, "#f7f9fd"),
    ]
    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="pareto-t pareto-d" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="pareto-t">{escape(title)}</title>'
        f'<desc id="pareto-d">{escape(desc)}</desc>'
    ]
    for name, lo, hi, colour in bands:
        if hi <= lo:
            continue
        parts.append(
            f'<a href="{escape(hrefs.get(name, "#"))}"><rect x="{x(lo):.1f}" y="{pad}" '
            f'width="{x(hi) - x(lo):.1f}" height="{ih}" fill="{colour}">'
            f"<title>{name}</title></rect>"
            f'<text x="{(x(lo) + x(hi)) / 2:.1f}" y="{pad + 16}" text-anchor="middle" '
            f'font-weight="700" fill="#1f5fbf">{name}</text></a>'
        )
    for share in (a_share, b_share):
        parts.append(
            f'<line x1="{pad}" x2="{w - pad}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
            f'stroke="#9aa4b2" stroke-dasharray="4 3"/>'
            f'<text x="{pad - 4}" y="{y(share) + 4:.1f}" text-anchor="end" font-size="11">'
            f"{share:g}%</text>"
        )
    poly = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in points)
    parts.append(f'<polyline points="{poly}" fill="none" stroke="#1f5fbf" stroke-width="2.5"/>')
    parts.append(
        f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#5b6575"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#5b6575"/>'
    )
    for tick in (0, 25, 50, 75, 100):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{h - pad + 16}" text-anchor="middle" font-size="11">'
            f"{tick}%</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bars(items: Sequence[Bar], *, title: str, ident: str, unit: str = "") -> SafeString:
    """Horizontal bars, one link per bar."""
    row_h, label_w, w = 26, 170, 560
    h = row_h * max(len(items), 1) + 10
    top = max((b.value for b in items), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{ident}-t" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{ident}-t">{escape(title)}</title>'
    ]
    for i, bar in enumerate(items):
        y = 5 + i * row_h
        width = (w - label_w - 90) * bar.value / top
        parts.append(
            f'<a href="{escape(bar.href)}"><text x="{label_w - 6}" y="{y + 16}" text-anchor="end" '
            f'font-size="12">{escape(bar.label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(width, 1):.1f}" height="{row_h - 8}" '
            f'fill="#1f5fbf" rx="3"><title>{escape(bar.label)}: {bar.value:,.0f}{escape(unit)}'
            f"</title></rect>"
            f'<text x="{label_w + max(width, 1) + 6:.1f}" y="{y + 16}" font-size="12">'
            f"{bar.value:,.0f}{escape(bar.note)}</text></a>".replace(",", "\u202f")
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def legend_swatch(value: float, top: float) -> SafeString:
    return format_html('<span class="swatch" style="{}"></span>', shade(value, top))
