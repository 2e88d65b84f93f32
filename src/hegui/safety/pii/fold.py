"""A digit-folded copy of a text for the number recognizers, with an offset map back.

Why: ``1 3 8 0 0 1 3 8 0 0 0``, ``138\\u200b0013\\u200b8000``, ``138.0013.8000`` and
``一三八〇〇一三八〇〇〇`` are all the same mobile number to a reader, and were all released whole
because the recognizers match runs of ASCII digits in their usual groupings. Here every *digit
run* is folded: at least :data:`MIN_DIGITS` digit-like characters (ASCII or full-width digits,
Chinese numerals 〇一…九 and 零幺, capital numerals 壹…玖) where two consecutive digits are
separated by at most one separator (space, ``-``, ``.``, ``/``, ``·``, ``_``, dashes) and any
number of invisible characters (the normaliser's deleted characters: zero-width spaces and
joiners, bidi controls, combining marks). Inside a run separators and invisible characters are
removed and numerals become ASCII digits; the rest of the text is copied unchanged.

The map back to the original is one :class:`~hegui.safety.offsets.Pieces` step, the machinery
the normaliser uses, so every span found in the folded copy points at the original characters
(separators included), and masking hits what the user actually wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np

from hegui.safety.offsets import Pieces, compose_ends, compose_starts

__all__ = [
    "MIN_DIGITS",
    "NUMERALS",
    "DigitFold",
    "fold_digit_runs",
    "fold_numerals",
    "is_run_char",
]

MIN_DIGITS = 11  # the shortest number folded: a mobile number; IDs and cards are longer
NUMERALS = {
    "〇": "0", "零": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4", "五": "5",
    "六": "6", "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "貳": "2", "叁": "3",
    "參": "3", "肆": "4", "伍": "5", "陆": "6", "陸": "6", "柒": "7", "捌": "8", "玖": "9",
}  # fmt: skip
_NUMERAL_TABLE = str.maketrans(NUMERALS)
_SEPARATORS = " \u00a0\u3000-./·•_\u2010\u2011\u2012\u2013\u2014\u2212"


def fold_numerals(text: str) -> str:
    """Chinese numerals to ASCII digits, one character for one (offsets unchanged)."""
    return text.translate(_NUMERAL_TABLE)


def _char_class(chars: str) -> str:
    return "".join(re.escape(c) for c in chars)


@cache
def _run_pattern() -> re.Pattern[str]:
    """The digit-run regex; its invisible class is the normaliser's set of deleted characters."""
    from hegui.safety.normalize_tables import DELETE, tables

    gone = np.flatnonzero(tables().lut == DELETE).tolist()
    ranges: list[str] = []
    start = prev = gone[0]
    for cp in [*gone[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        start = prev = cp
    invisible = "[" + "".join(ranges) + "]"
    digit = "[0-9" + _char_class("".join(NUMERALS)) + "]"
    sep = "[" + _char_class(_SEPARATORS) + "]"
    gap = f"{invisible}*+{sep}?+{invisible}*+"
    # Possessive inner quantifiers: the classes are disjoint, so the scan stays linear. A final
    # X may be a resident ID's check character (kept only after exactly 17 digits).
    return re.compile(f"{digit}(?:{gap}{digit}){{{MIN_DIGITS - 1},}}(?:{gap}[Xx])?")


_PLAIN_DIGITS = re.compile("[0-9]+")


@cache
def _run_chars() -> frozenset[str]:
    """Every BMP character that can be part of a digit run (digit, numeral, separator,
    invisible), full-width forms included."""
    from hegui.safety.normalize_tables import DELETE, tables

    t = tables()
    out = set("0123456789") | set(NUMERALS) | set(_SEPARATORS) | {"X", "x"}
    out |= {chr(c) for c in np.flatnonzero(t.lut == DELETE).tolist() if c < 0x10000}
    out |= {chr(c) for c in range(0xFF10, 0xFF1A)} | {"\uff0d", "\uff0e", "\uff0f", "\uff3f"}
    return frozenset(out)


def is_run_char(ch: str) -> bool:
    """Whether ``ch`` may stand inside a digit run (a stream must not cut a number there)."""
    return ch in _run_chars()


@dataclass(frozen=True, slots=True)
class DigitFold:
    """The folded text, its map back, and the original spans of the runs that changed."""

    text: str
    step: Pieces
    runs: tuple[tuple[int, int], ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original span of the non-empty folded span ``[start, end)``."""
        a = compose_starts((self.step,), np.array([start]))
        b = compose_ends((self.step,), np.array([end - 1]))
        return int(a[0]), int(b[0])

    def touches_run(self, start: int, end: int) -> bool:
        """Whether the original span ``[start, end)`` overlaps a folded run."""
        return any(a < end and start < b for a, b in self.runs)


def _trim_check_char(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop a final X unless it follows exactly 17 digits (an ID's check character)."""
    if text[end - 1] not in "Xx":
        return start, end
    digits = sum(1 for ch in text[start:end] if "0" <= ch <= "9" or ch in NUMERALS)
    if digits == 17:
        return start, end
    last = end - 1
    while not ("0" <= text[last - 1] <= "9" or text[last - 1] in NUMERALS):
        last -= 1
    return start, last


def fold_digit_runs(text: str) -> DigitFold | None:
    """Fold every digit run of ``text`` (already width-folded); None when no run changes."""
    runs = [_trim_check_char(text, *m.span()) for m in _run_pattern().finditer(text)]
    runs = [(a, b) for a, b in runs if _PLAIN_DIGITS.fullmatch(text, a, b) is None]
    if not runs:
        return None
    parts: list[str] = []
    keep_lo: list[int] = []
    keep_hi: list[int] = []
    pos = 0
    for a, b in runs:
        parts.append(text[pos:a])
        keep_lo.append(pos)
        keep_hi.append(a)
        for i in range(a, b):
            ch = text[i]
            if "0" <= ch <= "9" or ch in NUMERALS or ch in "Xx":
                parts.append(NUMERALS.get(ch, ch))
                keep_lo.append(i)
                keep_hi.append(i + 1)
        pos = b
    parts.append(text[pos:])
    keep_lo.append(pos)
    keep_hi.append(len(text))
    lo, hi = np.array(keep_lo, dtype=np.int64), np.array(keep_hi, dtype=np.int64)
    nonempty = hi > lo
    step = Pieces.copies(lo[nonempty], hi[nonempty])
    return DigitFold("".join(parts), step, tuple(runs))
