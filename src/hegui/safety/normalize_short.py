"""Short-text normalisation: the same result as the numpy path, without its fixed cost.

Why: the numpy path of :mod:`hegui.safety.normalize` pays 30-100 µs per call for its dozen
small array operations around the rare steps, which dominates a 30-char gateway prompt. Here
the 1:1 table runs as ``str.translate`` with a list table for ASCII and very short texts (C,
no set-up) and as one numpy gather otherwise (faster per CJK character); then two regular
expressions over the result rule out every rare step. When a rare step could apply (a deleted or astral
character, a separator between two CJK characters, a multi-character substitution, a run of
three identical CJK characters, a leet digit), :func:`normalize_short` returns ``None`` and
:func:`~hegui.safety.normalize.normalize` uses the numpy path.
``tests/safety/test_normalize.py`` checks with hypothesis that both paths agree.
"""

from __future__ import annotations

import re
from functools import cache
from typing import NamedTuple

import numpy as np

from hegui.safety.normalize_tables import (
    CJK,
    DELETE,
    LEET,
    LETTER,
    SEP,
    VARIANT,
    tables,
)

__all__ = ["normalize_short"]

_TRANSLATE = 64
"""Up to this length ``str.translate`` beats a numpy gather also on CJK text (~50 ns a char
against ~3 µs a call), and the run regex beats its numpy pre-filter."""


class _Short(NamedTuple):
    lut: np.ndarray  # the numpy table (uint16, DELETE marks deletions)
    translate: list[str | None]  # the same as a str.translate table (deletions: None)
    rare: re.Pattern[str]  # a substitution, a bridged separator run or a leet digit starts here
    leet: re.Pattern[str]  # the leet part of ``rare`` alone (all an ASCII text can have)
    triple: re.Pattern[str]  # three identical CJK characters


def _char_class(mask: np.ndarray) -> str:
    """A regex character class for the code points where ``mask`` is true."""
    points = np.flatnonzero(mask)
    if not points.size:
        return "[^\\s\\S]"  # matches nothing
    breaks = np.flatnonzero(np.diff(points) != 1)
    lo = points[np.concatenate(([0], breaks + 1))]
    hi = points[np.concatenate((breaks, [points.size - 1]))]
    parts = [
        f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}"
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
    ]
    return "[" + "".join(parts) + "]"


@cache
def _short() -> _Short:
    t = tables()

    def cls(bits: int) -> str:
        return _char_class((t.classes & bits) != 0)

    cjk, sep, variant, leet, letter = cls(CJK), cls(SEP), cls(VARIANT), cls(LEET), cls(LETTER)
    # One leading character class, so the regex engine skips ordinary text at memchr-like speed;
    # the lookbehinds then tell which step the character would start.
    rare = (
        f"{cls(VARIANT | SEP | LEET)}(?:(?<={variant})|(?<={cjk}{sep}){sep}*{cjk}"
        f"|(?<={letter}{leet})(?={letter}))"
    )
    leet_only = f"{leet}(?<={letter}{leet})(?={letter})"
    return _Short(
        lut=t.lut,
        translate=[None if v == DELETE else chr(v) for v in t.lut.tolist()],
        rare=re.compile(rare),
        leet=re.compile(leet_only),
        triple=re.compile(f"({cjk})\\1\\1"),
    )


def normalize_short(text: str) -> tuple[str, np.ndarray] | None:
    """Normalised text and points of ``text`` when every step is the identity or 1:1 (so the
    offset map is the identity), else ``None``: then only the numpy path gives the answer."""
    s = _short()
    n = len(text)
    if n <= _TRANSLATE or text.isascii():
        # The list table leaves astral characters as they are (IndexError): caught below.
        out = text.translate(s.translate)
        if len(out) != n:
            return None  # a deletion
        raw = out.encode("utf-16-le", "surrogatepass")
        if len(raw) != 2 * n:
            return None  # astral characters: the numpy path maps them
        points = np.frombuffer(raw, np.uint16)
    else:
        raw = text.encode("utf-16-le", "surrogatepass")
        if len(raw) != 2 * n:
            return None
        points = s.lut.take(np.frombuffer(raw, np.uint16))
        out = points.tobytes().decode("utf-16-le")
        if "\uffff" in out:
            return None
    if out.isascii():  # no CJK, so no separator, substitution or run step can apply
        return None if s.leet.search(out) else (out, points)
    if s.rare.search(out):
        return None
    if (n <= _TRANSLATE or np.count_nonzero(points[1:] == points[:-1]) > 1) and s.triple.search(
        out
    ):
        return None
    return out, points
