"""The QA report on disk: ``qa.json`` (the data) and ``qa.html`` (the same, for people).

The HTML is rendered from the JSON-ready dict by a packaged Jinja2 template with autoescaping,
so names and texts from the roster or tasks cannot inject markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, StrictUndefined

__all__ = ["render_html", "write_report"]


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _prop(p: dict[str, Any]) -> str:
    if not p["n"]:
        return "n/a (nothing verified)"
    low, high = p["ci95"]
    return f"{p['rate']:.1%} ({p['correct']}/{p['n']}; 95 % CI {low:.1%}–{high:.1%})"


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    env = Environment(
        loader=PackageLoader("hegui.annotation", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
    )
    env.globals.update(num=_num, pct=_pct, prop=_prop)
    return env.get_template("qa.html").render(r=report)


def write_report(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write ``qa.json`` and ``qa.html`` into ``out_dir`` (created when missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "qa.json", out_dir / "qa.html"
    json_path.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
