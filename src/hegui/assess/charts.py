"""Small SVG charts for the report: rates with their Wilson intervals against the threshold.

Plain SVG strings (no plotting library): the HTML report shows them as they are and the PDF
renderer draws them as vectors with the report's embedded font.
"""

from __future__ import annotations

from html import escape

__all__ = ["Bar", "bar_chart"]

Bar = tuple[str, float | None, tuple[float, float], str]  # label, rate, (lo, hi), colour key

COLOURS = {"this": "#2b6cb0", "other": "#a0aec0", "bad": "#c53030"}


def _text_width(text: str, size: float = 11) -> float:
    """Rough width of ``text`` in the chart font: CJK characters are square, Latin about half."""
    return sum(size if ord(c) > 0x2E7F else size * 0.58 for c in text)


def bar_chart(
    bars: list[Bar],
    threshold: float | None = None,
    direction: str = ">=",
    title: str = "",
    width: int = 640,
    row: int = 22,
) -> str:
    """Horizontal bars (0–100 %) with interval whiskers and a dashed threshold line.

    A bar whose rate misses the threshold is drawn red."""
    widest = max((_text_width(label) for label, *_ in bars), default=0.0)
    left, right, top = int(min(320, max(90, widest + 14))), 60, 28 if title else 8
    plot = width - left - right
    height = top + row * len(bars) + 26

    def x(v: float) -> float:
        return left + plot * max(0.0, min(1.0, v))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Hegui Report Sans, sans-serif" font-size="11">'
    ]
    if title:
        parts.append(
            f'<text x="{left}" y="16" font-size="12" font-weight="bold">{escape(title)}</text>'
        )
    for i, (label, rate, (lo, hi), colour) in enumerate(bars):
        y = top + i * row
        parts.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        if rate is None:
            parts.append(f'<text x="{left + 4}" y="{y + 15}" fill="#718096">—</text>')
            continue
        missed = threshold is not None and (
            rate < threshold if direction == ">=" else rate > threshold
        )
        fill = COLOURS["bad"] if missed and colour == "this" else COLOURS.get(colour, colour)
        parts.append(
            f'<rect x="{left}" y="{y + 4}" width="{x(rate) - left:.1f}" height="{row - 8}" fill="{fill}"/>'
        )
        parts.append(
            f'<line x1="{x(lo):.1f}" y1="{y + row / 2}" x2="{x(hi):.1f}" y2="{y + row / 2}" '
            'stroke="#1a202c" stroke-width="1.2"/>'
        )
        for v in (lo, hi):
            parts.append(
                f'<line x1="{x(v):.1f}" y1="{y + 7}" x2="{x(v):.1f}" y2="{y + row - 7}" '
                'stroke="#1a202c" stroke-width="1.2"/>'
            )
        parts.append(f'<text x="{x(hi) + 4:.1f}" y="{y + 15}">{100 * rate:.1f}%</text>')
    axis_y = top + row * len(bars) + 4
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{axis_y}" x2="{x(tick):.1f}" y2="{axis_y + 4}" stroke="#4a5568"/>'
            f'<text x="{x(tick):.1f}" y="{axis_y + 16}" text-anchor="middle" fill="#4a5568">{int(tick * 100)}%</text>'
        )
    if threshold is not None:
        parts.append(
            f'<line x1="{x(threshold):.1f}" y1="{top}" x2="{x(threshold):.1f}" y2="{axis_y}" '
            'stroke="#c53030" stroke-dasharray="4 3" stroke-width="1.2"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
