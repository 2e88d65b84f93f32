"""All lexicon terms in one automaton, with allow-list and exception resolution.

Why this shape (reference/perf.md): Hyperscan's literal mode is 3-5x faster than any other
matcher here, so every term, variant, allow term and exception phrase is compiled into ONE
database and the text is scanned once. Texts are scanned as their normalised UTF-16 code units
re-coded into two bytes that are never zero (the Hyperscan binding passes literals as C strings),
so a match offset divided by two is a character index: no byte→char conversion. ahocorasick-rs
is the fallback when Hyperscan is missing. Compiled databases are cached on disk keyed by a hash
of their inputs, so a restart loads in milliseconds instead of compiling for seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from hegui.errors import ConfigError
from hegui.safety.lexicon.engines import AhoCorasickEngine, HyperscanEngine, engine_name
from hegui.safety.lexicon.format import Entry, lexicon_files, read_file
from hegui.safety.lexicon.variants import term_variants
from hegui.safety.normalize import Normalized, normalize
from hegui.safety.normalize_tables import MAP_FILE, REPLACEMENT, VARIANTS_FILE

__all__ = ["LexiconMatcher", "Match", "cache_dir"]

_FORMAT = "hegui-lexicon-6"  # bump when the compiled layout or the semantics change
_DENY, _ALLOW, _EXCEPT = 1, 2, 4

# Non-surrogate BMP code points → two-byte codes with no zero byte. The assignment is scrambled
# (multiplier coprime to the 65,025 codes) so ASCII text does not become "x\x01y\x01…", whose
# repeated byte would weaken Hyperscan's literal prefilter.
_all = np.arange(0x10000, dtype=np.int64)
_codes = _all[((_all & 0xFF) != 0) & ((_all >> 8) != 0)].astype(np.uint16)
_values = _all[(_all < 0xD800) | (_all >= 0xE000)]
_CODE = np.zeros(0x10000, dtype="<u2")
_CODE[_values] = _codes[(np.arange(len(_values)) * 7919) % len(_codes)]
del _all, _codes, _values


def encode(points: np.ndarray) -> bytes:
    """The byte string that the automaton scans for normalised code units ``points``."""
    return np.take(_CODE, points).view(np.uint8).tobytes()


def _coded(points: np.ndarray) -> np.ndarray:
    """:func:`encode` without the copy into ``bytes`` (both scanners read the buffer)."""
    return np.take(_CODE, points).view(np.uint8)


def cache_dir() -> Path:
    """``$HEGUI_CACHE_DIR`` or ``~/.cache/hegui``: where compiled lexicons are kept."""
    env = os.environ.get("HEGUI_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "hegui"


class Match(NamedTuple):
    """A lexicon hit: original-text span, the entry, and the pattern (term or variant) that fired.

    A named tuple rather than a dataclass: a busy text yields thousands, and tuples build fastest.
    """

    start: int
    end: int
    entry: Entry
    pattern: str
    variant: str | None = None  # "pinyin", "split", "homophone" or None for the term itself


@dataclass(slots=True)
class _Pattern:
    text: str
    role: int = 0  # bit set of _DENY, _ALLOW, _EXCEPT
    deny: list[tuple[int, bool, str | None]] | None = None  # (entry index, word mode, variant)
    protects: list[int] | None = None  # entries this phrase is an exception for


def _normalize_many(texts: list[str], entries: list[Entry], owners: list[int]) -> list[str]:
    """Normalise many short strings in one call (joined by U+FFFD, which no step crosses)."""
    joined = normalize("\ufffd".join(texts)).text.split("\ufffd")
    if len(joined) == len(texts) and all(joined):
        return joined
    for text, owner in zip(texts, owners, strict=True):
        norm = normalize(text).text
        if not norm or chr(REPLACEMENT) in norm:
            e = entries[owner]
            what = (
                "is empty after normalisation" if not norm else "has characters hegui cannot match"
            )
            raise ConfigError(f"term or exception {text!r} {what}", path=e.path, line=e.line)
    raise AssertionError("batch normalisation disagreed with per-term normalisation")


class LexiconMatcher:
    """Compiled lexicon: ``find(normalized)`` returns the deny hits that survive resolution."""

    small_batch = 24
    """Up to this many raw hits are resolved with plain loops; more go through numpy."""

    def __init__(
        self, entries: Sequence[Entry], *, variants: bool = True, engine: str = "auto"
    ) -> None:
        self.entries = list(entries)
        self.engine = engine_name(engine)
        self.variants = variants
        self._set_patterns(self._build_patterns())
        raw = [encode(np.frombuffer(p.encode("utf-16-le"), "<u2")) for p in self._texts]
        self._scanner: HyperscanEngine | AhoCorasickEngine | None = None
        if raw:
            self._scanner = (
                HyperscanEngine(raw) if self.engine == "hyperscan" else AhoCorasickEngine(raw)
            )

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_files(
        cls,
        paths: Iterable[str | Path],
        *,
        variants: bool = True,
        engine: str = "auto",
        cache: bool = True,
    ) -> LexiconMatcher:
        """Load lexicon files (folders expanded), reusing a cached compiled database if any."""
        files = lexicon_files(paths)
        engine = engine_name(engine)
        digest = hashlib.sha256(f"{_FORMAT}|{engine}|{variants}".encode())
        for table in (MAP_FILE, VARIANTS_FILE):
            digest.update(table.read_bytes())
        for f in files:
            digest.update(str(f.resolve()).encode() + b"\0" + f.read_bytes() + b"\0")
        path = cache_dir() / f"lexicon-{digest.hexdigest()[:32]}.pkl"
        if cache and engine == "hyperscan":
            try:
                if path.exists():
                    return cls._load(path)
            except Exception:  # a stale, truncated or unreadable cache is rebuilt, never trusted
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
        entries = [e for f in files for e in read_file(f)]
        matcher = cls(entries, variants=variants, engine=engine)
        if cache and engine == "hyperscan":
            matcher._save(path)
        return matcher

    def _save(self, path: Path) -> None:
        if not isinstance(self._scanner, HyperscanEngine):
            return
        patterns = (self._texts, self._roles, self._deny, self._protects)
        state = (_FORMAT, self.entries, self.variants, patterns, self._scanner.dump())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only home only costs a recompile next time

    @classmethod
    def _load(cls, path: Path) -> LexiconMatcher:
        fmt, entries, variants, patterns, blob = pickle.loads(path.read_bytes())
        if fmt != _FORMAT:
            raise ValueError("old cache format")
        self = cls.__new__(cls)
        self.entries, self.variants, self.engine = entries, variants, "hyperscan"
        self._texts, self._roles, self._deny, self._protects = patterns
        self._setup()
        self._scanner = HyperscanEngine(None, blob) if self._texts else None
        return self

    def _build_patterns(self) -> list[_Pattern]:
        texts: list[str] = []
        owners: list[int] = []
        for i, e in enumerate(self.entries):
            texts.append(e.term)
            owners.append(i)
            texts.extend(e.exceptions)
            owners.extend([i] * len(e.exceptions))
        normalized = iter(_normalize_many(texts, self.entries, owners))
        by_text: dict[str, _Pattern] = {}

        def pattern(text: str) -> _Pattern:
            p = by_text.get(text)
            if p is None:
                p = by_text[text] = _Pattern(text)
            return p

        for i, e in enumerate(self.entries):
            term = next(normalized)
            exceptions = [next(normalized) for _ in e.exceptions]
            if e.allow:
                pattern(term).role |= _ALLOW
                continue
            forms: list[tuple[str, bool, str | None]] = [(term, e.mode == "word", None)]
            if self.variants:
                forms += [(v, kind == "pinyin", kind) for v, kind in term_variants(term)]
            for text, word, kind in forms:
                p = pattern(text)
                p.role |= _DENY
                if p.deny is None:
                    p.deny = []
                if all(index != i for index, _, _ in p.deny):  # one hit per entry and span
                    p.deny.append((i, word, kind))
            for raw, phrase in zip(e.exceptions, exceptions, strict=True):
                if term not in phrase:
                    raise ConfigError(
                        f"exception {raw!r} does not contain the term {e.term!r}",
                        path=e.path,
                        line=e.line,
                    )
                p = pattern(phrase)
                p.role |= _EXCEPT
                p.protects = (p.protects or []) + [i]
        return list(by_text.values())

    def _set_patterns(self, patterns: list[_Pattern]) -> None:
        """Keep pattern data as flat lists of tuples of atomics: the garbage collector stops
        tracking those, so 100k patterns do not slow every collection of a busy process."""
        self._texts = [p.text for p in patterns]
        self._roles = [p.role for p in patterns]
        self._deny = [tuple(p.deny) if p.deny else None for p in patterns]
        self._protects = [tuple(p.protects) if p.protects else None for p in patterns]
        self._setup()

    def _setup(self) -> None:
        self._len_arr = np.array([2 * len(text) for text in self._texts], dtype=np.int64)
        self._role_arr = np.array(self._roles, dtype=np.int8)
        self._word_any = np.array(
            [any(word for _, word, _ in refs) if refs else False for refs in self._deny], dtype=bool
        )
        deny = [len(t) for t, r in zip(self._texts, self._roles, strict=True) if r & _DENY]
        self._longest_deny = max(deny, default=0)

    # -- matching -----------------------------------------------------------------------------

    @property
    def pattern_count(self) -> int:
        return len(self._texts)

    @property
    def max_pattern_length(self) -> int:
        """Longest compiled pattern (term, variant, allow or exception phrase), in normalised chars."""
        return max(map(len, self._texts), default=0)

    def find_text(self, text: str) -> list[Match]:
        """Normalise ``text`` and find its hits (for callers without a :class:`Doc`)."""
        return self.find(normalize(text))

    def find(self, nz: Normalized) -> list[Match]:
        """Deny hits in ``nz`` after allow-list and exception resolution, in text order.

        Every hit goes through numpy (alignment, roles, sorting, allow-list windows, word
        boundaries); Python only touches the hits that survive, to build the results.
        """
        if not len(nz) or self._scanner is None:
            return []
        raw = self._scanner.scan(_coded(nz.points))
        if not raw:
            return []
        if len(raw) <= self.small_batch:
            return self._resolve_few(raw, nz)
        hits = np.array(raw, dtype=np.int64).reshape(-1, 2)
        pid, to = hits[:, 0], hits[:, 1]
        start = to - self._len_arr[pid]
        aligned = (start & 1) == 0  # else it matched across a character of the two-byte coding
        pid, s, e = pid[aligned], start[aligned] >> 1, to[aligned] >> 1
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
        word_ok: list[bool] | None = None
        idx = keep.nonzero()[0]
        ds, de, dp = ds[idx], de[idx], dp[idx]
        if self._word_any[dp].any():
            points, n = nz.points, nz.points.size
            bad_left = (ds > 0) & (points[ds] < 0x80) & _ALNUM[points[np.maximum(ds - 1, 0)]]
            bad_right = (de < n) & (points[de - 1] < 0x80) & _ALNUM[points[np.minimum(de, n - 1)]]
            word_ok = (~(bad_left | bad_right)).tolist()
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

    def _resolve_few(self, raw: list[tuple[int, int]], nz: Normalized) -> list[Match]:
        """:meth:`find` for a handful of hits (a chat message): plain loops, same rules."""
        deny: list[tuple[int, int, int]] = []
        allow: list[tuple[int, int]] = []
        guards: dict[int, list[tuple[int, int]]] = {}
        roles, texts = self._roles, self._texts
        for pid, to in raw:
            start = to - 2 * len(texts[pid])
            if start & 1:
                continue
            s, e, role = start >> 1, to >> 1, roles[pid]
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


_ALNUM = np.zeros(0x10000, dtype=bool)
_ALNUM[list(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")] = True
_ASCII_ALNUM = frozenset(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _word_bounded(points: np.ndarray, s: int, e: int) -> bool:
    """ASCII word boundaries at the hit's ASCII ends (CJK neighbours count as boundaries)."""
    if s > 0 and points[s] < 0x80 and int(points[s - 1]) in _ASCII_ALNUM:
        return False
    return not (e < points.size and points[e - 1] < 0x80 and int(points[e]) in _ASCII_ALNUM)
