"""A small hidden layer for one head: embedding bag over folded n-gram buckets → ReLU → logit.

A linear model can only add up n-gram evidence; "kill" + "process" and "kill" + "witness"
then differ only by the pair features it happens to have seen. One hidden layer of a few units
(fastText-style: the text's buckets are summed into a short dense vector) lets evidence
interact, and on hegui's splits it ranks harmful requests above benign risk-word prompts
clearly better than the linear head at the same feature cost. Trained with scikit-learn's
``MLPClassifier`` (``training/hidden_fit.py``), run in numpy: the forward pass is one
gather-and-sum over the text's buckets plus a 16-unit dot product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scipy is for training only: importing it costs ≈ 0.1 s of cold start
    from scipy import sparse

__all__ = ["HiddenLayer", "gather_sum"]


_FLOAT32_EXACT_ROWS = 2**24 // 127  # int8 sums over at most this many rows stay exact in float32


def gather_sum(w: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Column sums of ``w[rows]`` (int8), always exact (as the C path's int64 sums are).

    Up to 2**24 / 127 rows, a BLAS vector-matrix product in float32: three times faster than
    ``sum(axis=0)`` on a tall, narrow int8 block, which numpy reduces column by column. Past
    that (texts of some 40,000 characters) float32 would round, so the sum runs in int64.
    """
    block = np.take(w, rows, axis=0)
    if len(rows) > _FLOAT32_EXACT_ROWS:
        wide: np.ndarray = block.sum(axis=0, dtype=np.int64).astype(np.float64)
        return wide
    block = block.astype(np.float32)
    summed: np.ndarray = np.ones(len(block), dtype=np.float32) @ block
    return summed


@dataclass(frozen=True, slots=True)
class HiddenLayer:
    """Weights of one hidden-layer head; ``w1`` rows are folded feature buckets."""

    w1: np.ndarray  # (2**bits, units) int8
    scale1: np.ndarray  # (units,) float32: w1 ≈ q * scale1
    b1: np.ndarray  # (units,)
    w2: np.ndarray  # (units,)
    b2: float
    bits: int

    def logit(self, idx: np.ndarray, value: float, full_bits: int) -> float:
        """Pre-sigmoid output for a text's sorted unique buckets (``featurize`` output)."""
        return self.logit_from_sums(gather_sum(self.w1, idx >> (full_bits - self.bits)), value)

    def logit_from_sums(self, sums: np.ndarray, value: float) -> float:
        """:meth:`logit` given the column sums of ``w1`` over the text's rows (fused gathers)."""
        h = np.maximum(sums * (self.scale1 * value) + self.b1, 0.0)
        return float(h @ self.w2 + self.b2)

    def logits(self, x_small: sparse.csr_matrix) -> np.ndarray:
        """Pre-sigmoid outputs for a folded feature matrix (training and calibration)."""
        w1 = self.w1.astype(np.float64) * self.scale1
        out: np.ndarray = np.maximum(x_small @ w1 + self.b1, 0.0) @ self.w2 + self.b2
        return out

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Arrays to store in the model file under ``prefix``."""
        return {f"{prefix}_w1": self.w1, f"{prefix}_scale1": self.scale1.astype(np.float32),
                f"{prefix}_b1": self.b1.astype(np.float32), f"{prefix}_w2": self.w2.astype(np.float32),
                f"{prefix}_b2": np.array([self.b2], dtype=np.float32)}  # fmt: skip

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, bits: int) -> HiddenLayer:
        """Inverse of :meth:`arrays` (float64 biases and output weights for scoring)."""
        return cls(arrays[f"{prefix}_w1"], arrays[f"{prefix}_scale1"].astype(np.float64),
                   arrays[f"{prefix}_b1"].astype(np.float64), arrays[f"{prefix}_w2"].astype(np.float64),
                   float(arrays[f"{prefix}_b2"][0]), bits)  # fmt: skip
