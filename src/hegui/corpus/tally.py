"""Counters per source, added up chunk by chunk: what ``report.json`` is built from.

Workers fill one :class:`Tally` per chunk; the parent merges them in input order and saves the
running total in every checkpoint, so a resumed scan counts each record exactly once. Problem
examples (file, line, message) are kept up to :data:`MAX_EXAMPLES` per kind; their counts are
exact.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LENGTH_BUCKETS", "MAX_EXAMPLES", "SourceTally", "Tally", "length_bucket"]

MAX_EXAMPLES = 20
# Upper bounds (characters) of the length histogram; the last bucket is open.
LENGTH_BUCKETS = (10, 50, 100, 500, 1_000, 5_000, 10_000, 100_000)

_SCALARS = (
    "records",
    "checked",
    "unchecked",
    "unsafe",
    "failed",
    "chars",
    "pii_records",
    "redacted",
    "kept",
    "dropped",
    "exact_duplicates",
    "near_duplicates",
)
_COUNTERS = (
    "reasons",
    "risks",
    "actions",
    "pii",
    "markers",
    "languages",
    "encodings",
    "lengths",
)


def length_bucket(chars: int) -> str:
    """The histogram label for a text of ``chars`` characters ("≤10", …, ">100000")."""
    for bound in LENGTH_BUCKETS:
        if chars <= bound:
            return f"≤{bound}"
    return f">{LENGTH_BUCKETS[-1]}"


@dataclass(slots=True)
class SourceTally:
    """Counts for one source. ``risks`` counts records per risk code, ``pii`` entities per type,
    ``reasons`` dropped records per reason (a record may have several reasons)."""

    records: int = 0
    checked: int = 0
    unchecked: int = 0
    unsafe: int = 0
    failed: int = 0
    chars: int = 0
    pii_records: int = 0
    redacted: int = 0
    kept: int = 0
    dropped: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    risks: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    markers: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    encodings: Counter[str] = field(default_factory=Counter)
    lengths: Counter[str] = field(default_factory=Counter)

    def merge(self, other: SourceTally) -> None:
        for name in _SCALARS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _COUNTERS:
            getattr(self, name).update(getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: getattr(self, name) for name in _SCALARS}
        out.update({name: dict(getattr(self, name)) for name in _COUNTERS})
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceTally:
        tally = cls()
        for name in _SCALARS:
            setattr(tally, name, int(data[name]))
        for name in _COUNTERS:
            getattr(tally, name).update(data[name])
        return tally


@dataclass(slots=True)
class Tally:
    """Per-source counts plus problems (malformed lines, oversize records) by kind."""

    sources: dict[str, SourceTally] = field(default_factory=dict)
    problems: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def source(self, source_id: str) -> SourceTally:
        tally = self.sources.get(source_id)
        if tally is None:
            tally = self.sources[source_id] = SourceTally()
        return tally

    def problem(self, kind: str, file: str, line: int, message: str) -> None:
        self.problems[kind] += 1
        examples = self.examples.setdefault(kind, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append({"file": file, "line": line, "message": message})

    def merge(self, other: Tally) -> None:
        for source_id, tally in other.sources.items():
            self.source(source_id).merge(tally)
        self.problems.update(other.problems)
        for kind, examples in other.examples.items():
            mine = self.examples.setdefault(kind, [])
            mine.extend(examples[: MAX_EXAMPLES - len(mine)])

    def total(self) -> SourceTally:
        total = SourceTally()
        for tally in self.sources.values():
            total.merge(tally)
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": {k: v.to_json() for k, v in sorted(self.sources.items())},
            "problems": dict(self.problems),
            "examples": self.examples,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        return cls(
            sources={k: SourceTally.from_json(v) for k, v in data["sources"].items()},
            problems=Counter(data["problems"]),
            examples={k: list(v) for k, v in data["examples"].items()},
        )
