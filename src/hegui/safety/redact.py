"""Redaction of the spans a policy marked ``redact``, keeping the text's length and format.

Personal-information spans are masked by the PII layer's format-keeping masks (``138****5678``);
any other span has its letters and digits replaced by ``*`` while separators stay, so offsets of
other evidence remain valid.
"""

from __future__ import annotations

from collections.abc import Iterable

from hegui.safety.types import Evidence, Finding, Layer

__all__ = ["redact", "redact_evidence"]


def redact(text: str, findings: Iterable[Finding]) -> str:
    """Return ``text`` with every finding's span masked (same length as the input)."""
    return redact_evidence(text, (f.evidence for f in findings))


def redact_evidence(text: str, evidence: Iterable[Evidence]) -> str:
    """Return ``text`` with every evidence span masked (same length as the input).

    The one masker of the project: answers, streams and conversations all mask through it, so a
    number reads ``138****5678`` wherever a user sees it.
    """
    spans = sorted({(e.start, e.end, e.layer, e.pattern) for e in evidence})
    if not spans:
        return text
    chars = list(text)
    for start, end, layer, pattern in spans:
        original = text[start:end]
        masked = _mask_pii(pattern, original) if layer is Layer.PII else None
        if masked is None or len(masked) != len(original):
            masked = "".join("*" if ch.isalnum() else ch for ch in original)
        chars[start:end] = masked
    return "".join(chars)


def _mask_pii(entity_type: str | None, value: str) -> str | None:
    from hegui.safety.pii import mask_value

    return mask_value(value, entity_type or "")
