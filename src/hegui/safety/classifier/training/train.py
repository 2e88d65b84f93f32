"""Train the shipped classifier from the permissive sets: plain functions, reproducible.

Same data folder + same seed → byte-identical model file. Steps: load and split
(:mod:`.datasets`), normalise, featurise (:mod:`.features`), fit one L2 logistic regression per
head, calibrate each head on 3-fold out-of-fold logits (threshold = best F1, Platt slope), fit
the category head, quantise to int8, write the model and the split manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from hegui.errors import InputError
from hegui.safety.classifier.features import FeatureSpec, featurize, pinyin_table
from hegui.safety.classifier.hidden import HiddenLayer
from hegui.safety.classifier.model import HEADS, TextClassifier, is_latin, quantize
from hegui.safety.classifier.textnorm import normalize_text, normalizer_name
from hegui.safety.classifier.training.calibrate import (
    _calibrations,
    _folds,
    _shrink,
    language_balanced,
)
from hegui.safety.classifier.training.datasets import SEEDS_DIR, Example, load_all
from hegui.safety.classifier.training.decontam import NearDuplicates, read_dev_texts
from hegui.safety.classifier.training.hidden_fit import fit_hidden_head
from hegui.safety.classifier.training.perturb import augment
from hegui.safety.classifier.training.round2 import TEMPLATED

__all__ = ["TrainConfig", "TrainResult", "build_matrix", "train"]

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Hyper-parameters; the defaults produce the shipped model."""

    seed: int = 0  # the hidden layer's result varies with it (docs/classifier.md, "Seed variance")
    spec: FeatureSpec = field(
        default_factory=lambda: FeatureSpec(
            pinyin=True, word_bigrams=True, word_skips=3, unique=False, digits=True
        )
    )
    cat_bits: int = 15
    c_offensive: float = 4.0
    c_harmful: float = 4.0
    c_category: float = 4.0
    min_code_examples: int = 8
    max_per_code: int = 2500
    augment_share: float = 0.5
    seed_weight: float = 3.0
    request_weight: float = 2.0
    templated_weight: float = 0.5  # HateCheck-style template sets: many near-copies per sentence
    beta_harmful: float = 1.5  # F-beta of the harmful head's threshold: > 1 favours recall
    balance_by_language: bool = False  # balance classes within Latin-only and CJK texts apart
    latin_calibration: bool = True  # separate threshold and slope for texts with and without CJK
    min_calibration_rows: int = 20  # per class, for the Latin-only calibration to be fitted
    hidden_units: int = 8  # > 0: the harmful head is scored by a hidden layer of this width
    hidden_bits: int = 18  # features folded to 2**hidden_bits buckets for that layer
    hidden_epochs: int = 12
    hidden_alpha: float = 1e-4
    # > 0: texts without CJK get their own hidden layer over 2**hidden_latin_bits buckets, fitted
    # on Latin-only rows, and the first layer is fitted on CJK rows alone (per-script heads)
    hidden_latin_bits: int = 0
    # with per-script layers: the CJK layer also reads the Latin-only rows at this weight, so
    # that English words inside Chinese text (mixed answers, code) are not unknown to it
    hidden_cross_weight: float = 0.0
    benign_prompt_boost: float = 1.0  # × the weight of benign English prompt sets (contrast)
    more_posts: bool = False  # also the third and fourth rounds of written black-market posts
    latin_prompt_boost: float = 1.0  # further × for those rows in the Latin layer only
    beta_latin: float | None = None  # F-beta of the Latin layer's cut (None: beta_harmful)


@dataclass(slots=True)
class TrainResult:
    """What :func:`train` wrote and how the model did on the dev split."""

    model_path: Path
    size_bytes: int
    counts: dict[str, dict[str, int]]
    dev_metrics: dict[str, float]


