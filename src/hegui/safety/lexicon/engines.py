"""The two scanners behind :class:`~hegui.safety.lexicon.matcher.LexiconMatcher`.

Both take byte patterns with caller-chosen ids and return ``(pattern id, end offset)`` for every
overlapping match; Hyperscan is 3-5x faster (reference/perf.md), ahocorasick-rs needs no native
build.
"""

from __future__ import annotations

import threading
from typing import Any

from hegui.errors import ConfigError

__all__ = [
    "AhoCorasickEngine",
    "EngineStack",
    "HyperscanEngine",
    "Scanner",
    "dump_engine",
    "engine_name",
    "load_engine",
    "stacked",
]


def _collect(pid: int, _from: int, to: int, _flags: int, hits: Any) -> None:
    """Hyperscan match callback, ``hits`` being the scan's list (passed as the context): a
    module function, so no closure is built per scan."""
    hits.append((pid, to))


class HyperscanEngine:
    """Hyperscan literal database; scratch space per thread (it is not thread-safe)."""

    def __init__(
        self, patterns: list[bytes] | None, ids: list[int] | None = None, blob: bytes | None = None
    ) -> None:
        import hyperscan

        if blob is not None:
            self.db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        else:
            assert patterns is not None
            self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self.db.compile(
                expressions=patterns,
                ids=list(range(len(patterns))) if ids is None else ids,
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
        self.db.scan(data, match_event_handler=_collect, context=hits, scratch=scratch)
        return hits


class AhoCorasickEngine:
    """ahocorasick-rs over the same bytes: the fallback when Hyperscan is not installed."""

    def __init__(self, patterns: list[bytes], ids: list[int] | None = None) -> None:
        import ahocorasick_rs

        self.ac = ahocorasick_rs.BytesAhoCorasick(patterns)
        self.ids = list(range(len(patterns))) if ids is None else ids

    def scan(self, data: Any) -> list[tuple[int, int]]:
        """``data``: any bytes-like buffer (``bytes`` or a uint8 numpy array)."""
        matches = self.ac.find_matches_as_indexes(data, overlapping=True)
        ids = self.ids
        return [(ids[pid], end) for pid, _, end in matches]


class EngineStack:
    """Databases scanned one after the other as if they were one (their ids do not overlap): a
    base lexicon's cached database and the one compiled for the terms layered over it."""

    def __init__(self, engines: tuple[HyperscanEngine | AhoCorasickEngine, ...]) -> None:
        self.engines = engines
        self._first, *self._rest = engines  # split once: scan is on every check's path

    def scan(self, data: Any) -> list[tuple[int, int]]:
        hits = self._first.scan(data)
        for engine in self._rest:
            hits += engine.scan(data)
        return hits


Scanner = HyperscanEngine | AhoCorasickEngine | EngineStack


def stacked(below: Scanner | None, above: Scanner | None) -> Scanner | None:
    """``below`` scanned first, then ``above`` (either may be missing)."""
    if below is None or above is None:
        return below if above is None else above
    lower = below.engines if isinstance(below, EngineStack) else (below,)
    upper = above.engines if isinstance(above, EngineStack) else (above,)
    return EngineStack((*lower, *upper))


def dump_engine(engine: Scanner | None) -> tuple[bytes, ...] | None:
    """Hyperscan databases as bytes for the disk cache (only Hyperscan matchers are cached)."""
    engines = engine.engines if isinstance(engine, EngineStack) else (engine,)
    blobs = tuple(e.dump() for e in engines if isinstance(e, HyperscanEngine))
    return blobs or None


def load_engine(blobs: tuple[bytes, ...] | None) -> Scanner | None:
    if blobs is None:
        return None
    engines = tuple(HyperscanEngine(None, blob=b) for b in blobs)
    return engines[0] if len(engines) == 1 else EngineStack(engines)


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
