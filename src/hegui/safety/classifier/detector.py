"""The classifier layer as an engine :class:`~hegui.safety.types.Detector`.

Both heads run in both directions. ``offensive`` is about the text itself, whoever wrote it.
``harmful`` was trained on harmful requests *and* on harmful answers (JADE-DB v3 violating
answers, Do-Not-Answer responses judged harmful) against safe answers and refusals, so it also
catches a model answer that gives the harmful help; the quality benchmark reports its flag rate
on benign answers. A head that fires yields one finding per predicted risk code, scored with the
head's calibrated score (0.5 = decision point), with evidence on the n-grams that drove it.
"""

from __future__ import annotations

from hegui.safety.classifier.model import TextClassifier
from hegui.safety.types import Direction, Doc, Evidence, Finding, Layer

__all__ = ["ClassifierDetector"]

_HEAD_CODES: dict[str, tuple[tuple[str, ...] | None, str]] = {
    # head → (code prefixes it may name, code used when the category head has no opinion)
    "offensive": (("A.2", "A.1.e", "A.4.c"), "A.2.i"),
    # A.* only: X.b (unsuitable for minors) depends on the audience, and the policy refuses it
    # for minors only — a harmful request named X.b would merely be flagged for everyone else
    "harmful": (("A.",), "A.1.h"),
}


class ClassifierDetector:
    """Linear n-gram classifier (offensive / harmful heads + risk-code head)."""

    name = "classifier"
    layer = Layer.CLASSIFIER

    def __init__(self, model: TextClassifier | None = None, *, min_score: float = 0.5,
                 second_code_share: float = 0.3, max_spans: int = 3) -> None:  # fmt: skip
        self.model = model or TextClassifier.load_default()
        self.min_score = min_score
        self.second_code_share = second_code_share
        self.max_spans = max_spans
        self._engine_norm = self.model.normalizer == "hegui.safety.normalize"

    @classmethod
    def default(cls) -> ClassifierDetector:
        """The detector over the model shipped in the package."""
        return cls(TextClassifier.load_default())

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        """Findings for every head scoring at least ``min_score``; evidence in ``doc.text``."""
        del direction  # both heads apply to prompts and answers (see module docstring)
        norm = doc.normalized.text if self._engine_norm else self.model.normalize(doc.text)
        scores = self.model.scores(norm)
        findings: list[Finding] = []
        for head, score in scores.items():
            if score < self.min_score:
                continue
            allowed, fallback = _HEAD_CODES.get(head, (None, "A.1.h"))
            ranked = self.model.categories(norm, allowed)
            codes = [c for i, (c, p) in enumerate(ranked[:2])
                     if i == 0 or p >= self.second_code_share] or [fallback]  # fmt: skip
            for evidence in self._evidence(doc, norm, head, score):
                findings.extend(Finding(code, score, evidence) for code in codes)
        return findings

    def _evidence(self, doc: Doc, norm: str, head: str, score: float) -> list[Evidence]:
        spans: list[tuple[int, int]] = []
        found = self.model.top_spans(norm, head, self.max_spans) if self._engine_norm else []
        if found:  # to original offsets, all spans in one call (they are non-empty, in bounds)
            starts, ends = doc.normalized.spans([s for s, _ in found], [e for _, e in found])
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                if 0 <= start < end <= len(doc.text):
                    spans.append((start, end))
        if not spans:  # no offset map (fallback normaliser) or nothing positive: whole text
            spans = [(0, len(doc.text))]
        return [
            Evidence(self.layer, s, e, doc.text[s:e], self.name, pattern=head, score=score)
            for s, e in spans
        ]
