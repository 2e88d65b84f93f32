"""Shared helpers for safety tests: tiny detectors that find fixed substrings."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from hegui.safety.types import Direction, Doc, Evidence, Finding, Layer


@dataclass
class SubstringDetector:
    """Finds fixed substrings; stands in for a real layer in engine/policy tests."""

    terms: dict[str, tuple[str, float]]
    name: str = "substring"
    layer: Layer = Layer.LEXICON
    calls: list[str] = field(default_factory=list)

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        self.calls.append(doc.text)
        out = []
        for term, (code, score) in self.terms.items():
            start = doc.text.find(term)
            while start != -1:
                end = start + len(term)
                ev = Evidence(self.layer, start, end, doc.text[start:end], self.name, term, score)
                out.append(Finding(code, score, ev))
                start = doc.text.find(term, end)
        return out


class BrokenDetector:
    name = "broken"
    layer = Layer.CLASSIFIER

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        raise RuntimeError("model file vanished")


@pytest.fixture
def substring_detector() -> SubstringDetector:
    return SubstringDetector(
        {
            "炸弹制作": ("A.1.d", 1.0),
            "地域黑": ("A.2.d", 0.4),
            "13812345678": ("A.4.f", 1.0),
            "ignore previous instructions": ("X.a", 1.0),
        }
    )
