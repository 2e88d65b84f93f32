"""The lexicon layer as a :class:`~hegui.safety.types.Detector`.

Scores come from the entry's severity: high 1.0, medium 0.7, low 0.4
(:data:`hegui.safety.lexicon.format.SEVERITIES`), except that the pinyin of a two-character
term counts as medium at most: two syllables are ambiguous (贱国 and 见过 are both "jianguo",
支畜 and 指出 "zhichu"), so such a hit is flagged and the classifier, which reads pinyin too,
decides. Evidence spans and text are taken from the original text through the normaliser's
offset map, so ``炸*弹`` is shown as written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from hegui.safety.lexicon.format import SEVERITIES, builtin_paths
from hegui.safety.lexicon.matcher import LexiconMatcher
from hegui.safety.types import Direction, Doc, Evidence, Finding, Layer

__all__ = ["LexiconDetector"]

_SHORT_PINYIN_CAP = SEVERITIES["medium"]


class LexiconDetector:
    """Finds lexicon terms (and their generated variants) in a :class:`Doc`."""

    name = "lexicon"
    layer = Layer.LEXICON

    _default: ClassVar[LexiconDetector | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, matcher: LexiconMatcher) -> None:
        self.matcher = matcher

    @classmethod
    def from_paths(
        cls, paths: Iterable[str | Path] = (), builtin: bool = True, *, variants: bool = True
    ) -> LexiconDetector:
        """Operator files and folders, after the built-in starter lexicon unless ``builtin=False``
        (layered over its cached databases: see :meth:`LexiconMatcher.from_files`)."""
        base = builtin_paths() if builtin else []
        return cls(LexiconMatcher.from_files(paths, base=base, variants=variants))

    @classmethod
    def default(cls) -> LexiconDetector:
        """The built-in starter lexicon, compiled once per process (thread-safe)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls.from_paths()
            return cls._default

    @property
    def max_term_length(self) -> int:
        """Context a stream must hold back so no hit (or its allow phrase) is cut in two.

        Twice the longest pattern: separators and invisible characters stretch a hit in the
        original text (``炸 * 弹``), typically one per character.
        """
        return 2 * self.matcher.max_pattern_length

    def open_tail(self, doc: Doc) -> int:
        """Index in ``doc.text`` from which its end may still grow into a hit (a stream holds
        that part back); ``len(doc.text)`` when no pattern begins in its end."""
        nz = doc.normalized
        start = self.matcher.prefixes.open_suffix(nz.text)
        return len(doc.text) if start >= len(nz.text) else nz.span(start, start + 1)[0]

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        """Findings whose evidence indexes ``doc.text``; direction does not change the lexicon."""
        text, layer, name = doc.text, self.layer, self.name
        out = []
        for start, end, entry, pattern, variant in self.matcher.find(doc.normalized):
            score = entry.score
            if variant == "pinyin" and len(entry.term) <= 2:
                score = min(score, _SHORT_PINYIN_CAP)
            label = entry.term if variant is None else f"{entry.term} ({variant}: {pattern})"
            evidence = Evidence(layer, start, end, text[start:end], name, label, score, score)
            out.append(Finding(entry.code, score, evidence))
        return out
