"""Pure-Python word and pinyin hashes for short texts, bit-identical to :mod:`.features`.

On a 30-character prompt the numpy versions spend most of their time in numpy's fixed
per-call overhead (a dozen small array ops each); a regex plus a few Python integer
operations per word, and one ``str.join`` over a cached pinyin lookup, do the same work in
a fraction of it. Python integers are reduced modulo 2**64 to match numpy's uint64 wrap.
"""

from __future__ import annotations

import re
from itertools import pairwise
from operator import mul

import numpy as np

__all__ = ["pinyin_hashes_short", "word_hashes_short"]

_M64 = (1 << 64) - 1
_K = 0x9E3779B97F4A7C15
_WORD_SALT = 0x94D049BB133111EB
_BIGRAM_SALT = 0x2545F4914F6CDD1D
_SKIP_SALT = 0x7FB5D329728EA185
_PY_SALT = 0xD6E8FEB86659FD93
_PY_FIRST, _PY_LAST = 0x4E00, 0xA000
# ASCII word characters of :data:`features._ASCII_WORD`; punctuation mapping never touches them
_WORD_RE = re.compile("[a-z0-9']{2,}")
_PY_CJK_RE = re.compile("[\u4e00-\u9fff]")
_EMPTY = np.empty(0, dtype=np.uint64)
_PLUS1 = bytes((i + 1) % 256 for i in range(256))  # word bytes are ASCII: + 1 never wraps
PY_WORDS_MAX = 18  # more ASCII words than this: the numpy path is cheaper (measured)


def word_hashes_short(text: str, word_pos: list[int], bigrams: bool = False,
                      skips: int = 0) -> np.ndarray | None:  # fmt: skip
    """Same output as ``features._word_hashes`` on ``text``'s code points, in Python ints.

    None for more than a few words: there the per-word Python cost overtakes numpy's overhead.
    """
    found = _WORD_RE.findall(text)
    if not found:
        return _EMPTY
    if len(found) > PY_WORDS_MAX:
        return None
    words = []
    for w in found:
        wp = word_pos if len(w) <= len(word_pos) else word_pos + word_pos[-1:] * (len(w) - len(word_pos))
        words.append(sum(map(mul, w.encode("ascii").translate(_PLUS1), wp)) & _M64)
    out = [w ^ _WORD_SALT for w in words]
    if bigrams and len(words) > 1:
        out += [((a * _K + b) & _M64) ^ _BIGRAM_SALT for a, b in pairwise(words)]
    for gap in range(1, min(skips, len(words) - 1) + 1):
        out += [((a * _K + b) & _M64) ^ _SKIP_SALT for a, b in zip(words, words[gap:], strict=False)]
    return np.array(out, dtype=np.uint64)


_LUTS: dict[int, tuple[np.ndarray, dict[str, str]]] = {}


def _pinyin_lut(table: np.ndarray) -> dict[str, str]:
    """Character → its pinyin letters (a-z → itself), built once per table object."""
    hit = _LUTS.get(id(table))
    if hit is not None and hit[0] is table:
        return hit[1]
    lut = {chr(c): chr(c) for c in range(97, 123)}
    for i, row in enumerate(table.tolist()):
        lut[chr(_PY_FIRST + i)] = "".join(chr(b) for b in row if b)
    _LUTS[id(table)] = (table, lut)  # keeps the table alive, so its id is not reused
    return lut


def pinyin_hashes_short(text: str, table: np.ndarray, order: int, salt: np.uint64) -> np.ndarray:
    """Same output as ``features._pinyin_hashes`` (one order) on ``text``'s code points."""
    if _PY_CJK_RE.search(text) is None:
        return _EMPTY
    lut = _pinyin_lut(table)
    letters = "".join([lut.get(ch, "") for ch in text])
    if len(letters) < order:
        return _EMPTY
    base = np.frombuffer(letters.encode("latin-1"), dtype=np.uint8).astype(np.uint64) + np.uint64(1)
    k = np.uint64(_K)
    acc = base[: len(base) - order + 1].copy()
    for n in range(1, order):
        acc *= k
        acc += base[n : len(base) - order + 1 + n]
    return acc ^ salt
