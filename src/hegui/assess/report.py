"""``hegui assess report``: the self-assessment report of a judged run, as HTML or PDF.

Chinese by default, English with ``lang="en"``. The PDF is rendered by WeasyPrint with the
shipped subset of Noto Sans CJK SC (``fonts/``, SIL OFL 1.1) embedded; a character that the
shipped font lacks falls back to an installed CJK font, and one that no font covers is named on
the cover and on stderr rather than silently drawn as a box.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

from hegui.assess import context as ctxmod
from hegui.assess.checklist import build_checklist, conclusion
from hegui.assess.i18n import translator
from hegui.errors import InputError

__all__ = ["FONT_PATH", "missing_glyphs", "render_html", "write_report"]

HERE = Path(__file__).parent
FONT_PATH = HERE / "fonts" / "HeguiReportSans-Regular.otf"
_CHARS_PATH = HERE / "fonts" / "report-chars.txt"


@cache
def _covered() -> frozenset[str]:
    return frozenset(_CHARS_PATH.read_text(encoding="utf-8"))


def missing_glyphs(text: str) -> str:
    """Characters of ``text`` that neither the shipped font nor an installed CJK font covers."""
    missing = sorted(
        {c for c in text if c not in _covered() and c.isprintable() and not c.isspace()}
    )
    if not missing:
        return ""
    system = _system_cjk_chars()
    return "".join(c for c in missing if c not in system)


@cache
def _system_cjk_chars() -> frozenset[str]:
    """What the installed CJK fonts cover (empty without fontconfig or fontTools)."""
    import shutil
    import subprocess

    if not shutil.which("fc-match"):
        return frozenset()
    try:
        from fontTools.ttLib import TTFont, TTLibError
    except ImportError:
        return frozenset()
    chars: set[str] = set()
    for family in ("Noto Sans CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC"):
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", family],
                             capture_output=True, text=True, check=False).stdout.split("\n")  # fmt: skip
        if len(out) < 2 or not out[0]:
            continue
        try:
            font = TTFont(out[0], fontNumber=int(out[1] or 0), lazy=True)
            chars |= {chr(c) for c in font.getBestCmap()}
        except (TTLibError, OSError, ValueError):
            continue
    return frozenset(chars)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def render_html(
    run_dir: Path,
    lang: str = "zh",
    compare: Path | None = None,
    provider: Path | None = None,
    for_pdf: bool = False,
    config: Path | None = None,
) -> str:
    """The report as one self-contained HTML document."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    if lang not in ("zh", "en"):
        raise InputError("--lang must be zh or en")
    t = translator(lang)
    ctx = ctxmod.gather(run_dir, compare, provider, lang, config)
    checklist = build_checklist(ctx, ctx["provider"])
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    font_face = ""
    if for_pdf:
        font_face = (
            f'@font-face {{ font-family: "Hegui Report Sans"; src: url("{FONT_PATH.as_uri()}"); }}'
        )
    values = {
        **ctxmod.view(ctx, lang),
        "t": t,
        "lang": lang,
        "pct": _pct,
        "checklist": checklist,
        "conclusion": conclusion(checklist),
        "css": (HERE / "templates" / "report.css").read_text(encoding="utf-8"),
        "font_face": font_face,
        "font_missing": "",
    }
    html = env.get_template("report.html.j2").render(**values)
    missing = missing_glyphs(html)
    if missing:
        values["font_missing"] = missing
        html = env.get_template("report.html.j2").render(**values)
    return html


def _import_weasyprint() -> Any:
    """WeasyPrint, without its process-wide side effect: importing it sets Pillow's
    ``ImageFile.LOAD_TRUNCATED_IMAGES = True``, which would make the labeller accept truncated
    images in the same process. The report has no raster images, so the flag is put back."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: pango or its friends are not installed
        raise InputError(
            f"PDF needs WeasyPrint and its system libraries (apt-get install libpango-1.0-0 "
            f"libpangoft2-1.0-0): {exc}; or write .html instead"
        ) from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    return weasyprint


def write_report(
    run_dir: Path,
    out: Path,
    *,
    lang: str = "zh",
    compare: Path | None = None,
    provider: Path | None = None,
    config: Path | None = None,
) -> Path:
    """Write ``out`` (``.pdf`` or ``.html``) for the judged run in ``run_dir``."""
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise InputError(f"--out must end in .pdf or .html, not {out.name!r}")
    html = render_html(run_dir, lang, compare, provider, suffix == ".pdf", config)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix != ".pdf":
        out.write_text(html, encoding="utf-8")
        return out
    weasyprint = _import_weasyprint()
    document = weasyprint.HTML(string=html, base_url=str(run_dir)).render()
    document.metadata.title = translator(lang)("title")
    document.metadata.generator = "hegui assess"
    document.write_pdf(out)
    missing = missing_glyphs(html)
    if missing:
        print(
            f"hegui: warning: no font covers {missing!r}; install fonts-noto-cjk", file=sys.stderr
        )
    return out
