"""Piecewise offset maps: which original characters each normalised character came from.

Why piecewise: a normalisation step changes the text in a few places (a deleted separator, a
collapsed run, 💣 → 炸弹) and copies everything else. Recording only the pieces costs memory and
time proportional to the changes, while a full per-character array would cost two int32 arrays
(8 bytes per character) per step. Lookups go through the steps in reverse with one
``searchsorted`` per step, vectorised over all queried positions; full arrays are built only
when someone asks for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Pieces", "compose_ends", "compose_starts"]


@dataclass(frozen=True, slots=True)
class Pieces:
    """One step's map from its output positions to spans of its input.

    Piece ``k`` covers output positions ``out0[k]`` up to the next piece. In a *linear* piece
    (``fixed_end[k] < 0``) output ``j`` comes from input ``[in0[k] + j - out0[k], … + 1)``; in a
    *fixed* piece every output char comes from input ``[in0[k], fixed_end[k])`` (an expansion such
    as 💣 → 炸弹, or one char standing for a collapsed run or a merged pair).
    """

    out0: np.ndarray
    in0: np.ndarray
    fixed_end: np.ndarray

    @classmethod
    def build(cls, pieces: Sequence[tuple[int, int, int, int]]) -> Pieces:
        """From ``(out_start, length, in_start, fixed_end or -1)`` tuples in output order."""
        kept = [p for p in pieces if p[1] > 0]
        return cls(
            np.array([p[0] for p in kept], dtype=np.int64),
            np.array([p[2] for p in kept], dtype=np.int64),
            np.array([p[3] for p in kept], dtype=np.int64),
        )

    @classmethod
    def copies(cls, lo: np.ndarray, hi: np.ndarray) -> Pieces:
        """Output = the input runs ``[lo[k], hi[k])`` concatenated (deletions elsewhere)."""
        lengths = (hi - lo).astype(np.int64)
        out0 = np.cumsum(lengths) - lengths
        return cls(out0, lo.astype(np.int64), np.full(lo.size, -1, dtype=np.int64))

    def starts(self, j: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.out0, j, side="right") - 1
        fixed = self.fixed_end[k] >= 0
        return np.where(fixed, self.in0[k], self.in0[k] + (j - self.out0[k]))

    def ends(self, j: np.ndarray) -> np.ndarray:
        k = np.searchsorted(self.out0, j, side="right") - 1
        fixed_end = self.fixed_end[k]
        return np.where(fixed_end >= 0, fixed_end, self.in0[k] + (j - self.out0[k]) + 1)


def compose_starts(steps: Sequence[Pieces], positions: np.ndarray) -> np.ndarray:
    """Original start offset of each normalised position (through every step, last first)."""
    out = positions.astype(np.int64)
    for step in reversed(steps):
        out = step.starts(out)
    return out


def compose_ends(steps: Sequence[Pieces], positions: np.ndarray) -> np.ndarray:
    """Original end offset (exclusive) of each normalised position."""
    out = positions.astype(np.int64)
    for step in reversed(steps):
        out = step.ends(out) - 1
    return out + 1
