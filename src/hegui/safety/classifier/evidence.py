"""Evidence phrases: where in a text a head's score came from, as readable spans.

The heads score overlapping character n-grams, and the n-grams with the largest weights are
often single characters ("我", "制", "炸" for 教我怎么制作炸弹), which tell an inspector little.
Here every n-gram spreads its weight evenly over its characters; a maximal run of characters
with a positive total is a candidate phrase, the runs with the largest totals win, and a long
run is cut to its best window of at most ``max_len`` characters. ASCII words are never cut in
half, and spaces and punctuation never carry weight, so a phrase does not run across them and
English evidence comes out as whole words.
"""

from __future__ import annotations

import numpy as np

__all__ = ["phrase_spans", "spans_of", "spread_weights"]

MAX_LEN = 12  # characters: a phrase, not a sentence


def phrase_spans(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, gaps: np.ndarray,
                 words: np.ndarray, k: int = 3, max_len: int = MAX_LEN) -> list[tuple[int, int]]:  # fmt: skip
    """Up to ``k`` ``[start, end)`` character spans, in text order, that carry the most weight.

    ``starts``/``ends``/``weights``: one entry per n-gram occurrence (``ends > starts``);
    ``gaps``/``words``: per character of the text, whether it is a space or punctuation (never
    positive, so a phrase neither starts nor ends on one) and whether it belongs to an ASCII
    word (never cut) — :func:`~hegui.safety.classifier.features.char_classes`.
    """
    n = len(gaps)
    if n == 0 or len(weights) == 0 or k <= 0:
        return []
    return spans_of(spread_weights(n, starts, ends, weights), gaps, words, k, max_len)


def spans_of(per_char: np.ndarray, gaps: np.ndarray, words: np.ndarray, k: int = 3,
             max_len: int = MAX_LEN) -> list[tuple[int, int]]:  # fmt: skip
    """:func:`phrase_spans` from the per-character weights (:func:`spread_weights`, or the C
    extension's ``char_weights``, which computes the same floats); ``per_char`` is changed."""
    if k <= 0 or len(per_char) == 0:
        return []
    per_char[gaps] = np.minimum(per_char[gaps], 0.0)
    lo, hi, total = _positive_runs(per_char)
    if not len(lo):
        return []
    best = np.argsort(-total, kind="stable")[:k]
    spans = [_best_window(per_char, int(lo[i]), int(hi[i]), max_len) for i in best]
    return sorted(_whole_words(words, s, e) for s, e in spans)


def spread_weights(n: int, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each n-gram's weight, divided by its length, added to every character it covers.

    The C extension (``_hashsum.char_weights``) repeats these float operations in this order
    (bincount and cumsum add left to right), so both give the same bits.
    """
    share = weights.astype(np.float64) / (ends - starts)
    diff = np.bincount(starts, share, n + 1) - np.bincount(ends, share, n + 1)
    return np.cumsum(diff[:n])


def _positive_runs(per_char: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``[lo, hi)`` of every maximal run of positive characters, and the run's total."""
    pos = np.concatenate(([False], per_char > 0, [False]))
    edges = np.flatnonzero(pos[1:] != pos[:-1])
    lo, hi = edges[0::2], edges[1::2]
    csum = np.concatenate(([0.0], np.cumsum(per_char)))
    return lo, hi, csum[hi] - csum[lo]


def _best_window(per_char: np.ndarray, lo: int, hi: int, max_len: int) -> tuple[int, int]:
    """The heaviest window of at most ``max_len`` characters inside a positive run."""
    if hi - lo <= max_len:
        return lo, hi
    csum = np.concatenate(([0.0], np.cumsum(per_char[lo:hi])))
    # every character of the run is positive, so the heaviest window is a longest one
    sums = csum[max_len:] - csum[:-max_len]
    start = lo + int(np.argmax(sums))
    return start, start + max_len


def _whole_words(words: np.ndarray, s: int, e: int) -> tuple[int, int]:
    """``[s, e)`` widened so that it neither starts nor ends inside an ASCII word."""
    while s > 0 and words[s - 1] and words[s]:
        s -= 1
    while e < len(words) and words[e - 1] and words[e]:
        e += 1
    return s, e
