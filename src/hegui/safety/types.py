"""Value types shared by every detector, the engine, the policy and the callers.

A detector returns :class:`Finding` objects (one risk code, one score, one piece of evidence).
The engine groups them into :class:`RiskHit` per code and the policy turns them into a
:class:`Verdict`. Offsets in :class:`Evidence` always index the *original* text the user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hegui.safety.normalize import Normalized

__all__ = [
    "ACTION_ORDER",
    "Action",
    "Detector",
    "Direction",
    "Doc",
    "Evidence",
    "Finding",
    "Layer",
    "RiskHit",
    "Verdict",
    "failed_verdict",
]


class Direction(StrEnum):
    """Which way the text travels: a user's prompt (input) or the model's answer (output)."""

    INPUT = "input"
    OUTPUT = "output"


class Layer(StrEnum):
    """The detection layer that produced a piece of evidence."""

    LEXICON = "lexicon"
    PII = "pii"
    CLASSIFIER = "classifier"
    MODEL = "model"


class Action(StrEnum):
    """What the policy decides to do with a text, from mildest to strictest."""

    ALLOW = "allow"
    FLAG = "flag"
    REVIEW = "review"  # served like flag, and queued for a person to look at
    REDACT = "redact"
    REFUSE = "refuse"
    BLOCK = "block"


ACTION_ORDER: dict[Action, int] = {a: i for i, a in enumerate(Action)}


class Evidence(NamedTuple):
    """Why a risk was found: the span in the original text and what fired.

    A NamedTuple rather than a frozen dataclass: detectors build one per hit on the hot path,
    and a tuple is built about ten times faster while staying immutable.
    """

    layer: Layer
    start: int
    end: int
    text: str
    detector: str
    pattern: str | None = None
    score: float = 1.0
    raw_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``evidence[]`` item of the ``hegui check`` JSONL contract (plus detector details)."""
        d: dict[str, Any] = {
            "layer": str(self.layer),
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "detector": self.detector,
        }
        if self.pattern is not None:
            d["pattern"] = self.pattern
        return d


class Finding(NamedTuple):
    """One detector result: a risk code with a score in [0, 1] and its evidence."""

    code: str
    score: float
    evidence: Evidence


@dataclass(slots=True)
class RiskHit:
    """All findings for one risk code; ``score`` is the strongest finding's score."""

    code: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "score": round(self.score, 4),
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(slots=True)
class Verdict:
    """The engine's decision on one text.

    ``failed`` is set when a detector errored or timed out: the action is then ``block``
    and the text must never be treated as checked-and-safe (fail closed).
    """

    safe: bool
    action: Action
    score: float
    risks: list[RiskHit] = field(default_factory=list)
    redacted: str | None = None
    message: str | None = None
    failed: bool = False
    error: str | None = None

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.risks]

    def to_dict(self) -> dict[str, Any]:
        """The output record of the ``hegui check`` JSONL contract (without ``id``)."""
        d: dict[str, Any] = {
            "safe": self.safe,
            "action": str(self.action),
            "score": round(self.score, 4),
            "risks": [r.to_dict() for r in self.risks],
        }
        if self.action is Action.REDACT and self.redacted is not None:
            d["redacted"] = self.redacted
        if self.message is not None:
            d["message"] = self.message
        if self.failed:
            d["failed"] = True
            d["error"] = self.error
        return d


def failed_verdict(error: str, message: str | None = None) -> Verdict:
    """The verdict of a check that could not be completed: block, never "safe" (fail closed).

    ``error`` says what failed (for logs and incident records); ``message`` is the refusal the
    client sees, when the caller has one (the engine words it from the policy's templates).
    """
    return Verdict(
        safe=False, action=Action.BLOCK, score=1.0, message=message, failed=True, error=error
    )


class Doc:
    """The text under check, with its normalised form computed once and shared by all detectors."""

    __slots__ = ("_normalized", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._normalized: Normalized | None = None

    @property
    def normalized(self) -> Normalized:
        if self._normalized is None:
            from hegui.safety.normalize import normalize

            self._normalized = normalize(self.text)
        return self._normalized


@runtime_checkable
class Detector(Protocol):
    """One detection layer. ``detect`` must be pure and thread-safe (no per-call shared state)."""

    name: str
    layer: Layer

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        """Return findings whose evidence offsets index ``doc.text`` (the original text)."""
        ...
