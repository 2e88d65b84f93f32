"""The classifier's view of numbers: every run of digits becomes one class symbol.

A phone number, an order number or a table of figures says "there is a number here", not
which number. Hashed raw, each digit string is a handful of rare n-grams that the model learns
from whatever texts happened to carry them — in the round-2 data mostly the contact numbers of
black-market posts — so 电话13800138000 or 订单号 20231201 scored as harmful. In this view a run
of digits, with the separators people put inside numbers (``138-0013-8000``, ``35.5``,
``2023/12/01``, ``1 2 3``), is the single symbol ``0``: the model still sees that a number
follows 加薇 or 订单号, but never the digits themselves.

The view is part of a model's feature spec (``FeatureSpec.digits``, stored in the model file;
models without it read raw digits, as they were trained). Training and inference both go
through :func:`collapse_digits`, and :func:`collapse_digits_map` gives every view character
its span in the original text, so evidence spans still point at the original characters.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["DIGIT_SYMBOL", "collapse_digits", "collapse_digits_map", "digit_runs"]

DIGIT_SYMBOL = "0"
# digits, and separators of at most three characters between digits (whitespace, . , : / - _)
_RUN = re.compile(r"[0-9]+(?:[\s.,:/\-_]{1,3}[0-9]+)*")


def collapse_digits(text: str) -> str:
    """``text`` with every digit run (separators inside it included) replaced by ``0``."""
    return _RUN.sub(DIGIT_SYMBOL, text)


def digit_runs(text: str) -> list[tuple[int, int]]:
    """The ``[start, end)`` of every digit run in ``text``, in order (what the view collapses)."""
    return [m.span() for m in _RUN.finditer(text)]


def collapse_digits_map(text: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The view, and for each of its characters the ``[start, end)`` it covers in ``text``.

    A character outside a run covers itself; the symbol of a run covers the whole run.
    """
    starts: list[int] = []
    ends: list[int] = []
    parts: list[str] = []
    pos = 0
    for m in _RUN.finditer(text):
        parts.append(text[pos : m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        parts.append(DIGIT_SYMBOL)
        starts.append(m.start())
        ends.append(m.end())
        pos = m.end()
    parts.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    return "".join(parts), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
