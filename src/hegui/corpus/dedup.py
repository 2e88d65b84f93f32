"""Exact and near duplicates over the whole scan, after every record has been read.

Run in the parent once phase 1 is done, on the key files in ``DIR/.scan`` (one column at a time,
so memory grows with ~24 bytes per record, not with the corpus):

1. **Exact**: records with the same whitespace-collapsed text hash; the first one is kept.
2. **Near**: records that share an LSH band key (:mod:`hegui.corpus.textstats`) become
   candidate pairs with an *earlier* record of the same band bucket: the bucket's first record
   and the one just before. Pairs are then decided in input order, first occurrence wins: a
   record is a near duplicate when the exact Jaccard similarity of its shingle set and that of a
   kept earlier record reaches the threshold. Checking exactly (instead of trusting the MinHash
   estimate) is what keeps precision at the threshold; the LSH only has to find the pairs.

Only *eligible* records take part: those no record rule dropped and whose source is not
excluded, so a record is never dropped as the duplicate of something that is not kept.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hegui.corpus.spool import KEY_FILES
from hegui.corpus.textstats import jaccard, shingle_set

__all__ = ["EXACT", "NEAR", "Duplicates", "find_duplicates"]

EXACT, NEAR = 1, 2
_CACHE = 4096


@dataclass(slots=True)
class Duplicates:
    """Per record: 0 / EXACT / NEAR, and the record it repeats (-1 when none)."""

    kind: np.ndarray
    of: np.ndarray
    pairs_checked: int = 0

    @property
    def exact(self) -> int:
        return int((self.kind == EXACT).sum())

    @property
    def near(self) -> int:
        return int((self.kind == NEAR).sum())


def _load(work: Path, name: str, n: int) -> np.ndarray:
    return np.fromfile(work / f"{name}.u64", dtype=np.uint64, count=n)


def _groups(keys: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eligible record numbers sorted by (key, record); group-start flags and start positions."""
    idx = np.flatnonzero(eligible & (keys != 0))
    order = np.argsort(keys[idx], kind="stable")
    idx = idx[order]
    k = keys[idx]
    start = np.ones(idx.size, dtype=bool)
    start[1:] = k[1:] != k[:-1]
    first = np.maximum.accumulate(np.where(start, np.arange(idx.size), 0))
    return idx, start, first


def _exact(work: Path, n: int, eligible: np.ndarray, dups: Duplicates) -> None:
    idx, start, first = _groups(_load(work, "exact", n), eligible)
    later = ~start
    dups.kind[idx[later]] = EXACT
    dups.of[idx[later]] = idx[first[later]]


def _candidates(work: Path, n: int, eligible: np.ndarray) -> np.ndarray:
    """Unique (later, earlier) pairs from every band, sorted by later then earlier."""
    pairs = np.empty((0, 2), dtype=np.int64)
    for name in KEY_FILES[1:]:
        idx, start, first = _groups(_load(work, name, n), eligible)
        later = np.flatnonzero(~start)
        if later.size == 0:
            continue
        band = np.concatenate(
            [
                np.stack([idx[later], idx[first[later]]], axis=1),
                np.stack([idx[later], idx[later - 1]], axis=1),
            ]
        )
        pairs = np.unique(np.concatenate([pairs, band]), axis=0)
    return pairs


def find_duplicates(
    work: Path,
    n: int,
    eligible: np.ndarray,
    text_of: Callable[[int], str],
    *,
    threshold: float = 0.8,
    near: bool = True,
) -> Duplicates:
    """Mark exact and near duplicates among the ``n`` spooled records (see module docstring)."""
    dups = Duplicates(np.zeros(n, dtype=np.uint8), np.full(n, -1, dtype=np.int64))
    if n == 0:
        return dups
    _exact(work, n, eligible, dups)
    if not near:
        return dups
    pairs = _candidates(work, n, eligible & (dups.kind == 0))
    cache: OrderedDict[int, np.ndarray] = OrderedDict()

    def shingles(rec: int) -> np.ndarray:
        got = cache.get(rec)
        if got is None:
            got = cache[rec] = shingle_set(text_of(rec))
            if len(cache) > _CACHE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(rec)
        return got

    for later, earlier in pairs.tolist():
        if dups.kind[later] or dups.kind[earlier]:
            continue  # already decided, or the partner is itself not kept
        dups.pairs_checked += 1
        if jaccard(shingles(later), shingles(earlier)) >= threshold:
            dups.kind[later] = NEAR
            dups.of[later] = earlier
    return dups
