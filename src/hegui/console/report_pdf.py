"""The incident report for the competent authority as PDF: the JSON report laid out on A4.

Rendered with WeasyPrint (as the assessment report is) and the font shipped with the assessment
report, falling back to the system's CJK fonts (``fonts-noto-cjk``) for characters it lacks.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["incident_pdf"]

_env = Environment(
    loader=PackageLoader("hegui.console", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def incident_pdf(report: dict[str, Any], kinds: dict[str, tuple[str, str]]) -> bytes:
    """PDF bytes of :func:`hegui.ops.incident_actions.incident_report`'s document."""
    from hegui.assess.report import FONT_PATH, _import_weasyprint

    html = _env.get_template("console/incident_report.html").render(
        report=report, kinds=kinds, font_url=FONT_PATH.as_uri()
    )
    weasyprint = _import_weasyprint()
    document = weasyprint.HTML(string=html).render()
    document.metadata.title = f"事件报告 {report['incident']['id']}"
    document.metadata.generator = "hegui console"
    pdf: bytes = document.write_pdf()
    return pdf
