"""The shipped classifier: int8 weights over hashed n-grams, scored in numpy.

Two binary heads — ``offensive`` (insults, discrimination) and ``harmful`` (requests for, or
pieces of, harmful help) — and one category head that names the risk code of a positive. The
heads are linear; a model file may give one of them a small hidden layer (:mod:`.hidden`).
Each binary head maps its raw logit through ``sigmoid(slope * (z - threshold))``: Platt scaling
fitted on out-of-fold training scores, re-centred so that **0.5 is the head's decision point**,
which is the policy's default threshold for classifier findings.
"""

from __future__ import annotations

import io
import json
import lzma
import math
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from hegui.errors import ConfigError
from hegui.safety.classifier.evidence import MAX_LEN, phrase_spans
from hegui.safety.classifier.features import (
    FeatureSpec,
    NativeFeatures,
    char_classes,
    featurize,
    ngram_positions,
)
from hegui.safety.classifier.hidden import HiddenLayer, gather_sum
from hegui.safety.classifier.textnorm import normalize_text
from hegui.safety.disk_cache import unpacked_arrays

__all__ = ["DEFAULT_MODEL_PATH", "HEADS", "TextClassifier", "is_latin", "quantize"]

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "classifier" / "model.npz"
HEADS = ("offensive", "harmful")
# texts with at most this many buckets use the fused gather (faster below ≈ 2,500 rows, where
# per-call overhead dominates; above, the wide rows cost more cache than the saved call); its
# float32 sums of int8 rows are exact integers, so both ways give identical scores
_FUSED_MAX_ROWS = 2048
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def is_latin(normalized: str) -> bool:
    """True for text without CJK characters: such texts use a head's ``latin_*`` calibration."""
    return _CJK.search(normalized) is None


