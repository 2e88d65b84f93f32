"""Inline SVG bar charts: no JavaScript, no CDN, readable with styles off (each bar has a title).

Stacked bars, one per day, one colour per series (decision or risk code); the palette repeats
after eight series. Every label goes through Jinja's escaping because the SVG is built here as
markup: values are escaped with :func:`markupsafe.escape` before they are put in.
"""

from __future__ import annotations

from markupsafe import Markup, escape

__all__ = ["bar_chart"]

PALETTE = ("#4c78a8", "#e45756", "#f58518", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#9d755d")


def bar_chart(
    days: list[str], series: dict[str, dict[str, int]], *, title: str, height: int = 160
) -> Markup:
    """A stacked bar per day of ``series[day][name] = count``, with a legend."""
    names = sorted({n for counts in series.values() for n in counts})
    colour = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    peak = max([sum(series.get(d, {}).values()) for d in days] + [1])
    bar, gap, left, top = 24, 8, 36, 20
    width = left + len(days) * (bar + gap) + 10
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height + 50}" width="{width}" height="{height + 50}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" font-size="12">{escape(title)} (max {peak})</text>',
        f'<line x1="{left}" y1="{top + height}" x2="{width - 10}" y2="{top + height}" stroke="#888"/>',
    ]
    for i, day in enumerate(days):
        x = left + i * (bar + gap)
        y: float = top + height
        for name in names:
            n = series.get(day, {}).get(name, 0)
            if not n:
                continue
            h = max(1.0, n / peak * height)
            y -= h
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour[name]}">'
                f"<title>{escape(day)} {escape(name)}: {n}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2}" y="{top + height + 14}" font-size="9" '
            f'text-anchor="middle">{escape(day[5:])}</text>'
        )
    for i, name in enumerate(names):
        x = left + (i % 5) * 135
        y = top + height + 28 + (i // 5) * 12
        parts.append(f'<rect x="{x}" y="{y - 8}" width="8" height="8" fill="{colour[name]}"/>')
        parts.append(f'<text x="{x + 12}" y="{y}" font-size="10">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
