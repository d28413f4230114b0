"""Inline SVG charts of campaign results, drawn here (no JS library, no CDN).

Each chart is an <svg role="img"> with <title> and <desc>; the template shows the same numbers
as a table next to it for screen readers and for copying."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .selectors import ResultRow

PALETTE = ("#2f6fdf", "#4aa3a2", "#e3a13b", "#8a5cd0", "#d0574a", "#3b8b3b", "#666f80")


def grouped_bars(
    rows: Sequence[ResultRow],
    metrics: Sequence[tuple[str, str]],
    *,
    title: str,
    labels: dict[str, str] | None = None,
) -> SafeString:
    """Horizontal bars, one group per row (a channel, a segment), one bar per metric."""
    labels = labels or {}
    bar_h, gap, left, width = 12, 10, 120, 360
    top = max((getattr(r, m) for r in rows for m, _ in metrics), default=0) or 1
    group_h = bar_h * len(metrics) + gap
    legend_h = 18
    height = legend_h + group_h * max(len(rows), 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{left + width + 60}" '
        f'height="{height}" viewBox="0 0 {left + width + 60} {height}" '
        f'style="font:12px sans-serif"><title>{escape(title)}</title>'
        f"<desc>{escape(', '.join(label for _, label in metrics))}</desc>"
    ]
    x = 0
    for i, (_, label) in enumerate(metrics):
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="2" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14}" y="11">{escape(label)}</text>')
        x += 14 + 7 * len(str(label)) + 12
    for g, row in enumerate(rows):
        y0 = legend_h + g * group_h
        name = labels.get(row.key, row.key)
        parts.append(
            f'<text x="0" y="{y0 + group_h / 2}" dominant-baseline="middle">{escape(name)}</text>'
        )
        for i, (metric, label) in enumerate(metrics):
            value = getattr(row, metric)
            w = width * value / top
            y = y0 + i * bar_h
            parts.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                f'fill="{PALETTE[i % len(PALETTE)]}"><title>{escape(name)}: {escape(label)} '
                f"{value}</title></rect>"
                f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 3}">{value}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
