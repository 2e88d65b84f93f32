"""Plain records that pass between the file formats and the store.

Parsers (JSON Lines, Label Studio) turn a file into :class:`TaskIn` records without touching the
database; :func:`hegui.annotation.tasks.import_tasks` validates them against the store and writes
them in one transaction. Loaders turn the store back into :class:`TaskOut` records that the
writers render. ``where`` strings name an item in error messages ("tasks.json task #3 (id 17)").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hegui.errors import InputError

__all__ = [
    "AnnotationIn",
    "AnnotationOut",
    "ReviewOut",
    "TaskIn",
    "TaskOut",
    "iso",
    "parse_ext_id",
    "parse_seconds",
    "parse_time",
]


def parse_ext_id(value: Any, where: str, what: str) -> str:
    """A task or item id from a file: a non-empty string or an integer, kept as text."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InputError(f"{where}: needs {what} (a non-empty string or an integer)")
    return str(value)


def parse_time(value: Any, where: str) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset; a naive one is taken as UTC), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{where}: timestamp {value!r} is not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{where}: timestamp {value!r} is not ISO 8601") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_seconds(value: Any, where: str) -> float | None:
    """A duration in seconds (``lead_time``): a non-negative number, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise InputError(f"{where}: lead_time {value!r} is not a number of seconds")
    return float(value)


def iso(moment: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, as Label Studio writes timestamps."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class AnnotationIn:
    annotator: str
    labels: Any  # as found in the file; validated against the rules on import
    where: str
    cancelled: bool = False
    created_at: datetime | None = None
    lead_time: float | None = None
    origin: str = "jsonl"
    extra: dict[str, Any] | None = None


@dataclass(slots=True)
class TaskIn:
    ext_id: str
    data: dict[str, Any]
    where: str
    extra: dict[str, Any] | None = None
    annotations: list[AnnotationIn] = field(default_factory=list)


@dataclass(slots=True)
class AnnotationOut:
    id: int
    annotator: str
    labels: str  # canonical joined form
    cancelled: bool
    created_at: datetime
    lead_time: float | None
    origin: str
    extra: dict[str, Any] | None


@dataclass(slots=True)
class ReviewOut:
    kind: str
    reviewer: str
    labels: str
    note: str | None
    at: datetime


@dataclass(slots=True)
class TaskOut:
    id: int
    ext_id: str
    source_id: str | None
    rules_version: str
    double_annotation: bool
    data: dict[str, Any]
    extra: dict[str, Any] | None
    annotations: list[AnnotationOut] = field(default_factory=list)
    reviews: list[ReviewOut] = field(default_factory=list)
    assignments: dict[str, str] = field(default_factory=dict)  # person -> role

    def annotators(self) -> set[str]:
        """Everyone who annotated the task (cancelled annotations included)."""
        return {a.annotator for a in self.annotations}

    def live(self) -> list[AnnotationOut]:
        """Annotations that count (cancelled/skipped ones do not)."""
        return [a for a in self.annotations if not a.cancelled]

    def review(self, kind: str) -> ReviewOut | None:
        return next((r for r in self.reviews if r.kind == kind), None)

    def consensus(self) -> str | None:
        """The labels before verification: the adjudication, else what all annotators agree on."""
        adjudication = self.review("adjudication")
        if adjudication is not None:
            return adjudication.labels
        values = {a.labels for a in self.live()}
        if len(values) != 1 or len(self.live()) < self.required():
            return None
        return values.pop()

    def final(self) -> str | None:
        """The best labels known: the verifier's, else the consensus."""
        verification = self.review("verification")
        return verification.labels if verification is not None else self.consensus()

    def required(self) -> int:
        return 2 if self.double_annotation else 1

    def state(self) -> str:
        """pending (too few annotations), disputed (they differ, not adjudicated) or done."""
        live = self.live()
        if self.review("adjudication") is not None:
            return "done"
        if len({a.labels for a in live}) > 1:
            return "disputed"
        if len(live) < self.required():
            return "pending"
        return "done"
