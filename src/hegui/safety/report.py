"""Human-readable rendering of a verdict for the terminal."""

from __future__ import annotations

from hegui import taxonomy
from hegui.safety.types import Verdict

__all__ = ["render_verdict"]

_MAX_EVIDENCE = 5


def render_verdict(verdict: Verdict) -> str:
    """A few lines: the decision, then each risk with its evidence spans."""
    if verdict.failed:
        return f"FAILED (blocked): {verdict.error}"
    head = "safe" if verdict.safe else "UNSAFE"
    lines = [f"{head} — action: {verdict.action}, score {verdict.score:.2f}"]
    for hit in verdict.risks:
        risk = taxonomy.RISKS.get(hit.code)
        name = f"{risk.zh} / {risk.en}" if risk else hit.code
        lines.append(f"  {hit.code}  {hit.score:.2f}  {name}")
        for ev in hit.evidence[:_MAX_EVIDENCE]:
            shown = ev.text if len(ev.text) <= 40 else ev.text[:37] + "…"
            lines.append(f"      [{ev.layer}] {ev.start}-{ev.end} {shown!r} ({ev.detector})")
        if len(hit.evidence) > _MAX_EVIDENCE:
            lines.append(f"      … {len(hit.evidence) - _MAX_EVIDENCE} more")
    if verdict.redacted is not None:
        lines.append(f"  redacted: {verdict.redacted}")
    if verdict.message:
        lines.append(f"  answer: {verdict.message}")
    return "\n".join(lines)
