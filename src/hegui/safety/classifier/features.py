"""Hashed character n-gram features, computed in numpy and shared by training and inference.

Training builds a scipy CSR matrix from :func:`featurize`; inference gathers the weights at the
same indices. Keeping one function for both is what makes the shipped model reproduce its dev
metrics exactly, and it avoids scikit-learn's per-call overhead (≈ 100 µs) on single texts.

A text becomes the set of its character n-grams (orders 1..``max_order``; punctuation read as
a space, single Latin letters dropped — both mark genre, not risk) plus its ASCII words (and, optionally, adjacent word pairs), each
hashed to one of ``2**bits`` buckets; every present bucket gets the value
``1/sqrt(k)`` (binary, l2-normalised). Hashes are pure arithmetic on code points, so they do not
depend on ``PYTHONHASHSEED`` and are identical on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from hegui.safety.classifier.digits import collapse_digits, collapse_digits_map, digit_runs
from hegui.safety.classifier.features_short import pinyin_hashes_short, word_hashes_short

__all__ = [
    "FeatureSpec",
    "NativeFeatures",
    "char_classes",
    "featurize",
    "ngram_positions",
    "pinyin_table",
]

try:  # the C accelerator (setup.py builds it where a compiler exists; scores are the same)
    from hegui.safety.classifier import _hashsum
except ImportError:  # pragma: no cover - depends on the install
    _hashsum = None

_K = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier for the rolling hash
_MIX = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64 finaliser constant
_S31 = np.uint64(31)
_WORD_SALT = np.uint64(0x94D049BB133111EB)
_BIGRAM_SALT = np.uint64(0x2545F4914F6CDD1D)
_SKIP_SALT = np.uint64(0x7FB5D329728EA185)
_MAX_WORD = 32


def _splitmix64(seed: int, n: int) -> list[int]:
    out, x = [], seed
    for _ in range(n):
        x = (x + 0x9E3779B97F4A7C15) % 2**64
        z = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9 % 2**64
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB % 2**64
        out.append((z ^ (z >> 31)) | 1)
    return out


# one odd multiplier per position inside a word (fixed constants: part of the model format)
_WORD_POS = np.array(_splitmix64(20261128, _MAX_WORD), dtype=np.uint64)
_WORD_POS_INT = [int(x) for x in _WORD_POS]
# texts up to this many characters take the pure-Python word/pinyin paths (bit-identical,
# cheaper below it: numpy's per-call overhead dominates); longer ones stay vectorised
SHORT_MAX = 400


# Latin-1, general punctuation, CJK symbols, small and full-width forms: where punctuation lives
_PUNCT_BLOCKS = ((0, 0x100), (0x2000, 0x2070), (0x3000, 0x3040), (0xFE10, 0xFE70), (0xFF00, 0xFF66))


def _punct_table() -> np.ndarray:
    """Code point → itself, except punctuation → space: "?" and "。" mark genre, not risk."""
    import unicodedata

    table = np.arange(0x10000, dtype=np.uint32)
    for lo, hi in _PUNCT_BLOCKS:
        for cp in range(lo, hi):
            if unicodedata.category(chr(cp)).startswith("P") and chr(cp) != "'":
                table[cp] = 32
    return table


_PUNCT_TO_SPACE = _punct_table()
_ASCII_WORD = np.array([chr(i).isascii() and (chr(i).isalnum() or chr(i) == "'") and not chr(i).isupper()
                        for i in range(128)])  # fmt: skip


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """How texts become feature indices; stored in the model file next to the weights."""

    bits: int = 19
    max_order: int = 4
    words: bool = True
    word_bigrams: bool = False  # also hash adjacent ASCII word pairs ("kill process" ≠ "kill him")
    word_skips: int = 0  # also pairs 1..n words apart, one hash for any gap ("kill … process")
    pinyin: bool = False  # also hash a toneless-pinyin reading of the text (needs the table)
    unique: bool = True  # binary features; False: counts (no sort, ≈ 40 % faster scoring)
    digits: bool = False  # read every digit run as one symbol (:mod:`.digits`); False: raw digits

    @property
    def dim(self) -> int:
        return 1 << self.bits


def _order_hashes(cps: np.ndarray, max_order: int) -> list[np.ndarray]:
    """Rolling 64-bit hashes of every n-gram, one array per order (index = start offset)."""
    base = cps.astype(np.uint64) + np.uint64(1)
    out = [base]
    acc = base
    for n in range(2, max_order + 1):
        if len(acc) < 2:
            break
        acc = acc[:-1] * _K + base[n - 1 :]
        out.append(acc)
    return out


def _word_hashes(cps: np.ndarray, bigrams: bool = False, skips: int = 0) -> np.ndarray:
    """One hash per ASCII word ([a-z0-9'], ≥ 2 chars), vectorised: no Python loop per word.

    With ``bigrams`` also one hash per pair of adjacent such words: English is then modelled
    by word context too ("kill the process" vs "kill the witness"), not only by char n-grams.
    With ``skips`` = n also one hash per ordered pair of words 1..n apart, the same whatever
    the gap, so a verb meets its object across articles and adjectives ("kill all the stuck
    processes" shares "kill … processes" with "kill processes").
    """
    is_w = _ASCII_WORD[np.minimum(cps, 127)]
    if not is_w.any():
        return np.empty(0, dtype=np.uint64)
    pos = np.flatnonzero(is_w)
    first = np.ones(len(pos), dtype=bool)
    first[1:] = pos[1:] != pos[:-1] + 1
    starts = np.flatnonzero(first)
    lengths = np.diff(np.append(starts, len(pos)))
    offset = np.arange(len(pos)) - np.repeat(starts, lengths)
    contrib = (cps[pos].astype(np.uint64) + np.uint64(1)) * _WORD_POS[
        np.minimum(offset, _MAX_WORD - 1)
    ]
    words = np.add.reduceat(contrib, starts)[lengths >= 2]
    out = [words ^ _WORD_SALT]
    if bigrams and len(words) > 1:
        out.append((words[:-1] * _K + words[1:]) ^ _BIGRAM_SALT)
    for gap in range(1, min(skips, len(words) - 1) + 1):
        out.append((words[:-gap] * _K + words[gap:]) ^ _SKIP_SALT)
    return np.concatenate(out) if len(out) > 1 else out[0]


def _buckets(h: np.ndarray, bits: int) -> np.ndarray:
    h = h * _MIX
    h ^= h >> _S31
    return (h >> np.uint64(64 - bits)).astype(np.int32)


_PY_FIRST, _PY_LAST = 0x4E00, 0xA000
_PY_WIDTH = 6
_PY_SALT = np.uint64(0xD6E8FEB86659FD93)
_PY_ORDERS = (5,)


def pinyin_table() -> np.ndarray:
    """Toneless pinyin letters of every CJK character (rows of 6 bytes, 0-padded).

    Built from pypinyin at training time and stored in the model file, so a model reads text
    the same way whatever pypinyin version is installed later.
    """
    import unicodedata

    from pypinyin.pinyin_dict import pinyin_dict

    table = np.zeros((_PY_LAST - _PY_FIRST, _PY_WIDTH), dtype=np.uint8)
    for cp in range(_PY_FIRST, _PY_LAST):
        reading = pinyin_dict.get(cp)
        if reading:
            plain = unicodedata.normalize("NFD", reading.split(",")[0]).replace("\u0308", "v")
            letters = "".join(ch for ch in plain if "a" <= ch <= "z")[:_PY_WIDTH].encode()
            table[cp - _PY_FIRST, : len(letters)] = np.frombuffer(letters, dtype=np.uint8)
    return table


def _pinyin_hashes(cps: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Letter 5-grams of the text read in pinyin (傻逼, 煞笔 and "shabi" all → "shabi").

    Only texts with CJK characters get them: homophones and pinyin are Chinese evasions.
    """
    cjk = (cps >= _PY_FIRST) & (cps < _PY_LAST)
    if not cjk.any():
        return np.empty(0, dtype=np.uint64)
    rows = np.zeros((len(cps), _PY_WIDTH), dtype=np.uint8)
    rows[cjk] = table[cps[cjk] - _PY_FIRST]
    latin = ~cjk & (cps >= 97) & (cps <= 122)
    rows[latin, 0] = cps[latin]
    letters = rows.ravel()
    letters = letters[letters != 0]
    hashes = _order_hashes(letters, max(_PY_ORDERS))
    return np.concatenate([hashes[n - 1] for n in _PY_ORDERS if n <= len(hashes)] or
                          [np.empty(0, dtype=np.uint64)]) ^ _PY_SALT  # fmt: skip


def _has_cjk(cps: np.ndarray) -> bool:
    return bool(((cps >= 0x3400) & (cps < 0xA000)).any())


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def featurize(text: str, spec: FeatureSpec, pinyin: np.ndarray | None = None, *,
              short_max: int = SHORT_MAX) -> tuple[np.ndarray, float]:  # fmt: skip
    """Bucket indices of ``text`` and the value each carries (1/sqrt(count)).

    Sorted and unique when ``spec.unique`` (binary features), else one index per n-gram in
    text order, repeats included (count features, every hit worth the same value).

    ``pinyin`` is the model's :func:`pinyin_table`, required when ``spec.pinyin`` is set.
    ``short_max``: longest text scored with :mod:`.features_short` (0 = numpy only, tests).
    """
    if spec.digits:
        text = collapse_digits(text)
    if not text:
        return np.empty(0, dtype=np.int32), 0.0
    short = len(text) <= short_max
    cps = _PUNCT_TO_SPACE[np.minimum(_codepoints(text), 0xFFFF)]
    parts = _order_hashes(cps, spec.max_order)
    parts[0] = parts[0][cps >= 128]  # single Latin letters say nothing but "this is English"
    if spec.words:
        # skip pairs only in texts without CJK: there the ASCII words are pinyin evasions or
        # code, and pairing them only dilutes the Chinese n-grams
        skips = spec.word_skips if spec.word_skips and not _has_cjk(cps) else 0
        words = word_hashes_short(text, _WORD_POS_INT, spec.word_bigrams, skips) if short else None
        parts.append(_word_hashes(cps, spec.word_bigrams, skips) if words is None else words)
    if spec.pinyin:
        if pinyin is None:
            raise ValueError("this feature spec needs the model's pinyin table")
        if short:
            parts.append(pinyin_hashes_short(text, pinyin, max(_PY_ORDERS), _PY_SALT)
                         if len(_PY_ORDERS) == 1 else _pinyin_hashes(cps, pinyin))  # fmt: skip
        else:
            parts.append(_pinyin_hashes(cps, pinyin))
    b = _buckets(np.concatenate(parts), spec.bits)
    if len(b) == 0:
        return b, 0.0
    if not spec.unique:  # a bucket hit k times is gathered k times: the sort below is the cost
        return b, 1.0 / float(np.sqrt(len(b)))
    b.sort()
    keep = np.empty(len(b), dtype=bool)
    keep[0] = True
    np.not_equal(b[1:], b[:-1], out=keep[1:])
    idx = b[keep]
    return idx, 1.0 / float(np.sqrt(len(idx)))


class NativeFeatures:
    """:func:`featurize` and the weight-row sums over its buckets, in one C call.

    The same hashes as the numpy code above (so the same bucket multiset), and exact integer
    sums; about 10× faster on a prompt, where numpy's per-call overhead is most of the cost.
    ``None`` from :meth:`build` when the extension is not installed.
    """

    def __init__(self, spec: FeatureSpec, pinyin: np.ndarray | None) -> None:
        if spec.pinyin and pinyin is None:
            raise ValueError("this feature spec needs the model's pinyin table")
        if _hashsum is None:
            raise ImportError("hegui.safety.classifier._hashsum is not built")
        self._lib: Any = _hashsum
        self._digits: bool = spec.digits
        self._spec: tuple[int, ...] = (spec.bits, spec.max_order, int(spec.words), int(spec.word_bigrams),
                      spec.word_skips, int(spec.pinyin), int(spec.unique))  # fmt: skip
        self._tables: tuple[Any, ...] = (_PUNCT_TO_SPACE, _WORD_POS,
                        None if pinyin is None else np.ascontiguousarray(pinyin, dtype=np.uint8))  # fmt: skip

    @classmethod
    def build(cls, spec: FeatureSpec, pinyin: np.ndarray | None) -> NativeFeatures | None:
        return None if _hashsum is None else cls(spec, pinyin)

    def buckets(self, text: str) -> np.ndarray:
        """The buckets of ``text``: sorted and unique, or (count features) in no set order."""
        if self._digits:
            text = collapse_digits(text)
        return np.frombuffer(self._lib.buckets(text, self._spec, self._tables), dtype=np.int32)

    def sums(self, text: str, weights: np.ndarray, fold: int = 0) -> tuple[tuple[int, ...], int]:
        """Column sums of ``weights`` (int8, 2**bits rows) over the buckets, and their number.

        ``fold`` > 0: ``weights`` has 2**(bits - fold) rows and bucket ``b`` reads row
        ``b >> fold`` (the category head's smaller table).
        """
        if self._digits:
            text = collapse_digits(text)
        return self._lib.sums(text, self._spec, self._tables, weights, fold)  # type: ignore[no-any-return]

    def char_weights(self, text: str, weights: np.ndarray, col: int) -> tuple[np.ndarray, int]:
        """Column ``col`` of ``weights`` over every character n-gram of ``text`` (the ones
        :func:`ngram_positions` lists), spread over the characters each covers, and the number
        of n-grams: :func:`~hegui.safety.classifier.evidence.spread_weights` in one C call."""
        runs = digit_runs(text) if self._digits else None
        raw, count = self._lib.char_weights(
            text, self._spec, self._tables, weights, col, runs or None
        )
        return np.frombuffer(raw, dtype=np.float64), count

    def phrase_spans(
        self, text: str, per_char: np.ndarray, k: int, max_len: int
    ) -> list[tuple[int, int]]:
        """:func:`~hegui.safety.classifier.evidence.spans_of` in C, with ``text``'s character
        classes (:func:`char_classes`); ``per_char`` is left as it is."""
        return self._lib.phrase_spans(text, _PUNCT_TO_SPACE, per_char, k, max_len)  # type: ignore[no-any-return]


def char_classes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Per character of ``text``: is it a gap (whitespace, control character or punctuation,
    which the features read as a space), and is it part of an ASCII word (:data:`_ASCII_WORD`)."""
    cps = _codepoints(text)
    gaps = (_PUNCT_TO_SPACE[np.minimum(cps, 0xFFFF)] == 0x20) | (cps <= 0x20)
    return gaps, (cps < 128) & _ASCII_WORD[np.minimum(cps, 127)]


def ngram_positions(text: str, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every character n-gram as (bucket, start, end), used to explain a score with spans.

    Spans are in ``text`` even when the spec reads digit runs as one symbol: an n-gram over
    the symbol covers the whole run.
    """
    if spec.digits:
        view, src_start, src_end = collapse_digits_map(text)
        found, at, upto = ngram_positions(view, replace(spec, digits=False))
        return found, src_start[at], src_end[upto - 1]
    cps = _PUNCT_TO_SPACE[np.minimum(_codepoints(text), 0xFFFF)]
    buckets: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    for order, h in enumerate(_order_hashes(cps, spec.max_order), start=1):
        s = np.arange(len(h), dtype=np.int64)
        if order == 1:
            h, s = h[cps >= 128], s[cps >= 128]
        buckets.append(_buckets(h, spec.bits))
        starts.append(s)
        ends.append(s + order)
    if not buckets:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty, empty
    return np.concatenate(buckets), np.concatenate(starts), np.concatenate(ends)
