"""Training of a :class:`~hegui.safety.classifier.hidden.HiddenLayer` with scikit-learn's MLP."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from hegui.errors import InputError
from hegui.safety.classifier.hidden import HiddenLayer
from hegui.safety.classifier.model import is_latin
from hegui.safety.classifier.training.calibrate import (
    _calibrate,
    _calibrations,
    _folds,
    _shrink,
    language_balanced,
)

if TYPE_CHECKING:
    from hegui.safety.classifier.training.train import TrainConfig

__all__ = ["fit_hidden", "fit_hidden_head"]


def fit_hidden(x_small: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, bits: int, *,
               units: int = 16, alpha: float = 1e-4, epochs: int = 8, seed: int = 0) -> HiddenLayer:  # fmt: skip
    """Fit on folded features with per-row weights (classes balanced here); int8 first layer.

    A fixed, small number of Adam epochs is the regulariser that matters (with ``alpha``):
    the training rows are separable, and more epochs only memorise them.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    w = weight.astype(np.float64).copy()
    for cls in (0, 1):
        w[y == cls] *= len(y) / 2 / max(w[y == cls].sum(), 1e-12)
    mlp = MLPClassifier(hidden_layer_sizes=(units,), alpha=alpha, batch_size=min(256, len(y)), max_iter=epochs,
                        learning_rate_init=2e-3, random_state=seed)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(x_small, y, sample_weight=w)
    w1 = mlp.coefs_[0]
    scale = np.abs(w1).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w1 / scale), -127, 127).astype(np.int8)
    return HiddenLayer(q, scale, mlp.intercepts_[0], mlp.coefs_[1][:, 0],
                       float(mlp.intercepts_[1][0]), bits)  # fmt: skip


def fit_hidden_head(x: sparse.csr_matrix, y: np.ndarray, texts: Sequence[str], weight: np.ndarray,
                     cfg: TrainConfig, beta: float,
                     prompts: np.ndarray | None = None) -> tuple[list[HiddenLayer], dict[str, float]]:  # fmt: skip
    """Hidden-layer head(s): calibrated like the linear ones, on a fit without a hashed fifth.

    One layer for all texts, or (``cfg.hidden_latin_bits``) one fitted on texts with CJK and
    one on texts without, each calibrated on its own held-out rows.
    """
    held = _folds(texts, 5, cfg.seed) == 0
    latin = np.array([is_latin(t) for t in texts])
    if cfg.balance_by_language:
        weight = language_balanced(y, latin, weight)
    if cfg.hidden_latin_bits <= 0:
        xs = _shrink(x, cfg.spec.bits - cfg.hidden_bits, cfg.hidden_bits)
        layer = _fit_layer(xs, y, weight, ~held, cfg, cfg.hidden_bits)
        calib = _calibrations(layer.logits(xs[held]), y[held], latin[held], cfg, beta)
        return [_fit_layer(xs, y, weight, np.ones(len(y), dtype=bool), cfg, cfg.hidden_bits)], calib
    layers: list[HiddenLayer] = []
    calib = {}
    cross = cfg.hidden_cross_weight > 0
    cjk_weight = np.where(latin, cfg.hidden_cross_weight, 1.0) * weight
    boost = np.ones(len(y)) if prompts is None else np.where(prompts, cfg.latin_prompt_boost, 1.0)
    latin_beta = beta if cfg.beta_latin is None else cfg.beta_latin
    for part, fit_rows, w, bits, prefix, b in (
        (~latin, ~latin | (latin & cross), cjk_weight, cfg.hidden_bits, "", beta),
        (latin, latin, weight * boost, cfg.hidden_latin_bits, "latin_", latin_beta),
    ):
        if min(np.bincount(y[part & held], minlength=2)) == 0:
            raise InputError("per-script hidden layers need harmful and benign held-out rows "
                             f"of each script ({prefix or 'cjk_'}rows lack one class)")  # fmt: skip
        xs = _shrink(x, cfg.spec.bits - bits, bits)
        layer = _fit_layer(xs, y, w, fit_rows & ~held, cfg, bits)
        threshold, slope = _calibrate(layer.logits(xs[part & held]), y[part & held], b)
        calib |= {f"{prefix}threshold": threshold, f"{prefix}slope": slope}
        layers.append(_fit_layer(xs, y, w, fit_rows, cfg, bits, zero_unseen=True))
    return layers, calib


def _fit_layer(xs: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, rows: np.ndarray,
               cfg: TrainConfig, bits: int, zero_unseen: bool = False) -> HiddenLayer:  # fmt: skip
    """A hidden layer fitted on ``rows``; with ``zero_unseen`` the first-layer rows of buckets
    no such row has are zeroed (they keep their random start otherwise: noise at inference, and
    incompressible in the model file)."""
    layer = fit_hidden(xs[rows], y[rows], weight[rows], bits, units=cfg.hidden_units,
                       alpha=cfg.hidden_alpha, epochs=cfg.hidden_epochs, seed=cfg.seed)  # fmt: skip
    if not zero_unseen:
        return layer
    seen = np.zeros(xs.shape[1], dtype=bool)
    seen[xs[rows].indices] = True
    return replace(layer, w1=np.where(seen[:, None], layer.w1, np.int8(0)).astype(np.int8))
