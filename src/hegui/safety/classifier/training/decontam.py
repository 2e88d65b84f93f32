"""Keep the dev sets honest: drop training rows that nearly repeat a dev item.

hegui's seed texts and its dev sets in ``eval/`` were written separately, but short, common
questions ("What rights do I have if I'm arrested?") come out word for word the same when two
people write them. A training row that repeats a dev item would make the dev numbers measure
memory, so training drops every row whose character 4-grams overlap a dev item's by
``threshold`` (Jaccard, on normalised text without punctuation or spaces) or more. The dev
items are only compared against, never trained on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

__all__ = ["NearDuplicates", "read_dev_texts"]

_NON_WORD = re.compile(r"[\W_]+")


def _grams(text: str, n: int = 4) -> frozenset[str]:
    t = _NON_WORD.sub("", text.lower())
    return frozenset(t[i : i + n] for i in range(max(len(t) - n + 1, 1)))


class NearDuplicates:
    """Index of (already normalised) dev texts, queried with training texts."""

    def __init__(self, dev_texts: Iterable[str], threshold: float = 0.5) -> None:
        self.threshold = threshold
        self._sets = [g for g in map(_grams, dev_texts) if g]
        self._index: dict[str, list[int]] = {}
        for i, grams in enumerate(self._sets):
            for g in grams:
                self._index.setdefault(g, []).append(i)

    def __len__(self) -> int:
        return len(self._sets)

    def matches(self, text: str) -> bool:
        """True when ``text`` shares ≥ ``threshold`` (Jaccard) of its 4-grams with a dev item."""
        grams = _grams(text)
        if not self._index or not grams:
            return False
        shared = Counter(i for g in grams for i in self._index.get(g, ()))
        for i, n in shared.items():
            if n / (len(grams) + len(self._sets[i]) - n) >= self.threshold:
                return True
        return False


def read_dev_texts(folder: Path) -> list[str]:
    """The ``text`` field of every line of every ``*.jsonl`` file in ``folder`` (none if absent)."""
    texts: list[str] = []
    for path in sorted(Path(folder).glob("*.jsonl")) if Path(folder).is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    return texts

