"""Lexicon size per risk against the TC260-003 §8.1 keyword minimums.

Counts distinct *normalised* deny terms (炸彈 and 炸弹 count once); generated variants (pinyin,
homophones) are not counted, because the standard asks for keywords curated by people.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hegui import taxonomy
from hegui.safety.lexicon.format import builtin_paths, lexicon_files, read_file

__all__ = ["LexiconStats", "RiskCount", "lexicon_stats"]


@dataclass(frozen=True, slots=True)
class RiskCount:
    """Terms for one risk code and the minimum the standard sets for it (0 = none)."""

    code: str
    name: str
    count: int
    minimum: int

    @property
    def ok(self) -> bool:
        return self.count >= self.minimum


@dataclass(frozen=True, slots=True)
class LexiconStats:
    """What ``hegui lexicon stats`` reports."""

    files: list[str]
    risks: list[RiskCount]  # every A.1/A.2 risk, then any other code that has terms
    total: int
    total_minimum: int
    allow: int

    @property
    def ok(self) -> bool:
        """True when the total and every A.1/A.2 risk meet their minimums."""
        return self.total >= self.total_minimum and all(r.ok for r in self.risks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "total": self.total,
            "total_minimum": self.total_minimum,
            "allow": self.allow,
            "files": self.files,
            "risks": [
                {"code": r.code, "name": r.name, "count": r.count, "minimum": r.minimum, "ok": r.ok}
                for r in self.risks
            ],
        }


def lexicon_stats(paths: Iterable[str | Path] = (), builtin: bool = True) -> LexiconStats:
    """Parse the lexicon files (the starter lexicon first unless ``builtin=False``) and count."""
    from hegui.safety.normalize import normalize

    files = lexicon_files([*(builtin_paths() if builtin else []), *paths])
    entries = [e for f in files for e in read_file(f)]
    # One normalise call for all terms: U+FFFD never occurs in a valid term and no step crosses it.
    normalized = normalize("\ufffd".join(e.term for e in entries)).text.split("\ufffd")
    if len(normalized) != len(entries):
        normalized = [normalize(e.term).text for e in entries]
    per_code: dict[str, set[str]] = {}
    allow: set[str] = set()
    for e, term in zip(entries, normalized, strict=True):
        (allow if e.allow else per_code.setdefault(e.code, set())).add(term)
    scope = [r.code for r in taxonomy.keyword_scope()]
    codes = scope + sorted(c for c in per_code if c not in scope)
    risks = [
        RiskCount(
            code,
            taxonomy.get(code).zh,
            len(per_code.get(code, ())),
            taxonomy.get(code).keyword_minimum,
        )
        for code in codes
    ]
    total = len(set().union(*per_code.values())) if per_code else 0
    return LexiconStats(
        [str(f) for f in files], risks, total, taxonomy.KEYWORD_TOTAL_MINIMUM, len(allow)
    )
