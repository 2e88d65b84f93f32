"""Text normalisation for matching, with an offset map back to the original text.

Why: evasions (炸*弹, 炸彈, ｋｉｌｌ, 炸\\u200b弹, 💣, 氵去轮功) must meet the lexicon in one canonical
form, while evidence must still point at what the user actually wrote. Every normalised
character ``i`` remembers the original span ``[starts[i], ends[i])`` it came from.

Steps, in order (``docs/lexicon.md`` explains each one and its limits):

1. one 65,536-entry ``uint16`` lookup table (numpy): NFKC width folding (full-width ASCII,
   ideographic space, circled digits, Kangxi radicals, math letters), case folding, Cyrillic/Greek
   look-alikes, single-character traditional→simplified (from OpenCC), deletion of zero-width and
   invisible characters; unknown astral characters and private-use characters become U+FFFD;
2. separators between two CJK characters are removed (``炸 * 弹`` → ``炸弹``);
3. digits and ``@$`` between two ASCII letters read as letters (``k1ll`` → ``kill``);
4. runs of three or more of the same CJK character collapse to one (``法轮轮轮功``);
5. curated multi-character substitutions (``data/variants.tsv``: emoji, split characters),
   then step 4 again (💣弹弹 → 炸弹弹弹 → 炸弹). Every character of a substitution source counts
   as CJK in step 2, and every target is CJK, so no separator decision changes afterwards and
   normalising twice gives the same text.

Steps 2-5 run only when a cheap vectorised pre-check finds a candidate; the common path is a
handful of numpy operations over the whole text, with no per-character Python loop. Texts up
to :data:`SHORT` characters first try :mod:`hegui.safety.normalize_short`, which gives the
same result without the numpy calls' fixed cost whenever only 1:1 steps apply.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hegui.safety.normalize_short import normalize_short
from hegui.safety.normalize_tables import (
    CJK,
    DEL,
    LEET,
    LETTER,
    REPLACEMENT,
    SEP,
    VARIANT,
    Tables,
    tables,
)
from hegui.safety.offsets import Pieces, compose_ends, compose_starts

__all__ = ["SHORT", "Normalized", "fold_width", "normalize", "normalize_numpy"]

_EMPTY16 = np.zeros(0, dtype=np.uint16)
_EMPTY_POS = np.zeros(0, dtype=np.intp)
_NEAR = CJK | SEP | DEL
_SMALL = 64  # below this many candidates a Python loop is cheaper than numpy calls
_BLOCK = 1 << 16  # characters per cache-sized block of the table lookup
SHORT = 1024
"""Texts up to this many characters try the short path first (measured: it wins below about
1,000 characters; beyond, its regular expressions cost more than the numpy calls)."""


@dataclass(slots=True, eq=False)
class Normalized:
    """A normalised text and, per normalised char, the original span it came from.

    ``starts[i]``/``ends[i]`` (int32) are the original offsets covered by normalised char ``i``:
    both arrays are non-decreasing, a char produced by expanding one original char (💣 → 炸弹)
    shares its span, a char produced by merging several (氵去 → 法) covers all of them.
    ``points`` holds the normalised UTF-16 code units (always BMP, never a surrogate).
    The map is kept as one :class:`~hegui.safety.offsets.Pieces` per step that changed the
    length; ``text``, ``starts`` and ``ends`` are computed on first use, and :meth:`spans` maps
    many spans at once without them. Treat it as immutable (not frozen only because a frozen
    dataclass costs ~1 µs more to build, a tenth of a short prompt's whole lexicon check).
    """

    original: str
    points: np.ndarray
    steps: tuple[Pieces, ...] = ()
    _text: str | None = field(default=None, repr=False)
    _starts: np.ndarray | None = field(default=None, repr=False)
    _ends: np.ndarray | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """The normalised text (decoded on first use: the matcher itself only needs ``points``)."""
        if self._text is None:
            self._text = self.points.tobytes().decode("utf-16-le")
        return self._text

    @property
    def starts(self) -> np.ndarray:
        if self._starts is None:
            every = np.arange(self.points.size, dtype=np.int64)
            self._starts = compose_starts(self.steps, every).astype(np.int32)
        return self._starts

    @property
    def ends(self) -> np.ndarray:
        if self._ends is None:
            every = np.arange(self.points.size, dtype=np.int64)
            self._ends = compose_ends(self.steps, every).astype(np.int32)
        return self._ends

    def __len__(self) -> int:
        return int(self.points.size)

    def spans(
        self, starts: Sequence[int] | np.ndarray, ends: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Original spans of many non-empty normalised spans ``[starts[k], ends[k])`` at once."""
        first = np.asarray(starts, dtype=np.int64)
        last = np.asarray(ends, dtype=np.int64) - 1
        return compose_starts(self.steps, first), compose_ends(self.steps, last)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map the normalised span ``[start, end)`` to the original span covering it."""
        n = int(self.points.size)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span [{start}, {end}) outside normalised text of length {n}")
        if start == end:
            if start == n:
                return len(self.original), len(self.original)
            point = int(compose_starts(self.steps, np.array([start]))[0])
            return point, point
        a, b = self.spans([start], [end])
        return int(a[0]), int(b[0])


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching; see the module docstring for the steps."""
    n = len(text)
    if n <= SHORT:
        short = normalize_short(text)
        if short is not None:
            return Normalized(text, short[1], (), short[0])
    return normalize_numpy(text)


def normalize_numpy(text: str) -> Normalized:
    """:func:`normalize` without the short-text path (every step vectorised)."""
    t = tables()
    n = len(text)
    if n == 0:
        return Normalized(text, _EMPTY16, (), "")
    raw = text.encode("utf-16-le", "surrogatepass")
    # One gather and one pass find every position a rare step cares about; the steps then work
    # on that short list and look up the classes of its neighbours only.
    if len(raw) == 2 * n:
        m, special = _lookup(np.frombuffer(raw, np.uint16), t)
    else:
        m = _astral_points(text, t)
        special = np.flatnonzero(t.rare_any.take(m))
    kinds = t.rare[m[special]]
    steps: list[Pieces] = []
    variant = special[:0]
    if special.size:
        drop = _dropped(special, kinds, m, t)
        leet = special[(kinds & LEET) != 0]
        variant = special[(kinds & VARIANT) != 0]
        if drop.size:
            lo, hi = _kept_runs(drop, m.size)
            m = _take_runs(m, lo, hi, drop)
            steps.append(Pieces.copies(lo, hi))
            leet = leet - np.searchsorted(drop, leet)
            variant = variant - np.searchsorted(drop, variant)
        if leet.size:
            _read_leet(m, leet, t)
    m, step, removed = _collapse_runs(m, t)
    if step is not None:
        steps.append(step)
    if variant.size:
        if removed.size:
            at = np.searchsorted(removed, variant)
            hit = removed[np.minimum(at, removed.size - 1)] == variant
            variant = (variant - at)[~hit]
        m, step = _substitute(m, variant, t)
        if step is not None:  # 💣弹弹 → 炸弹弹弹: the new text may hold a run to collapse
            steps.append(step)
            m, step, _ = _collapse_runs(m, t)
            if step is not None:
                steps.append(step)
    return Normalized(text, m, tuple(steps))


def fold_width(text: str) -> str:
    """Full-width → half-width and case folding only, strictly one char for one char.

    For recognizers (personal information) whose offsets must equal the original's.
    """
    t = tables()
    n = len(text)
    raw = text.encode("utf-16-le", "surrogatepass")
    if len(raw) == 2 * n:
        out = t.fold[np.frombuffer(raw, np.uint16)].tobytes().decode("utf-16-le", "surrogatepass")
        if len(out) == n:
            return out
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32).copy()
    small = cp < 0x10000
    cp[small] = t.fold[cp[small]]
    return cp.tobytes().decode("utf-32-le", "surrogatepass")


