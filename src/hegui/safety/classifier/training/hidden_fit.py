"""Training of a :class:`~hegui.safety.classifier.hidden.HiddenLayer` with scikit-learn's MLP."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from hegui.safety.classifier.hidden import HiddenLayer

__all__ = ["fit_hidden"]


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