def build_matrix(texts: Sequence[str], spec: FeatureSpec,
                 pinyin: np.ndarray | None = None) -> sparse.csr_matrix:  # fmt: skip
    """CSR matrix of already-normalised texts, exactly the features inference uses."""
    indptr = [0]
    chunks: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for text in texts:
        idx, value = featurize(text, spec, pinyin)
        chunks.append(idx)
        values.append(np.full(len(idx), value, dtype=np.float32))
        indptr.append(indptr[-1] + len(idx))
    indices = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.int64)
    data = np.concatenate(values) if values else np.empty(0, dtype=np.float32)
    x = sparse.csr_matrix((data, indices, np.array(indptr)), shape=(len(texts), spec.dim))
    x.sum_duplicates()  # count features (``spec.unique`` off) repeat indices within a row
    return x


def _fit_lr(
    x: sparse.csr_matrix,
    y: np.ndarray,
    c: float,
    seed: int,
    weight: np.ndarray | None = None,
    balanced: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    multi = len(np.unique(y)) > 2
    lr = LogisticRegression(C=c, solver="lbfgs" if multi else "liblinear", max_iter=300,
                            class_weight="balanced" if balanced else None, random_state=seed)  # fmt: skip
    lr.fit(x, y, sample_weight=weight)
    return lr.coef_.astype(np.float64), lr.intercept_.astype(np.float64)


def _cap_per_code(rows: Sequence[Example], codes: list[str], cap: int) -> np.ndarray:
    """Mask keeping at most ``cap`` rows per code (hash order), so COLD does not swamp the rest."""
    keys = [hashlib.sha1(ex.text.encode()).hexdigest() if ex.code in codes else "" for ex in rows]
    keep = np.zeros(len(rows), dtype=bool)
    taken: Counter[str] = Counter()
    for i in sorted(range(len(rows)), key=keys.__getitem__):
        code = rows[i].code
        if code in codes and taken[code] < cap:
            taken[code] += 1
            keep[i] = True
    return keep


def _fit_head(x: sparse.csr_matrix, y: np.ndarray, texts: Sequence[str], weight: np.ndarray,
              cfg: TrainConfig, c: float, beta: float = 1.0) -> tuple[np.ndarray, float, dict[str, float]]:  # fmt: skip
    """Fit on all rows; calibrate on a model fitted without a hashed fifth of them."""
    held = _folds(texts, 5, cfg.seed) == 0
    latin = np.array([is_latin(t) for t in texts])
    balanced = not cfg.balance_by_language
    if cfg.balance_by_language:
        weight = language_balanced(y, latin, weight)
    w, b = _fit_lr(x[~held], y[~held], c, cfg.seed, weight[~held], balanced)
    calib = _calibrations(x[held] @ w[0] + b[0], y[held], latin[held], cfg, beta)
    w, b = _fit_lr(x, y, c, cfg.seed, weight, balanced)
    return w[0], float(b[0]), calib


_REQUEST_SETS = frozenset({"jade", "advbench", "strongreject", "harmbench", "do-not-answer"})
# benign prompts written to look like the harmful ones (CoCoNot's contrast kind): as much weight
# as the harmful requests they mirror
_CONTRAST_SETS = frozenset({"coconot-pref"})
# benign English prompts of the request form (``TrainConfig.benign_prompt_boost``)
_BENIGN_PROMPT_SETS = frozenset({"coconot-pref", "self-instruct"})


def _row_weight(ex: Example, cfg: TrainConfig) -> float:
    if ex.source.startswith("hegui-seeds") or ex.source == "hegui-numbers":
        return cfg.seed_weight
    if ex.source.removesuffix("+aug") in TEMPLATED:
        return cfg.templated_weight
    boost = cfg.benign_prompt_boost if ex.source in _BENIGN_PROMPT_SETS else 1.0
    return boost * (cfg.request_weight if ex.source in _REQUEST_SETS | _CONTRAST_SETS else 1.0)


def _dev_metrics(model: TextClassifier, dev: list[tuple[Example, str]]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    out: dict[str, float] = {}
    scores = [model.scores(norm) for _, norm in dev]
    for head in HEADS:
        rows = [(getattr(ex, head), s[head]) for (ex, _), s in zip(dev, scores, strict=True)
                if getattr(ex, head) is not None]  # fmt: skip
        if rows:
            y = np.array([r[0] for r in rows])
            pred = np.array([r[1] >= 0.5 for r in rows]).astype(int)
            out[f"{head}_macro_f1"] = float(f1_score(y, pred, average="macro", zero_division=0))
    cold = [(ex.offensive, s["offensive"]) for (ex, _), s in zip(dev, scores, strict=True)
            if ex.source == "cold"]  # fmt: skip
    if cold:
        y = np.array([c[0] for c in cold])
        pred = np.array([c[1] >= 0.5 for c in cold]).astype(int)
        out["cold_macro_f1"] = float(f1_score(y, pred, average="macro", zero_division=0))
    return out


def _decontaminate(
    examples: list[Example], norm: dict[str, str], dev_dir: Path | None
) -> list[Example]:
    """``examples`` with the training rows that nearly repeat a dev item moved to ``excluded``.

    Every row is checked against the ``eval/`` items; the seed texts, written for hegui, also
    against the public sets' dev rows (the public rows themselves are split by a hash of their
    own text and keep their upstream wording).
    """
    evals = NearDuplicates(normalize_text(t) for t in read_dev_texts(dev_dir)) if dev_dir else None
    public = NearDuplicates(norm[ex.text] for ex in examples if ex.split == "dev")

    def repeats(ex: Example) -> bool:
        text = norm[ex.text]
        if evals is not None and evals.matches(text):
            return True
        return ex.source == "hegui-seeds" and public.matches(text)

    return [replace(ex, split="excluded") if ex.split == "train" and repeats(ex) else ex
            for ex in examples]  # fmt: skip


def train(data_dir: Path, out: Path, cfg: TrainConfig | None = None,
          progress: Progress | None = None, dev_dir: Path | None = None,
          seeds_dir: Path = SEEDS_DIR, written: bool = True) -> TrainResult:  # fmt: skip
    """Train on ``data_dir`` (the shared ``raw/`` folder layout) and the seed lines in
    ``seeds_dir``, and write the model to ``out``.

    Training rows that nearly repeat an item of the ``*.jsonl`` dev sets in ``dev_dir`` are
    set aside (split ``excluded``, counted in the manifest), see :mod:`.decontam`; so are
    hegui's own seed texts that nearly repeat a dev-split row of a public set.
    """
    cfg = cfg or TrainConfig()
    say = progress or (lambda _msg: None)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"training data folder not found: {data_dir}")
    say("loading data sets")
    examples = load_all(data_dir, seeds_dir, written, cfg.more_posts)
    say(f"normalising {len(examples)} texts ({normalizer_name()})")
    norm = {ex.text: normalize_text(ex.text) for ex in examples}
    examples = _decontaminate(examples, norm, dev_dir)
    train_rows = [ex for ex in examples if ex.split == "train"]
    if not train_rows:
        raise InputError(f"no training examples found under {data_dir}")
    train_rows += augment(train_rows, cfg.augment_share, cfg.seed)
    norm.update({ex.text: normalize_text(ex.text) for ex in train_rows if ex.text not in norm})
    texts = [norm[ex.text] for ex in train_rows]
    say("featurising")
    lut = pinyin_table() if cfg.spec.pinyin else None
    x = build_matrix(texts, cfg.spec, lut)

    # hegui's own seed texts are few but cover what the public sets lack (benign prompts full of
    # risk words, plain harmful requests): they count ``seed_weight`` times.
    # The public harmful-request sets are small next to the Weibo comments: they count
    # ``request_weight`` times, so English requests are learnt by their task, not their genre.
    weights_all = np.array([_row_weight(ex, cfg) for ex in train_rows])
    heads_meta: list[dict[str, Any]] = []
    hidden: list[HiddenLayer] = []
    weights: list[np.ndarray] = []
    for head, c, beta in (("offensive", cfg.c_offensive, 1.0),
                          ("harmful", cfg.c_harmful, cfg.beta_harmful)):  # fmt: skip
        rows = np.array([getattr(ex, head) is not None for ex in train_rows])
        y = np.array([getattr(ex, head) or 0 for ex in train_rows])[rows]
        if len(np.unique(y)) < 2:
            raise InputError(f"head {head!r} needs positive and negative training examples")
        say(f"fitting head {head} on {rows.sum()} rows")
        sub_texts = [t for t, keep in zip(texts, rows, strict=True) if keep]
        w, b, calib = _fit_head(x[rows], y, sub_texts, weights_all[rows], cfg, c, beta)
        if head == "harmful" and cfg.hidden_units > 0:
            say(f"fitting the hidden layer of head {head}")
            prompts = np.array([ex.source in _BENIGN_PROMPT_SETS for ex in train_rows])[rows]
            hidden, calib = fit_hidden_head(x[rows], y, sub_texts, weights_all[rows], cfg, beta,
                                             prompts)  # fmt: skip
        weights.append(w)
        heads_meta.append({"name": head, "bias": b, **calib})

    say("fitting category head")
    code_counts = Counter(ex.code for ex in train_rows if ex.code)
    codes = sorted(c for c, n in code_counts.items() if n >= cfg.min_code_examples)
    rows = _cap_per_code(train_rows, codes, cfg.max_per_code)
    y_cat = np.array(
        [codes.index(str(ex.code)) for ex, keep in zip(train_rows, rows, strict=True) if keep]
    )
    x_cat = _shrink(x[rows], cfg.spec.bits - cfg.cat_bits, cfg.cat_bits)
    if len(codes) > 1:
        cat_w, cat_b = _fit_lr(x_cat, y_cat, cfg.c_category, cfg.seed)
    else:  # one code (or none) with enough rows: nothing to choose between, a constant head
        cat_w, cat_b = np.zeros((len(codes), x_cat.shape[1])), np.zeros(len(codes))

    head_q, head_scale = quantize(np.vstack(weights))
    cat_q, cat_scale = quantize(cat_w)
    arrays = {"head_w": head_q, "head_scale": head_scale, "cat_w": cat_q,
              "cat_scale": cat_scale, "cat_b": cat_b.astype(np.float32)}  # fmt: skip
    if lut is not None:
        arrays["pinyin_lut"] = lut
    for layer, prefix in zip(hidden, ("hid", "hidl"), strict=False):
        arrays.update(layer.arrays(prefix))
    meta = {
        "spec": asdict(cfg.spec),
        "cat_bits": cfg.cat_bits,
        "heads": heads_meta,
        "codes": codes,
        "normalizer": normalizer_name(),
        "seed": cfg.seed,
        "hidden": _hidden_meta(cfg) if hidden else None,
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    TextClassifier.save_arrays(out, arrays, meta)
    model = TextClassifier.load(out)

    say("evaluating on the dev split")
    dev = [(ex, norm[ex.text]) for ex in examples if ex.split == "dev"]
    metrics = _dev_metrics(model, dev)
    counts = _counts(examples)
    _write_manifest(out.with_name("split_manifest.json"), examples, counts)
    return TrainResult(out, out.stat().st_size, counts, metrics)


def _hidden_meta(cfg: TrainConfig) -> dict[str, Any]:
    meta: dict[str, Any] = {"head": "harmful", "bits": cfg.hidden_bits}
    if cfg.hidden_latin_bits > 0:
        meta["latin_bits"] = cfg.hidden_latin_bits
    return meta


def _counts(examples: Sequence[Example]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for ex in examples:
        counts.setdefault(ex.source, {}).setdefault(ex.split, 0)
        counts[ex.source][ex.split] += 1
    return dict(sorted(counts.items()))


def _write_manifest(
    path: Path, examples: Sequence[Example], counts: dict[str, dict[str, int]]
) -> None:
    """Per-source counts and a digest of the dev texts, so anyone can check the split."""
    dev = sorted(hashlib.sha1(ex.text.encode()).hexdigest() for ex in examples if ex.split == "dev")
    manifest = {
        "rule": "sha1(text or group key)[:4] % 10000 < 2000 → dev; COLD dev.csv → dev; "
        "excluded = training rows that nearly repeat an eval/*.jsonl item, or seed texts that nearly repeat a public dev row (not trained on)",
        "counts": counts,
        "dev_sha1_digest": hashlib.sha256("\n".join(dev).encode()).hexdigest(),
    }
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                    encoding="utf-8")  # fmt: skip
