"""``report.html``: the numbers of ``report.json`` for a person, with charts, in one offline file.

Charts are inline SVG drawn here (no script, no web font, nothing fetched), so the page opens the
same on an air-gapped machine and prints cleanly for a filing.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

__all__ = ["bar_chart", "render_html", "write_html"]

_TEMPLATES = Path(__file__).with_name("templates")
_ROW = 22
_LABEL = 190
_WIDTH = 640


def bar_chart(
    items: list[tuple[str, float]],
    *,
    fmt: str = "{:,.0f}",
    scale: float | None = None,
    limit: float | None = None,
    intervals: list[tuple[float, float]] | None = None,
    bad: list[bool] | None = None,
) -> Markup:
    """Horizontal bars; ``limit`` draws a dashed threshold line, ``intervals`` whiskers."""
    if not items:
        return Markup('<p class="empty">none</p>')
    top = scale or max([v for _, v in items] + [limit or 0] + [hi for _, hi in intervals or []])
    top = top or 1.0
    span = _WIDTH - _LABEL - 90
    height = _ROW * len(items) + 8

    def x(value: float) -> float:
        return _LABEL + span * min(value / top, 1.0)

    parts = [
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" '
        f'height="{height}" role="img">'
    ]
    for i, (label, value) in enumerate(items):
        y = 4 + i * _ROW
        colour = "#c0392b" if bad and bad[i] else "#2e86c1"
        end = x(value)
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + 14}" text-anchor="end">{escape(label[:32])}</text>'
            f'<rect x="{_LABEL}" y="{y + 3}" width="{max(end - _LABEL, 1):.1f}" '
            f'height="{_ROW - 8}" fill="{colour}"/>'
        )
        if intervals:
            lo, hi = intervals[i]
            parts.append(
                f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{y + 10}" y2="{y + 10}" '
                'stroke="#000" stroke-width="1.5"/>'
            )
            end = max(end, x(hi))
        parts.append(f'<text x="{end + 6:.1f}" y="{y + 14}">{escape(fmt.format(value))}</text>')
    if limit is not None:
        parts.append(
            f'<line x1="{x(limit):.1f}" x2="{x(limit):.1f}" y1="0" y2="{height}" '
            'stroke="#c0392b" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _counts(mapping: dict[str, int], n: int = 12) -> list[tuple[str, float]]:
    return [(k, float(v)) for k, v in sorted(mapping.items(), key=lambda kv: -kv[1])[:n]]


def _charts(report: dict[str, Any]) -> dict[str, Markup]:
    sources = report["sources"]
    unsafe = [(s["id"], s["unsafe"]["share"] or 0.0) for s in sources]
    total = report["total"]
    lengths = [(k, float(v)) for k, v in total["lengths"].items()]
    lengths.sort(key=lambda kv: _length_order(kv[0]))
    return {
        "unsafe": bar_chart(
            unsafe,
            fmt="{:.2%}",
            limit=report["thresholds"]["unsafe_share_max"],
            intervals=[tuple(s["unsafe"]["ci95"]) for s in sources],
            bad=[not s["unsafe"]["pass"] for s in sources],
        ),
        "reasons": bar_chart(_counts(total["dropped_by_reason"])),
        "pii": bar_chart(_counts(total["personal_information"]["entities"])),
        "languages": bar_chart(_counts(total["languages"])),
        "lengths": bar_chart(lengths),
        "risks": bar_chart(_counts(total["risk_codes"], 20)),
    }


def _length_order(label: str) -> int:
    digits = "".join(ch for ch in label if ch.isdigit())
    return int(digits or 0) + (1 if label.startswith(">") else 0)


def render_html(report: dict[str, Any]) -> str:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
    )
    env.filters["pct"] = lambda v: "n/a" if v is None else f"{v:.2%}"
    env.filters["num"] = lambda v: f"{v:,}" if isinstance(v, int) else v
    return env.get_template("report.html").render(r=report, charts=_charts(report))


def write_html(path: Path, report: dict[str, Any]) -> None:
    path.write_text(render_html(report), encoding="utf-8")