def _lookup(units: np.ndarray, t: Tables) -> tuple[np.ndarray, np.ndarray]:
    """The table applied to BMP code units, and the positions the pre-check flags.

    In blocks of :data:`_BLOCK` characters, so the flag pass reads what the table pass just
    wrote while it is still in the CPU cache: on 20 MB of text this halves the cost of both.
    """
    if units.size <= _BLOCK:
        m = t.lut.take(units)
        return m, np.flatnonzero(t.rare_any.take(m))
    m = np.empty(units.size, dtype=np.uint16)
    found: list[np.ndarray] = []
    for i in range(0, units.size, _BLOCK):
        block = m[i : i + _BLOCK]
        t.lut.take(units[i : i + _BLOCK], out=block)
        flagged = np.flatnonzero(t.rare_any.take(block))
        if flagged.size:
            found.append(flagged + i)
    return m, np.concatenate(found) if found else _EMPTY_POS


def _astral_points(text: str, t: Tables) -> np.ndarray:
    """LUT for texts with characters beyond the BMP (emoji, CJK Ext. B, math letters)."""
    cp = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    m = np.empty(len(cp), dtype=np.uint16)
    small = cp < 0x10000
    m[small] = t.lut[cp[small]]
    big = cp[~small]
    idx = np.minimum(np.searchsorted(t.astral_keys, big), len(t.astral_keys) - 1)
    found = t.astral_keys[idx] == big
    m[~small] = np.where(found, t.astral_values[idx], REPLACEMENT)
    return m


