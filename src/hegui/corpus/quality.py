"""Quality signals of one record: language, length, garbage characters, repetition.

TC260-003 §5 asks for "measures for quality"; these are the cheap, explainable ones that
datatrove's Gopher filters and Data-Juicer's text filters also use, re-cut for Chinese: length
is counted in characters, repetition in distinct character 5-grams (no word splitting needed),
and the language comes from script counts (:mod:`hegui.corpus.textstats`), with a stop-word test
to tell English from other Latin-script text. Each failed rule is a drop reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hegui.corpus.textstats import TextStats

__all__ = ["QualityRules", "language"]

_WORD = re.compile(r"[a-z]+")
_EN_STOPWORD_LIST = (
    "the of and to a in is it that for on was with as are be this by not or have from at but an "
    "they you he she we his her their which will can all has were there been if one would what "
    "so about who when more no my your do"
)
_EN_STOPWORDS = frozenset(_EN_STOPWORD_LIST.split())
_REPETITION_MIN_SHINGLES = 50


def _english(text: str) -> bool:
    words = _WORD.findall(text[:4000].lower())
    return bool(words) and sum(w in _EN_STOPWORDS for w in words) >= 0.08 * len(words)


def language(stats: TextStats, i: int, text: str) -> str:
    """zh, ja, ko, en, latin, cyrillic, arabic, other or none (no letters), by script shares."""
    letters = int(stats.letters[i])
    if letters == 0:
        return "none"
    if stats.kana[i] >= 0.1 * letters:
        return "ja"
    if stats.hangul[i] >= 0.3 * letters:
        return "ko"
    if stats.cjk[i] >= 0.3 * letters:
        return "zh"
    if stats.cyrillic[i] >= 0.5 * letters:
        return "cyrillic"
    if stats.arabic[i] >= 0.5 * letters:
        return "arabic"
    if stats.latin[i] >= 0.5 * letters:
        return "en" if _english(text) else "latin"
    return "other"


@dataclass(frozen=True, slots=True)
class QualityRules:
    """Thresholds; each rule that fails adds its name as a drop reason."""

    min_chars: int = 10
    max_garbage: float = 0.05
    min_distinct: float = 0.5
    languages: tuple[str, ...] = ()  # empty: every language is accepted

    def reasons(self, stats: TextStats, i: int, lang: str) -> list[str]:
        out: list[str] = []
        chars = int(stats.chars[i])
        if chars < self.min_chars:
            out.append("too_short")
        if chars and stats.garbage[i] > self.max_garbage * chars:
            out.append("garbage_characters")
        shingles = int(stats.shingles[i])
        if (
            shingles >= _REPETITION_MIN_SHINGLES
            and stats.distinct[i] < self.min_distinct * shingles
        ):
            out.append("repetitive")
        if self.languages and lang not in self.languages:
            out.append("language")
        return out
