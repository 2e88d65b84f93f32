"""Per-text numbers for a whole chunk at once, on numpy: script counts and MinHash LSH keys.

Every text of a chunk is turned into one array of code points, so the per-record cost is a
few vector operations instead of a Python loop over characters:

* script counts (Han, Latin, kana, Hangul, Cyrillic, Arabic, letters) for the language signal,
  and garbage characters (U+FFFD, control and private-use characters, unassigned code points);
* character 5-gram shingles of the *folded* text (lower case, full-width folded to ASCII,
  whitespace, punctuation and symbols removed), hashed to 64 bits: their number, how many are
  distinct (the repetition signal) and a MinHash signature.

The signature is one-permutation MinHash (Li, Owen & Zhang 2012): each shingle hash falls into
one of :data:`BINS` bins by its top bits and a bin keeps its smallest hash, with rotation
densification for empty bins (Shrivastava & Li 2014). That costs one hash per shingle instead of
one per shingle *and* permutation (a 126-permutation classic MinHash is ~50× slower here, see
``benchmarks/corpus.py``). :data:`BANDS` bands of :data:`ROWS` rows give LSH keys: two texts
with Jaccard similarity 0.8 share at least one band with probability 1 − (1 − 0.8⁷)¹⁸ ≈ 0.986,
at 0.5 with 0.13. Candidates are then checked against the exact Jaccard similarity of their
shingle sets (:func:`shingle_set`, :func:`jaccard`), so the LSH only has to find them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = [
    "BANDS",
    "BINS",
    "ROWS",
    "SHINGLE",
    "TextStats",
    "jaccard",
    "shingle_set",
    "text_stats",
]

SHINGLE = 5
BANDS = 18
ROWS = 7
BINS = BANDS * ROWS

_U64 = np.uint64
_MAX = np.iinfo(np.uint64).max
_P = _U64(0x100000001B3)  # FNV-64 prime: the polynomial base of the shingle hash
_DENSE_STEP = _U64(0x9E3779B97F4A7C15)
_BAND_MUL = _U64(0xD6E8FEB86659FD93)
_TRUNC = 20  # shingle hashes keep 44 bits in the packed sort key (doc id takes the top 20)

# Character classes of the lookup table (exclusive; the first seven are letters).
_CLASSES = ("cjk", "latin", "kana", "hangul", "cyrillic", "arabic", "other_letter", "garbage")
_CJK, _LATIN, _KANA, _HANGUL, _CYRILLIC, _ARABIC, _OTHER_LETTER, _GARBAGE = range(1, 9)
_N_CLASSES = 9  # 0 = anything else (digits, punctuation, spaces, symbols)


@cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """(class, fold) for every BMP code point, built once per process (~15 ms)."""
    classes = np.zeros(0x10000, dtype=np.uint8)
    fold = np.zeros(0x10000, dtype=np.uint32)
    for cp in range(0x10000):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if cat[0] == "L":
            if 0x3400 <= cp <= 0x9FFF or 0xF900 <= cp <= 0xFAFF:
                classes[cp] = _CJK
            elif 0x3040 <= cp <= 0x30FF:
                classes[cp] = _KANA
            elif 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF:
                classes[cp] = _HANGUL
            elif 0x0400 <= cp <= 0x04FF:
                classes[cp] = _CYRILLIC
            elif 0x0600 <= cp <= 0x06FF:
                classes[cp] = _ARABIC
            elif cp < 0x0250 or 0x1E00 <= cp <= 0x1EFF or 0xFF21 <= cp <= 0xFF5A:
                classes[cp] = _LATIN
            else:
                classes[cp] = _OTHER_LETTER
        elif cp == 0xFFFD or cat in ("Co", "Cn", "Cs") or (cat == "Cc" and ch not in "\t\n\r"):
            classes[cp] = _GARBAGE
        if cat[0] in "LN" or cat == "Mn":
            folded = cp - 0xFEE0 if 0xFF01 <= cp <= 0xFF5E else cp
            fold[cp] = ord(chr(folded).lower()[0])
    return classes, fold


@dataclass(slots=True)
class TextStats:
    """Numbers for ``n`` texts; every array has one entry (or row) per text."""

    chars: np.ndarray
    letters: np.ndarray
    cjk: np.ndarray
    latin: np.ndarray
    kana: np.ndarray
    hangul: np.ndarray
    cyrillic: np.ndarray
    arabic: np.ndarray
    garbage: np.ndarray
    shingles: np.ndarray
    distinct: np.ndarray
    bands: np.ndarray  # (n, BANDS) uint64; a row of zeros when the text has no shingle


def _code_points(texts: list[str]) -> np.ndarray:
    joined = "".join(texts).encode("utf-32-le", "surrogatepass")
    return np.frombuffer(joined, dtype=np.uint32)


def _folded(cps: np.ndarray) -> np.ndarray:
    _, fold = _tables()
    folded = fold[np.minimum(cps, 0xFFFF)]
    wide = np.flatnonzero(cps > 0xFFFF)
    if wide.size:
        folded[wide] = np.where(cps[wide] < 0xF0000, cps[wide], 0)
    return np.asarray(folded)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the polynomial hash over all 64 bits."""
    h = h ^ (h >> _U64(30))
    h = h * _U64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> _U64(27))
    h = h * _U64(0x94D049BB133111EB)
    return np.asarray(h ^ (h >> _U64(31)))