def _dropped(special: np.ndarray, kinds: np.ndarray, m: np.ndarray, t: Tables) -> np.ndarray:
    """Sorted positions to delete: invisible chars, and separator runs between two CJK chars.

    Invisible characters inside a run count as part of it (炸\u200b * 弹 → 炸弹).
    """
    is_gap = (kinds & (SEP | DEL)) != 0
    gaps = special[is_gap]
    invisible = gaps[(kinds[is_gap] & DEL) != 0]
    # Cheap filter first: a gap next to a letter or digit (an English space) cannot be bridged.
    g = gaps[(gaps > 0) & (gaps < m.size - 1)]
    classes = t.classes
    g = g[((classes[m[g - 1]] & _NEAR) != 0) & ((classes[m[g + 1]] & _NEAR) != 0)]
    if not g.size:
        return np.asarray(invisible)
    if g.size <= _SMALL:
        bridged_gaps = _bridged_small(g.tolist(), m, classes)
    else:
        new_run = (g[1:] - g[:-1]) != 1
        breaks = new_run.nonzero()[0]
        left = g[np.concatenate(([0], breaks + 1))] - 1
        right = g[np.concatenate((breaks, [g.size - 1]))] + 1
        bridged = (classes[m[left]] & classes[m[right]] & CJK) != 0
        bridged_gaps = g[bridged[np.concatenate(([0], np.cumsum(new_run)))]]
    if not invisible.size:
        return bridged_gaps
    separators = bridged_gaps[(np.take(t.rare, m[bridged_gaps]) & DEL) == 0]
    return np.sort(np.concatenate((invisible, separators)))  # disjoint sets