def quantize(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row int8 quantisation: ``w ≈ q * scale[:, None]`` (rows are heads or codes)."""
    w = np.atleast_2d(w)
    scale = np.abs(w).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def _sigmoid1(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x > -700.0 else 0.0


@dataclass(frozen=True, slots=True)
class _Variant:
    """What scoring needs for one hidden layer: the layer, the fused table (linear columns and
    the layer's rows), the table the C path gathers from, and the layer's floats."""

    hidden: HiddenLayer | None
    fused: np.ndarray | None
    weights: np.ndarray
    floats: list[tuple[float, float, float]] | None


@dataclass(frozen=True, slots=True)
class Head:
    """Calibration of one binary head (the weights live in the shared matrix).

    ``latin_*`` (optional) calibrate texts without CJK characters separately: English prompts
    and Chinese comments sit at different logit levels, so one cut cannot serve both.
    """

    name: str
    bias: float
    slope: float
    threshold: float
    latin_slope: float | None = None
    latin_threshold: float | None = None


class TextClassifier:
    """Scores normalised text with the weights of one model file; immutable, thread-safe."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.meta = meta
        self.spec = FeatureSpec(**meta["spec"])
        self.cat_bits: int = int(meta["cat_bits"])
        self.heads = [Head(**h) for h in meta["heads"]]
        self.codes: list[str] = list(meta["codes"])
        self._w = arrays["head_w"].astype(np.float32) * arrays["head_scale"][:, None]
        # (dim, heads) int8, 2**bits × 2 bytes: small enough to stay in cache during a gather
        self._q_t = np.ascontiguousarray(arrays["head_w"].T)
        self._scale = arrays["head_scale"].astype(np.float64)
        self._bias = np.array([h.bias for h in self.heads], dtype=np.float64)
        self._slope = np.array([h.slope for h in self.heads], dtype=np.float64)
        self._thr = np.array([h.threshold for h in self.heads], dtype=np.float64)
        self._latin_slope = np.array([h.slope if h.latin_slope is None else h.latin_slope
                                      for h in self.heads], dtype=np.float64)  # fmt: skip
        self._latin_thr = np.array([h.threshold if h.latin_threshold is None else h.latin_threshold
                                    for h in self.heads], dtype=np.float64)  # fmt: skip
        self._has_latin = any(h.latin_threshold is not None for h in self.heads)
        # (2**cat_bits, codes) int8: summed exactly (as integers), then scaled, on both paths
        self._cat_q_t = np.ascontiguousarray(arrays["cat_w"].T)
        self._cat_floats: tuple[list[float], list[float]] = (
            arrays["cat_scale"].astype(np.float64).tolist(),
            arrays["cat_b"].astype(np.float64).tolist(),
        )
        self._cat_fold = self.spec.bits - self.cat_bits
        self._cat_keep: dict[tuple[str, ...] | None, tuple[int, ...]] = {}
        self._head_col = {h.name: i for i, h in enumerate(self.heads)}
        self.pinyin_table: np.ndarray | None = arrays.get("pinyin_lut")
        # optional hidden-layer head: scores that head instead of its linear column, which
        # then only serves to explain the score with evidence spans (:meth:`top_spans`); a
        # model may carry a second layer for texts without CJK (``hidden.latin_bits``), so
        # that English and Chinese training rows do not move each other's harmful scores
        hidden = meta.get("hidden")
        self._hidden_col = [h.name for h in self.heads].index(hidden["head"]) if hidden else -1
        self._hidden = (
            HiddenLayer.from_arrays(arrays, "hid", int(hidden["bits"])) if hidden else None
        )
        self._hidden_latin = (
            HiddenLayer.from_arrays(arrays, "hidl", int(hidden["latin_bits"]))
            if hidden and hidden.get("latin_bits")
            else None
        )
        self._native = NativeFeatures.build(self.spec, self.pinyin_table)
        main = self._variant(self._hidden)  # the Latin one, when there is one, is built apart
        self._variants = (
            main,
            main if self._hidden_latin is None else self._variant(self._hidden_latin),
        )
        self._native_w = self._variants[0].weights
        self._floats = (self._scale.tolist(), self._bias.tolist())

    def _variant(self, hidden: HiddenLayer | None) -> _Variant:
        """The gather table and hidden-layer floats for one hidden layer (or none).

        Linear columns and the hidden layer's rows side by side (int8, 2**bits × (heads +
        units)): one gather per text instead of two; the sums are exact integers either way.
        """
        if hidden is None:
            return _Variant(None, None, self._q_t, None)
        rows = np.arange(self._q_t.shape[0]) >> (self.spec.bits - hidden.bits)
        fused = np.ascontiguousarray(np.concatenate([self._q_t, hidden.w1[rows]], axis=1))
        floats = list(
            zip(hidden.scale1.tolist(), hidden.b1.tolist(), hidden.w2.tolist(), strict=True)
        )
        return _Variant(hidden, fused, fused, floats)

    def hidden_for(self, normalized: str) -> HiddenLayer | None:
        """The hidden layer that scores ``normalized`` (the Latin one for text without CJK)."""
        return self._variants[self._latin_layer(normalized)].hidden

    def _latin_layer(self, normalized: str) -> bool:
        return self._hidden_latin is not None and is_latin(normalized)

    # -- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Read a model file written by :meth:`save_arrays`; a bad file is a :class:`ConfigError`."""
        path = Path(path)
        try:
            arrays = unpacked_arrays(path.read_bytes())  # LZMA costs ~0.1 s per process
            meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
            return cls(arrays, meta)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
            raise ConfigError(f"cannot read classifier model: {exc}", path=str(path)) from None

    @staticmethod
    def load_default() -> TextClassifier:
        """The model shipped in the package, loaded once per process."""
        return _default()

    @staticmethod
    def save_arrays(path: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        """Write a compressed, byte-reproducible model file (no timestamps inside).

        Members are LZMA-compressed: 1.66 MB instead of 2.12 MB with deflate (the project keeps
        every file under 2 MB), for ≈ 60 ms more once per process when the model is loaded.
        """
        blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        # np.savez stamps each member with the current time; a fixed stamp keeps files identical
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as zf:
            for name, array in sorted({"meta": blob, **arrays}.items()):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_LZMA
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
                zf.writestr(info, buf.getvalue())

    # -- scoring -------------------------------------------------------------------------
    def logits(self, normalized: str) -> np.ndarray:
        """Raw per-head logits of already-normalised text."""
        latin = self._latin_layer(normalized)
        if self._native is not None:
            return np.array(self._native_logits(normalized, latin))
        return self._numpy_logits(normalized, latin)

    def _native_logits(self, normalized: str, latin: bool) -> list[float]:
        """:meth:`_numpy_logits` from the C sums, in Python floats (same operations, same
        order; only the hidden layer's 8-term dot product may round differently from BLAS)."""
        assert self._native is not None
        var = self._variants[latin]
        sums, n = self._native.sums(normalized, var.weights)
        value = 1.0 / math.sqrt(n) if n else 0.0
        nh = len(self.heads)
        scale, bias = self._floats
        z = [s * (sc * value) + b for s, sc, b in zip(sums, scale, bias, strict=False)]
        if var.floats is not None and var.hidden is not None:
            out = var.hidden.b2
            for s, (sc, b, w) in zip(sums[nh:], var.floats, strict=True):
                h = s * (sc * value) + b
                if h > 0.0:
                    out += h * w
            z[self._hidden_col] = out
        return z

    def _numpy_logits(self, normalized: str, latin: bool) -> np.ndarray:
        """The reference path: numpy features and gathers."""
        idx, value = featurize(normalized, self.spec, self.pinyin_table)
        var = self._variants[latin]
        if var.fused is not None and var.hidden is not None and 0 < len(idx) <= _FUSED_MAX_ROWS:
            sums = gather_sum(var.fused, idx)
            nh = len(self.heads)
            z = sums[:nh] * (self._scale * value) + self._bias
            z[self._hidden_col] = var.hidden.logit_from_sums(sums[nh:], value)
            return z
        if len(idx) == 0:
            z = self._bias.copy()
        else:
            z = gather_sum(self._q_t, idx) * (self._scale * value) + self._bias
        if var.hidden is not None:
            z[self._hidden_col] = var.hidden.logit(idx, value, self.spec.bits)
        return z

    def scores(self, normalized: str) -> dict[str, float]:
        """Calibrated per-head scores of already-normalised text (0.5 = decision point)."""
        latin = (self._has_latin or self._hidden_latin is not None) and is_latin(normalized)
        slope, thr = (
            (self._latin_slope, self._latin_thr)
            if latin and self._has_latin
            else (self._slope, self._thr)
        )
        latin_layer = latin and self._hidden_latin is not None
        if self._native is not None:
            z = self._native_logits(normalized, latin_layer)
            return {h.name: _sigmoid1(float(a) * (zi - float(t)))
                    for h, a, zi, t in zip(self.heads, slope, z, thr, strict=True)}  # fmt: skip
        p = _sigmoid(slope * (self._numpy_logits(normalized, latin_layer) - thr))
        return {h.name: float(s) for h, s in zip(self.heads, p, strict=True)}

    @property
    def normalizer(self) -> str:
        """The normaliser this model was trained with (see :mod:`.textnorm`)."""
        return str(self.meta.get("normalizer", "fallback"))

    def normalize(self, text: str) -> str:
        """``text`` normalised exactly as the training texts were."""
        return normalize_text(text, self.normalizer)

    def predict(self, text: str) -> dict[str, float]:
        """Calibrated per-head scores of raw text (normalised here)."""
        return self.scores(self.normalize(text))

    def categories(
        self, normalized: str, allowed: tuple[str, ...] | None = None
    ) -> list[tuple[str, float]]:
        """Risk codes for a positive text, most likely first, with softmax probabilities.

        In plain Python floats: 28 codes are too few for numpy's per-call overhead to pay.
        """
        keep = self._cat_keep.get(allowed)
        if keep is None:  # a few distinct prefix sets per process: cache their indices
            keep = tuple(
                i for i, c in enumerate(self.codes) if allowed is None or c.startswith(allowed)
            )
            self._cat_keep[allowed] = keep
        if not keep:
            return []
        z = self._category_logits(normalized)
        top = max(z[i] for i in keep)
        e = [math.exp(z[i] - top) for i in keep]
        total = sum(e)
        ranked = sorted(range(len(keep)), key=lambda j: -e[j])  # stable: ties in code order
        return [(self.codes[keep[j]], e[j] / total) for j in ranked]

    def _category_logits(self, normalized: str) -> list[float]:
        """Category logits: exact integer sums of the int8 rows (bucket ``b`` → row
        ``b >> (bits - cat_bits)``), times the per-code scale and ``1/sqrt(k)``, plus the bias
        (the same float operations on both paths, so the same bits)."""
        scale, bias = self._cat_floats
        if self._native is not None:
            ints, n = self._native.sums(normalized, self._cat_q_t, self._cat_fold)
            value = 1.0 / math.sqrt(n) if n else 0.0
            return [s * (sc * value) + b for s, sc, b in zip(ints, scale, bias, strict=True)]
        idx, value = featurize(normalized, self.spec, self.pinyin_table)
        if not len(idx):
            return list(bias)
        sums = gather_sum(self._cat_q_t, idx >> self._cat_fold).tolist()
        return [s * (sc * value) + b for s, sc, b in zip(sums, scale, bias, strict=True)]

    def top_spans(self, normalized: str, head: str, k: int = 3) -> list[tuple[int, int]]:
        """Spans (in ``normalized``) of the phrases that pushed ``head`` up the most
        (:func:`~hegui.safety.classifier.evidence.phrase_spans`)."""
        col = self._head_col[head]
        if self._native is not None:  # the same per-character floats, computed in C
            if not normalized or k <= 0:
                return []
            per_char, count = self._native.char_weights(normalized, self._q_t, col)
            return self._native.phrase_spans(normalized, per_char, k, MAX_LEN) if count else []
        buckets, starts, ends = ngram_positions(normalized, self.spec)
        if len(buckets) == 0:
            return []
        weights = self._q_t[buckets, col]
        return phrase_spans(starts, ends, weights, *char_classes(normalized), k)


@cache
def _default() -> TextClassifier:
    if not DEFAULT_MODEL_PATH.is_file():
        raise ConfigError("shipped classifier model is missing; run `hegui train`",
                          path=str(DEFAULT_MODEL_PATH))  # fmt: skip
    return TextClassifier.load(DEFAULT_MODEL_PATH)
