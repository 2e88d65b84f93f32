"""The two scanners behind :class:`~hegui.safety.lexicon.matcher.LexiconMatcher`.

Both take the same byte patterns and return ``(pattern id, end offset)`` for every overlapping
match; Hyperscan is 3-5x faster (reference/perf.md), ahocorasick-rs needs no native build.
"""

from __future__ import annotations

import threading
from typing import Any

from hegui.errors import ConfigError

__all__ = ["AhoCorasickEngine", "HyperscanEngine", "engine_name"]


class HyperscanEngine:
    """Hyperscan literal database; scratch space per thread (it is not thread-safe)."""

    def __init__(self, patterns: list[bytes] | None, blob: bytes | None = None) -> None:
        import hyperscan

        if blob is not None:
            self.db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        else:
            assert patterns is not None
            self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self.db.compile(
                expressions=patterns,
                ids=list(range(len(patterns))),
                elements=len(patterns),
                flags=0,
                literal=True,
            )
        self._local = threading.local()
        self._scratch_type = hyperscan.Scratch

    def dump(self) -> bytes:
        import hyperscan

        return bytes(hyperscan.dumpb(self.db))

    def scan(self, data: Any) -> list[tuple[int, int]]:
        """``data``: any bytes-like buffer (``bytes`` or a uint8 numpy array)."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:  # Hyperscan scratch is not thread-safe: one per thread
            scratch = self._local.scratch = self._scratch_type(self.db)
        hits: list[tuple[int, int]] = []
        add = hits.append

        def on_match(pid: int, _from: int, to: int, _flags: int, _ctx: Any) -> None:
            add((pid, to))

        self.db.scan(data, match_event_handler=on_match, scratch=scratch)
        return hits


class AhoCorasickEngine:
    """ahocorasick-rs over the same bytes: the fallback when Hyperscan is not installed."""

    def __init__(self, patterns: list[bytes]) -> None:
        import ahocorasick_rs

        self.ac = ahocorasick_rs.BytesAhoCorasick(patterns)

    def scan(self, data: Any) -> list[tuple[int, int]]:
        """``data``: any bytes-like buffer (``bytes`` or a uint8 numpy array)."""
        matches = self.ac.find_matches_as_indexes(data, overlapping=True)
        return [(pid, end) for pid, _, end in matches]


def engine_name(engine: str) -> str:
    if engine not in ("auto", "hyperscan", "ahocorasick"):
        raise ConfigError(f"unknown matcher engine {engine!r} (auto, hyperscan or ahocorasick)")
    if engine != "auto":
        return engine
    try:
        import hyperscan  # noqa: F401
    except ImportError:
        return "ahocorasick"
    return "hyperscan"