def _bridged_small(gaps: list[int], m: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The vectorised run analysis of :func:`_dropped` as a loop, for a handful of gaps."""
    out: list[int] = []
    i, count = 0, len(gaps)
    while i < count:
        j = i
        while j + 1 < count and gaps[j + 1] == gaps[j] + 1:
            j += 1
        if int(classes[m[gaps[i] - 1]]) & int(classes[m[gaps[j] + 1]]) & CJK:
            out.extend(gaps[i : j + 1])
        i = j + 1
    return np.array(out, dtype=np.intp)


def _substitute(
    m: np.ndarray, candidates: np.ndarray, t: Tables
) -> tuple[np.ndarray, Pieces | None]:
    """Apply the curated multi-char substitutions at candidate positions only."""
    # Vectorised pre-filter: a one-char source, or a two-char source whose pair is present.
    nxt = m[np.minimum(candidates + 1, m.size - 1)].astype(np.int64)
    pair = (m[candidates].astype(np.int64) << 16) | nxt
    at = np.minimum(np.searchsorted(t.pair_sources, pair), t.pair_sources.size - 1)
    ok = t.single_source[m[candidates]] | (t.pair_sources[at] == pair)
    candidates = candidates[ok & ((candidates + 1 < m.size) | t.single_source[m[candidates]])]
    done_until = 0
    hits: list[tuple[int, int, tuple[int, ...]]] = []
    for p in candidates.tolist():
        if p < done_until:
            continue
        for source, target in t.variants[int(m[p])]:
            k = len(source)
            if tuple(m[p : p + k].tolist()) == source:
                hits.append((p, k, target))
                done_until = p + k
                break
    if not hits:
        return m, None
    parts: list[np.ndarray] = []
    pieces: list[tuple[int, int, int, int]] = []
    inp = out = 0
    for p, k, target in hits:
        parts += [m[inp:p], np.array(target, dtype=np.uint16)]
        pieces += [(out, p - inp, inp, -1), (out + p - inp, len(target), p, p + k)]
        out += p - inp + len(target)
        inp = p + k
    parts.append(m[inp:])
    pieces.append((out, m.size - inp, inp, -1))
    return np.concatenate(parts), Pieces.build(pieces)


def _collapse_runs(m: np.ndarray, t: Tables) -> tuple[np.ndarray, Pieces | None, np.ndarray]:
    """Collapse runs of ≥3 identical CJK characters to one (doubles like 谢谢 stay).

    Returns the new points, the offset step (None when nothing changed) and the removed
    positions (sorted), so callers can shift positions they hold.
    """
    if m.size < 3:
        return m, None, _EMPTY_POS
    pairs = (m[1:] == m[:-1]).nonzero()[0]
    if pairs.size < 2:
        return m, None, _EMPTY_POS
    if pairs.size <= _SMALL:
        p = pairs.tolist()
        triples = [a for a, b in itertools.pairwise(p) if b == a + 1]
        triples = [i for i in triples if t.classes[m[i]] & CJK]
    else:
        pairs = pairs[(t.classes[m[pairs]] & CJK) != 0]
        triples = pairs[:-1][(pairs[1:] - pairs[:-1]) == 1].tolist()
    if not triples:
        return m, None, _EMPTY_POS
    removed: list[int] = []
    pieces: list[tuple[int, int, int, int]] = []
    inp = out = 0
    run_start = run_end = -2
    for i in [*triples, -10]:  # a triple at i: m[i] == m[i+1] == m[i+2]
        if i == run_end - 1:
            run_end = i + 2
            continue
        if run_start >= 0:  # keep m[run_start], standing for the whole run
            pieces += [
                (out, run_start - inp, inp, -1),
                (out + run_start - inp, 1, run_start, run_end + 1),
            ]
            out += run_start - inp + 1
            inp = run_end + 1
            removed.extend(range(run_start + 1, run_end + 1))
        run_start, run_end = i, i + 2
    pieces.append((out, m.size - inp, inp, -1))
    gone = np.array(removed, dtype=np.intp)
    lo, hi = _kept_runs(gone, m.size)
    return _take_runs(m, lo, hi, gone), Pieces.build(pieces), gone


def _kept_runs(gone: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The runs ``[lo, hi)`` left when the sorted positions ``gone`` are deleted."""
    lo = np.concatenate(([0], gone + 1))
    hi = np.concatenate((gone, [size]))
    nonempty = hi > lo
    return lo[nonempty], hi[nonempty]


def _take_runs(m: np.ndarray, lo: np.ndarray, hi: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """``m`` without ``gone``: kept runs copied as slices (memory speed) unless there are many."""
    if lo.size * 1000 > m.size:
        keep = np.ones(m.size, dtype=bool)
        keep[gone] = False
        return m[keep]
    if not lo.size:
        return m[:0]
    return np.concatenate([m[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)])


def _read_leet(m: np.ndarray, candidates: np.ndarray, t: Tables) -> None:
    """In place: ``k1ll`` → ``kill`` (digit or @/$ between two ASCII letters)."""
    cand = candidates[(candidates > 0) & (candidates < m.size - 1)]
    around = t.classes[m[cand - 1]] & t.classes[m[cand + 1]]
    ok = cand[(around & LETTER) != 0]
    if ok.size:
        m[ok] = t.leet[m[ok]]