def _shingle_hashes(folded: np.ndarray, doc_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every 5-gram of ``folded`` that does not cross a text boundary."""
    n = folded.shape[0] - SHINGLE + 1
    if n <= 0:
        return np.empty(0, _U64), np.empty(0, np.int64)
    with np.errstate(over="ignore"):
        h = folded[:n].copy()
        for k in range(1, SHINGLE):
            h = h * _P + folded[k : k + n]
        h = _mix(h)
    valid = doc_of[:n] == doc_of[SHINGLE - 1 :]
    return h[valid], doc_of[:n][valid]


def _signatures(h: np.ndarray, doc: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """(one-permutation MinHash table (n_docs, BINS), distinct shingles per doc) from one sort."""
    table = np.full((n_docs, BINS), _MAX, dtype=_U64)
    if h.size == 0:
        return table, np.zeros(n_docs, np.int64)
    packed = np.sort((doc.astype(_U64) << _U64(64 - _TRUNC)) | (h >> _U64(_TRUNC)))
    value = packed & _U64((1 << (64 - _TRUNC)) - 1)
    doc_sorted = (packed >> _U64(64 - _TRUNC)).astype(np.int64)
    new = np.ones(packed.size, dtype=bool)
    new[1:] = packed[1:] != packed[:-1]
    distinct = np.bincount(doc_sorted[new], minlength=n_docs)
    top = value >> _U64(64 - _TRUNC - 32)  # the shingle hash's top 32 bits
    group = doc_sorted * BINS + ((top * _U64(BINS)) >> _U64(32)).astype(np.int64)
    first = np.ones(group.size, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    table.reshape(-1)[group[first]] = value[first]  # sorted: the first of a bin is its minimum
    return table, distinct


def _densify(table: np.ndarray) -> np.ndarray:
    """Fill empty bins from the next non-empty bin to the right (circular), offset by distance."""
    empty = table == _MAX
    rows = np.flatnonzero(empty.any(axis=1) & ~empty.all(axis=1))
    if rows.size == 0:
        return table
    sub = np.concatenate([table[rows], table[rows]], axis=1)
    width = sub.shape[1]
    pos = np.where(sub != _MAX, np.arange(width), width)
    nxt = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1][:, :BINS]
    distance = (nxt - np.arange(BINS)).astype(_U64)
    with np.errstate(over="ignore"):
        table[rows] = np.take_along_axis(sub, nxt, axis=1) + distance * _DENSE_STEP
    return table


def _band_keys(table: np.ndarray) -> np.ndarray:
    keys = np.zeros((table.shape[0], BANDS), dtype=_U64)
    with np.errstate(over="ignore"):
        for b in range(BANDS):
            acc = np.full(table.shape[0], _U64(b + 1) * _DENSE_STEP, dtype=_U64)
            for r in range(ROWS):
                acc = (acc ^ table[:, b * ROWS + r]) * _BAND_MUL
            keys[:, b] = _mix(acc) | _U64(1)  # never 0: 0 means "no key"
    keys[(table == _MAX).all(axis=1)] = 0
    return keys


def text_stats(texts: list[str]) -> TextStats:
    """Script counts, shingle counts and LSH band keys for each text."""
    n = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)
    cps = _code_points(texts)
    class_table, _ = _tables()
    cls = class_table[np.minimum(cps, 0xFFFF)]
    wide = np.flatnonzero(cps > 0xFFFF)
    if wide.size:  # Han extensions B–H are letters; plane 15/16 private use is garbage
        w = cps[wide]
        cls[wide] = np.where((w >= 0x20000) & (w < 0x40000), _CJK, 0)
        cls[wide[w >= 0xF0000]] = _GARBAGE
    doc_of = np.repeat(np.arange(n, dtype=np.int64), lengths)
    table = np.bincount(doc_of * _N_CLASSES + cls, minlength=n * _N_CLASSES)
    table = table.reshape(n, _N_CLASSES)
    counts = {name: table[:, i + 1] for i, name in enumerate(_CLASSES)}
    counts["letters"] = table[:, 1:_GARBAGE].sum(axis=1)
    del counts["other_letter"]
    folded = _folded(cps)
    keep = folded != 0
    h, doc = _shingle_hashes(folded[keep].astype(_U64), doc_of[keep])
    table, distinct = _signatures(h, doc, n)
    return TextStats(
        chars=lengths,
        shingles=np.bincount(doc, minlength=n),
        distinct=distinct,
        bands=_band_keys(_densify(table)),
        **counts,
    )


def shingle_set(text: str) -> np.ndarray:
    """The distinct 64-bit shingle hashes of one text, sorted (for exact Jaccard checks)."""
    cps = _code_points([text])
    folded = _folded(cps)
    folded = folded[folded != 0].astype(_U64)
    h, _ = _shingle_hashes(folded, np.zeros(folded.shape[0], dtype=np.int64))
    return np.unique(h)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted distinct hash arrays (two empty sets count as 0)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    common = np.intersect1d(a, b, assume_unique=True).size
    return common / (a.size + b.size - common)
