"""All lexicon terms in one automaton, with allow-list and exception resolution.

Why this shape (reference/perf.md): Hyperscan's literal mode is 3-5x faster than any other
matcher here, so every term, variant, allow term and exception phrase is compiled into two
databases and the text is scanned once by each. Patterns with a non-ASCII character ("wide") are
scanned over the normalised UTF-16 code units re-coded into two bytes that are never zero (the
Hyperscan binding passes literals as C strings), so a match offset divided by two is a character
index. All-ASCII patterns ("narrow": English terms, pinyin variants) are scanned over one byte per
character, non-ASCII characters replaced by 0x80, so an offset is a character index: coding
ASCII as two scrambled bytes made them 3x slower to scan than the CJK patterns
(``docs/lexicon.md``, Performance). No byte→char conversion either way. ahocorasick-rs
is the fallback when Hyperscan is missing. Compiled databases are cached on disk keyed by a hash
of their inputs, so a restart loads in milliseconds instead of compiling for seconds; an
operator's files are layered over the built-in lexicon's cached databases, so editing them
recompiles their own terms only.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from hegui.safety.disk_cache import cache_dir, write_atomic
from hegui.safety.lexicon import coding
from hegui.safety.lexicon.engines import (
    AhoCorasickEngine,
    HyperscanEngine,
    Scanner,
    dump_engine,
    engine_name,
    load_engine,
    stacked,
)
from hegui.safety.lexicon.entries import ChainedEntries, LazyEntries, entry_columns
from hegui.safety.lexicon.format import Entry, lexicon_files, read_file
from hegui.safety.lexicon.patterns import ALLOW, DENY, EXCEPT, Pattern, build_patterns
from hegui.safety.lexicon.prefixes import PrefixIndex
from hegui.safety.normalize import Normalized, normalize
from hegui.safety.normalize_tables import MAP_FILE, VARIANTS_FILE

__all__ = ["LexiconMatcher", "Match", "cache_dir"]

_FORMAT = "hegui-lexicon-11"  # bump when the compiled layout or the semantics change
_SHORT = 1024  # texts up to this many chars first check which databases can match at all
_DENY, _ALLOW, _EXCEPT = DENY, ALLOW, EXCEPT


class Match(NamedTuple):
    """A lexicon hit: original-text span, the entry, and the pattern (term or variant) that fired.

    A named tuple rather than a dataclass: a busy text yields thousands, and tuples build fastest.
    """

    start: int
    end: int
    entry: Entry
    pattern: str
    variant: str | None = None  # "pinyin", "split", "homophone" or None for the term itself


class LexiconMatcher:
    """Compiled lexicon: ``find(normalized)`` returns the deny hits that survive resolution."""

    small_batch = 24
    """Up to this many raw hits are resolved with plain loops; more go through numpy."""

    def __init__(
        self, entries: Sequence[Entry], *, variants: bool = True, engine: str = "auto"
    ) -> None:
        self.entries: Sequence[Entry] = list(entries)
        self.engine = engine_name(engine)
        self.variants = variants
        self._set_patterns(build_patterns(self.entries, self.variants))
        self._wide, self._narrow = self._compile(range(len(self._texts)))

    def _compile(self, ids: Iterable[int]) -> tuple[Scanner | None, Scanner | None]:
        """The databases of the patterns ``ids``: non-ASCII ones ("wide") and ASCII ones."""
        make = HyperscanEngine if self.engine == "hyperscan" else AhoCorasickEngine
        texts = self._texts
        ids = list(ids)
        wide = [i for i in ids if not texts[i].isascii()]
        narrow = [i for i in ids if texts[i].isascii()]
        wide_engine = narrow_engine = None
        if wide:
            coded = [
                coding.encode(np.frombuffer(texts[i].encode("utf-16-le"), "<u2")) for i in wide
            ]
            wide_engine = make(coded, wide)
        if narrow:
            narrow_engine = make([texts[i].encode("ascii") for i in narrow], narrow)
        return wide_engine, narrow_engine

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_files(
        cls,
        paths: Iterable[str | Path],
        *,
        base: Iterable[str | Path] = (),
        variants: bool = True,
        engine: str = "auto",
        cache: bool = True,
    ) -> LexiconMatcher:
        """Load the ``base`` lexicon files, then ``paths`` (folders expanded), reusing a cached
        compiled database if any.

        With Hyperscan and the cache, ``base`` (the built-in lexicon) is compiled and cached on
        its own and the other files are layered over it: a new or edited operator file costs
        the compilation of its own terms, not of the 50,000 built-in ones (7 s).
        """
        base_files, more_files = lexicon_files(base), lexicon_files(paths)
        files = base_files + more_files
        engine = engine_name(engine)
        cached = cache and engine == "hyperscan"
        digest = hashlib.sha256(f"{_FORMAT}|{engine}|{variants}".encode())
        for table in (MAP_FILE, VARIANTS_FILE):
            digest.update(table.read_bytes())
        for f in files:
            digest.update(str(f.resolve()).encode() + b"\0" + f.read_bytes() + b"\0")
        path = cache_dir() / f"lexicon-{digest.hexdigest()[:32]}.pkl"
        if cached:
            try:
                if path.exists():
                    return cls._load(path)
            except Exception:  # a stale, truncated or unreadable cache is rebuilt, never trusted
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
        if cached and base_files and more_files:
            below = cls.from_files(base_files, variants=variants, engine=engine)
            matcher = below.layered([e for f in more_files for e in read_file(f)])
        else:
            matcher = cls(
                [e for f in files for e in read_file(f)], variants=variants, engine=engine
            )
        if cached:
            matcher._save(path)
        return matcher

    def layered(self, more: Sequence[Entry]) -> LexiconMatcher:
        """This lexicon with ``more`` entries after its own. Its databases are shared and only
        the patterns it lacks are compiled; patterns, roles and entry numbers come out as if all
        the entries had been compiled at once, so every text gets the same hits."""
        if not more:
            return self
        out = LexiconMatcher.__new__(LexiconMatcher)
        out.entries = ChainedEntries(self.entries, list(more))
        out.engine, out.variants = self.engine, self.variants
        texts, roles = list(self._texts), list(self._roles)
        deny, protects = list(self._deny), list(self._protects)
        known = {text: i for i, text in enumerate(texts)}
        first_new = len(texts)
        for p in build_patterns(more, self.variants, start=len(self.entries)):
            text, role, its_deny, its_protects = _flat(p)
            i = known.get(text)
            if i is None:
                texts.append(text)
                roles.append(role)
                deny.append(its_deny)
                protects.append(its_protects)
                continue
            roles[i] |= role
            if its_deny:
                deny[i] = (*(deny[i] or ()), *its_deny)
            if its_protects:
                protects[i] = (*(protects[i] or ()), *its_protects)
        out._texts, out._roles, out._deny, out._protects = texts, roles, deny, protects
        out._setup()
        wide, narrow = out._compile(range(first_new, len(texts)))
        out._wide, out._narrow = stacked(self._wide, wide), stacked(self._narrow, narrow)
        return out

    def _save(self, path: Path) -> None:
        if self.engine != "hyperscan":
            return
        patterns = (self._texts, self._roles, self._deny, self._protects)
        blobs = tuple(dump_engine(e) for e in (self._wide, self._narrow))
        columns = entry_columns(self.entries)
        derived = {name: getattr(self, name) for name in _DERIVED}
        state = (_FORMAT, columns, len(self.entries), self.variants, patterns, derived, blobs)
        write_atomic(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def _load(cls, path: Path) -> LexiconMatcher:
        fmt, columns, count, variants, patterns, derived, blobs = pickle.loads(path.read_bytes())
        if fmt != _FORMAT:
            raise ValueError("old cache format")
        self = cls.__new__(cls)
        # entries are stored as columns and built on first use, and the arrays ``_setup``
        # derives are stored too: with 50,000 terms, unpickling the slotted entries and
        # re-deriving the arrays took most of a second of every process's start-up
        self.entries = LazyEntries(columns, count)
        self.variants, self.engine = variants, "hyperscan"
        self._texts, self._roles, self._deny, self._protects = patterns
        for name, value in derived.items():
            setattr(self, name, value)
        self._wide, self._narrow = (load_engine(b) for b in blobs)
        return self

    def _set_patterns(self, patterns: list[Pattern]) -> None:
        """Keep pattern data as flat lists of tuples of atomics: the garbage collector stops
        tracking those, so 100k patterns do not slow every collection of a busy process."""
        columns = tuple(zip(*map(_flat, patterns), strict=True)) or ((), (), (), ())
        self._texts, self._roles, self._deny, self._protects = map(list, columns)
        self._setup()

    def _setup(self) -> None:  # what it sets is listed in _DERIVED (kept in the cache)
        self._len_arr = np.array([len(text) for text in self._texts], dtype=np.int64)
        self._role_arr = np.array(self._roles, dtype=np.int8)
        self._word_any = np.array(
            [any(word for _, word, _ in refs) if refs else False for refs in self._deny], dtype=bool
        )
        deny = [len(t) for t, r in zip(self._texts, self._roles, strict=True) if r & _DENY]
        self._longest_deny = max(deny, default=0)
        # Patterns owned by exactly one deny entry (nearly all) are resolved without a loop.
        one = [refs[0] if refs and len(refs) == 1 else (-1, False, None) for refs in self._deny]
        self._single = np.array([r[0] for r in one], dtype=np.int64)
        self._single_word = np.array([r[1] for r in one], dtype=bool)
        self._single_kind = [r[2] for r in one]
        # Short texts skip a database when none of its patterns can start in them.
        firsts = sorted({t[0] for t in self._texts if t.isascii()})
        self._narrow_first = re.compile(
            "[" + "".join(map(re.escape, firsts)) + "]" if firsts else "(?!)"
        )

    # -- matching -----------------------------------------------------------------------------

    @property
    def pattern_count(self) -> int:
        return len(self._texts)

    @property
    def max_pattern_length(self) -> int:
        """Longest compiled pattern (term, variant, allow or exception phrase), in normalised chars."""
        return max(map(len, self._texts), default=0)

    @property
    def prefixes(self) -> PrefixIndex:
        """The patterns as a prefix index (built on first use: only streams need it)."""
        index: PrefixIndex | None = getattr(self, "_prefix_index", None)
        if index is None:
            index = self._prefix_index = PrefixIndex(self._texts)
        return index

    def find_text(self, text: str) -> list[Match]:
        """Normalise ``text`` and find its hits (for callers without a :class:`Doc`)."""
        return self.find(normalize(text))

    def find(self, nz: Normalized) -> list[Match]:
        """Deny hits in ``nz`` after allow-list and exception resolution, in text order.

        A short text is scanned only by the databases that can match it (no non-ASCII
        character: no wide pattern; no first character of an ASCII pattern: no narrow one).
        A handful of hits is resolved with plain loops; more go through numpy (alignment, roles,
        sorting, allow-list windows, word boundaries) and, when every pattern that fired has one
        owner and no exception phrase fired, build their results without a loop per hit.
        """
        n = len(nz)
        if not n:
            return []
        points = nz.points
        scan_wide, scan_narrow = self._wide is not None, self._narrow is not None
        if n <= _SHORT:  # cheap on a short text, and a gateway prompt often needs one scan only
            text = nz.text
            scan_wide = scan_wide and not text.isascii()
            scan_narrow = scan_narrow and self._narrow_first.search(text) is not None
        wide: list[tuple[int, int]] = []
        narrow: list[tuple[int, int]] = []
        if scan_wide and scan_narrow:
            wide_bytes, narrow_bytes = coding.both(points)
            wide = self._wide.scan(wide_bytes)  # type: ignore[union-attr]
            narrow = self._narrow.scan(narrow_bytes)  # type: ignore[union-attr]
        elif scan_wide:
            wide = self._wide.scan(coding.coded(points))  # type: ignore[union-attr]
        elif scan_narrow:
            narrow = self._narrow.scan(coding.narrow(points))  # type: ignore[union-attr]
        if not wide and not narrow:
            return []
        if len(wide) + len(narrow) <= self.small_batch:
            return self._resolve_few(wide, narrow, nz)
        pid, s, e = self._spans(wide, narrow)
        role = self._role_arr[pid]
        is_deny = (role & _DENY) != 0
        order = np.lexsort((e[is_deny], s[is_deny]))
        ds, de, dp = s[is_deny][order], e[is_deny][order], pid[is_deny][order]
        if not ds.size:
            return []
        keep = np.ones(ds.size, dtype=bool)
        guards: dict[int, list[tuple[int, int]]] = {}
        other = (role & (_ALLOW | _EXCEPT)) != 0
        if other.any():
            for p, a, b in zip(
                pid[other].tolist(), s[other].tolist(), e[other].tolist(), strict=True
            ):
                if self._roles[p] & _ALLOW:  # suppress overlapping deny hits no longer than it
                    lo = int(np.searchsorted(ds, a - self._longest_deny))
                    hi = int(np.searchsorted(ds, b))
                    keep[lo:hi] &= ~((de[lo:hi] > a) & (de[lo:hi] - ds[lo:hi] <= b - a))
                for owner in self._protects[p] or ():
                    guards.setdefault(owner, []).append((a, b))
        idx = keep.nonzero()[0]
        ds, de, dp = ds[idx], de[idx], dp[idx]
        ok: np.ndarray | None = None
        if self._word_any[dp].any():
            points, n = nz.points, nz.points.size
            bad_left = (ds > 0) & (points[ds] < 0x80) & _ALNUM[points[np.maximum(ds - 1, 0)]]
            bad_right = (de < n) & (points[de - 1] < 0x80) & _ALNUM[points[np.minimum(de, n - 1)]]
            ok = ~(bad_left | bad_right)
        if not guards and (self._single[dp] >= 0).all():
            return self._matches_single(ds, de, dp, ok, nz)
        word_ok = None if ok is None else ok.tolist()
        kept: list[tuple[int, int, int, int, str | None]] = []
        deny_refs = self._deny
        for k, (a, b, p) in enumerate(zip(ds.tolist(), de.tolist(), dp.tolist(), strict=True)):
            for index, word, kind in deny_refs[p] or ():
                if word and word_ok is not None and not word_ok[k]:
                    continue
                if guards and index in guards and any(x <= a and b <= y for x, y in guards[index]):
                    continue
                kept.append((a, b, index, p, kind))
        return self._matches(kept, nz)

    def _spans(
        self, wide: list[tuple[int, int]], narrow: list[tuple[int, int]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pattern ids and normalised ``[start, end)`` of raw hits from both databases."""
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        if wide:
            hits = np.array(wide, dtype=np.int64).reshape(-1, 2)
            pid, to = hits[:, 0], hits[:, 1]
            start = to - 2 * self._len_arr[pid]
            ok = (start & 1) == 0  # else it matched across a character of the two-byte coding
            parts.append((pid[ok], start[ok] >> 1, to[ok] >> 1))
        if narrow:
            hits = np.array(narrow, dtype=np.int64).reshape(-1, 2)
            pid, to = hits[:, 0], hits[:, 1]
            parts.append((pid, to - self._len_arr[pid], to))
        if len(parts) == 1:
            return parts[0]
        pid, s, e = (np.concatenate(x) for x in zip(*parts, strict=True))
        return pid, s, e

    def _resolve_few(
        self, wide: list[tuple[int, int]], narrow: list[tuple[int, int]], nz: Normalized
    ) -> list[Match]:
        """:meth:`find` for a handful of hits (a chat message): plain loops, same rules."""
        deny: list[tuple[int, int, int]] = []
        allow: list[tuple[int, int]] = []
        guards: dict[int, list[tuple[int, int]]] = {}
        roles, texts = self._roles, self._texts
        spans = [(to - len(texts[pid]), to, pid) for pid, to in narrow]
        for pid, to in wide:
            start = to - 2 * len(texts[pid])
            if not start & 1:
                spans.append((start >> 1, to >> 1, pid))
        for s, e, pid in spans:
            role = roles[pid]
            if role & _DENY:
                deny.append((s, e, pid))
            if role & _ALLOW:
                allow.append((s, e))
            for owner in self._protects[pid] or ():
                guards.setdefault(owner, []).append((s, e))
        deny.sort()
        points = nz.points
        kept: list[tuple[int, int, int, int, str | None]] = []
        for s, e, pid in deny:
            if any(a < e and s < b and b - a >= e - s for a, b in allow):
                continue
            for index, word, kind in self._deny[pid] or ():
                if word and not _word_bounded(points, s, e):
                    continue
                if guards and index in guards and any(x <= s and e <= y for x, y in guards[index]):
                    continue
                kept.append((s, e, index, pid, kind))
        return self._matches(kept, nz)

    def _matches_single(
        self, ds: np.ndarray, de: np.ndarray, dp: np.ndarray, ok: np.ndarray | None, nz: Normalized
    ) -> list[Match]:
        """The common case of :meth:`find` without a Python loop per hit: every pattern that
        fired belongs to one entry and no exception phrase fired."""
        index = self._single[dp]
        if ok is not None:
            keep = ok | ~self._single_word[dp]
            ds, de, dp, index = ds[keep], de[keep], dp[keep], index[keep]
        if not ds.size:
            return []
        first, last = nz.spans(ds, de)
        pids = dp.tolist()
        return list(
            map(
                _new_match,
                zip(
                    first.tolist(),
                    last.tolist(),
                    map(self.entries.__getitem__, index.tolist()),
                    map(self._texts.__getitem__, pids),
                    map(self._single_kind.__getitem__, pids),
                    strict=True,
                ),
            )
        )

    def _matches(
        self, kept: list[tuple[int, int, int, int, str | None]], nz: Normalized
    ) -> list[Match]:
        if not kept:
            return []
        # Map all spans back to the original text in one vectorised lookup per step.
        first, last = nz.spans([k[0] for k in kept], [k[1] for k in kept])
        entries, texts = self.entries, self._texts
        return [
            Match(a, b, entries[index], texts[p], kind)
            for a, b, (_, _, index, p, kind) in zip(
                first.tolist(), last.tolist(), kept, strict=True
            )
        ]


def _flat(p: Pattern) -> tuple[str, int, tuple[Any, ...] | None, tuple[int, ...] | None]:
    """A pattern as atomics and tuples of atomics, which the garbage collector stops tracking."""
    return (
        p.text,
        p.role,
        tuple(p.deny) if p.deny else None,
        tuple(p.protects) if p.protects else None,
    )


_new_match = partial(tuple.__new__, Match)  # Match from a 5-tuple, without a Python-level call
_ALNUM = np.zeros(0x10000, dtype=bool)
_ALNUM[list(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")] = True
_ASCII_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _word_bounded(points: np.ndarray, s: int, e: int) -> bool:
    """ASCII word boundaries at the hit's ASCII ends (CJK neighbours count as boundaries)."""
    if s > 0 and points[s] < 0x80 and int(points[s - 1]) in _ASCII_ALNUM:
        return False
    return not (e < points.size and points[e - 1] < 0x80 and int(points[e]) in _ASCII_ALNUM)


_DERIVED = ("_len_arr", "_role_arr", "_word_any", "_longest_deny", "_single", "_single_word",
            "_single_kind", "_narrow_first")  # fmt: skip
