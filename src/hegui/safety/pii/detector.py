"""``PiiDetector``: the PII layer as a :class:`hegui.safety.types.Detector` for the engine."""

from __future__ import annotations

from collections.abc import Iterable

from hegui.safety.pii.base import Recognizer
from hegui.safety.pii.open_tail import open_tail
from hegui.safety.pii.registry import analyze, default_recognizers
from hegui.safety.types import Direction, Doc, Evidence, Finding, Layer

__all__ = ["NON_PERSONAL_ENTITIES", "PII_RISK_CODE", "PiiDetector"]

PII_RISK_CODE = "A.4.f"  # 侵害他人个人信息权益, GB/T 45654 Appendix A
# Found by ``analyze`` but not personal information: organisation codes (PIPL Art. 4).
NON_PERSONAL_ENTITIES = frozenset({"CN_USCC"})


class PiiDetector:
    """Personal information → ``A.4.f`` findings, one per entity, with offsets into ``doc.text``.

    Both directions are checked the same way: a user pasting an ID card and a model repeating one
    are both personal information; the policy decides whether to flag or redact.
    """

    name = "pii"
    layer = Layer.PII

    def __init__(
        self,
        *,
        entities: Iterable[str] | None = None,
        min_score: float = 0.0,
        recognizers: Iterable[Recognizer] | None = None,
    ) -> None:
        self._recognizers = tuple(recognizers) if recognizers is not None else default_recognizers()
        known = {r.ENTITY for r in self._recognizers}
        self._entities = (
            frozenset(entities)
            if entities is not None
            else frozenset(known - NON_PERSONAL_ENTITIES)
        )
        self._min_score = min_score

    @property
    def entities(self) -> frozenset[str]:
        """Entity types this detector reports."""
        return self._entities

    def open_tail(self, doc: Doc) -> int:
        """Index in ``doc.text`` from which its end may still become a value (see
        :mod:`hegui.safety.pii.open_tail`)."""
        return open_tail(doc.text)

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        """One ``A.4.f`` finding per (non-overlapping) entity in ``doc.text``."""
        found = analyze(
            doc.text,
            entities=self._entities,
            min_score=self._min_score,
            recognizers=self._recognizers,
        )
        return [
            Finding(
                code=PII_RISK_CODE,
                score=e.score,
                evidence=Evidence(
                    layer=Layer.PII,
                    start=e.start,
                    end=e.end,
                    text=e.text,
                    detector=e.recognizer,
                    pattern=e.entity_type,
                    score=e.score,
                    raw_score=e.raw_score,
                ),
            )
            for e in found
        ]
