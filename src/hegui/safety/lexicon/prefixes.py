"""Which end of a text could still grow into a lexicon hit: what a stream must hold back.

A streamed answer is released as it arrives except for its *open tail*: the longest suffix that
is the beginning of some compiled pattern (term, variant, allow or exception phrase). A term
that begins in released text would have been such a suffix at release time, so it was held, and
the check that sees it whole runs before any of it leaves. Everything else — nearly all benign
text — leaves at once instead of waiting behind a fixed window.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

__all__ = ["PrefixIndex"]


class PrefixIndex:
    """Sorted pattern texts; ``open_suffix`` finds the longest suffix that starts a pattern."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._sorted = sorted(set(p for p in patterns if p))
        self.longest = max(map(len, self._sorted), default=0)

    def starts_longer_pattern(self, piece: str) -> bool:
        """True when some pattern is longer than ``piece`` and begins with it."""
        items = self._sorted
        i = bisect_left(items, piece)
        while i < len(items) and items[i].startswith(piece):
            if len(items[i]) > len(piece):
                return True
            i += 1
        return False

    def open_suffix(self, text: str) -> int:
        """Index in ``text`` where its longest open suffix starts (``len(text)``: none).

        Only suffixes shorter than the longest pattern are tried, so the cost is bounded by
        the pattern length, not by the text.
        """
        n = len(text)
        for k in range(min(n, self.longest - 1), 0, -1):
            if self.starts_longer_pattern(text[n - k :]):
                return n - k
        return n
