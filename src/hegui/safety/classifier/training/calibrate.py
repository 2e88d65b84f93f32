"""Calibration helpers of training: held-out folds, F-beta cuts with Platt slopes, per-script
calibration, class balancing within each script, and folding features to fewer buckets."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:
    from hegui.safety.classifier.training.train import TrainConfig

__all__ = ["language_balanced"]


def _shrink(x: sparse.csr_matrix, shift: int, bits: int) -> sparse.csr_matrix:
    """Fold features into ``2**bits`` buckets (top bits), as :meth:`TextClassifier.categories` does."""
    coo = x.tocoo()
    small = sparse.csr_matrix(
        (coo.data, (coo.row, coo.col >> shift)), shape=(x.shape[0], 1 << bits)
    )
    small.sum_duplicates()
    return small


def _calibrate(z: np.ndarray, y: np.ndarray, beta: float = 1.0) -> tuple[float, float]:
    """(threshold, slope): the F-beta-best logit cut and a Platt slope fitted around it."""
    from sklearn.linear_model import LogisticRegression

    order = np.argsort(-z)
    tp = np.cumsum(y[order])
    b2 = beta * beta
    fbeta = (1 + b2) * tp / (np.arange(1, len(z) + 1) + b2 * y.sum())
    best = int(np.argmax(fbeta))
    threshold = float((z[order[best]] + z[order[min(best + 1, len(z) - 1)]]) / 2)
    platt = LogisticRegression(C=1e4).fit((z - threshold)[:, None], y)
    return threshold, max(float(platt.coef_[0, 0]), 0.05)


def _folds(texts: Sequence[str], k: int, seed: int) -> np.ndarray:
    return np.array([
        int.from_bytes(hashlib.sha1(f"{seed}:{t}".encode()).digest()[:4], "big") % k for t in texts
    ])  # fmt: skip


def _calibrations(z: np.ndarray, y: np.ndarray, latin: np.ndarray, cfg: TrainConfig,
                  beta: float) -> dict[str, float]:  # fmt: skip
    """Threshold and slope of held-out logits ``z``; with ``cfg.latin_calibration`` (and
    enough rows of each class) a second pair for texts without CJK, the first pair then fitted
    on the CJK texts alone — the only texts that use it."""
    split = cfg.latin_calibration and all(
        min(np.bincount(y[part], minlength=2)) >= cfg.min_calibration_rows
        for part in (latin, ~latin)
    )
    if not split:
        threshold, slope = _calibrate(z, y, beta)
        return {"threshold": threshold, "slope": slope}
    threshold, slope = _calibrate(z[~latin], y[~latin], beta)
    latin_threshold, latin_slope = _calibrate(z[latin], y[latin], beta)
    return {"threshold": threshold, "slope": slope,
            "latin_threshold": latin_threshold, "latin_slope": latin_slope}  # fmt: skip


def language_balanced(y: np.ndarray, latin: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``weight`` rescaled so that, within Latin-only and within CJK texts, both classes weigh half.

    Global balancing lets the many Chinese benign comments pay for the English harmful prompts,
    which teaches "English = unsafe"; balancing inside each language removes that prior while
    keeping each language's share of the total weight.
    """
    out = weight.astype(np.float64).copy()
    for group in (latin, ~latin):
        total = weight[group].sum()
        for cls in (0, 1):
            sel = group & (y == cls)
            if sel.any():
                out[sel] *= total / 2 / weight[sel].sum()
    balanced: np.ndarray = out * (len(y) / out.sum())
    return balanced
