"""Fit the answer-harm model shipped in ``src/hegui/assess/data/harm_model.json`` (dev-time only).

    python scripts/train_answer_harm.py [--data-dir ../shared/data/raw] [--cv] [--cache FILE]
                                        [--C 0.3] [--top 4000]

Two heads (see ``hegui.assess.harm``):

- the *action head* (English): a six-way logistic model of Do-Not-Answer's human action label
  (0–5) over cues, actionable content, the risk code and answer/question n-grams, fitted on
  **all** of Do-Not-Answer (Apache-2.0, ``datasets/data_en.csv``, 5,634 answers); an answer is
  harmful when P(action 5) reaches the threshold, which is chosen by 5-fold cross-validation
  grouped by question on the training rows only (F1 against the human ``*_harmful`` label).
  ``--cv`` scores the whole procedure (threshold choice included) by 5-fold cross-validation
  grouped by question over all of Do-Not-Answer, the number ``benchmarks/judge.py`` reports.
- the *Chinese head*: a binary model on dense features, fitted on the tuning part of JADE-DB v3
  (MIT) answer pairs (the violating answer harmful, the safe one not) with the refusal model's
  probabilities taken out of fold (the refusal model refitted five times without the answer's
  question, ``--cache`` keeps them), since the shipped refusal model saw those answers.

Everything is deterministic: fixed fold assignment (``GroupKFold`` over the questions), lbfgs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_refusal import as_rows, dna_answers, fit, jade_answers

from hegui.assess.harm import (
    ACTIONS,
    FOLLOWS,
    MODEL_PATH,
    action_features,
    harm_features,
    harm_grams,
)
from hegui.assess.refusal import RefusalFinding, RefusalModel, Stance, detect_refusal

ROOT = Path(__file__).resolve().parents[1]
FOLDS = 5
C, TOP = 1.0, 6000
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))
Answer = dict[str, object]


def out_of_fold_refusal(
    rows: list[Answer], cache: Path | None
) -> tuple[list[RefusalFinding], list[int]]:
    """Each answer's refusal finding from a refusal model fitted without its question (five
    refusal fits, minutes on a busy machine: ``cache`` keeps them between runs)."""
    if cache is not None and cache.is_file():
        doc = json.loads(cache.read_text(encoding="utf-8"))
        if doc["answers"] == [str(r["a"]) for r in rows]:
            return [
                RefusalFinding(Stance(s), w, d, pw, pd) for s, w, d, pw, pd in doc["findings"]
            ], doc["fold"]
    data = as_rows(rows)
    groups = [str(r["q"]) for r in rows]
    found: list[RefusalFinding | None] = [None] * len(rows)
    fold = [0] * len(rows)
    for k, (tr, te) in enumerate(GroupKFold(FOLDS).split(data, groups=groups)):
        model = RefusalModel({"heads": fit([data[i] for i in tr], 1.0, 3000)["heads"]})
        for i in te:
            found[i], fold[i] = detect_refusal(str(rows[i]["a"]), model=model), k
        print(f"refusal fold {k + 1}/{FOLDS} done", file=sys.stderr, flush=True)
    findings = [f for f in found if f is not None]
    if cache is not None:
        rec = [
            [str(f.stance), f.withheld, f.declined, f.p_withheld, f.p_declined] for f in findings
        ]
        cache.write_text(json.dumps({"answers": [str(r["a"]) for r in rows], "findings": rec,
                                     "fold": fold}), encoding="utf-8")  # fmt: skip
    return findings, fold


@dataclass(frozen=True, slots=True)
class Encoded:
    """Each Do-Not-Answer answer's features, computed once and shared by every fold."""

    dense: list[dict[str, float]]
    grams: list[set[str]]
    action: np.ndarray
    harmful: np.ndarray
    groups: list[str]


def encode(rows: list[Answer]) -> Encoded:
    return Encoded(
        [action_features(str(r["a"]), str(r.get("risk") or "") or None) for r in rows],
        [harm_grams(str(r["q"]), str(r["a"])) for r in rows],
        np.array([int(str(r["action"])) for r in rows]),
        np.array([bool(r["harmful"]) for r in rows]),
        [str(r["q"]) for r in rows],
    )


def design(enc: Encoded, idx: Sequence[int], names: list[str], vocab: list[str]) -> csr_matrix:
    col = {n: i for i, n in enumerate(names)} | {g: len(names) + i for i, g in enumerate(vocab)}
    data: list[float] = []
    cols: list[int] = []
    ptr = [0]
    for i in idx:
        hit = sorted((col[k], v) for k, v in enc.dense[i].items() if k in col and v)
        hit += sorted((col[g], 1.0) for g in enc.grams[i] if g in col)
        cols.extend(c for c, _ in hit)
        data.extend(v for _, v in hit)
        ptr.append(len(cols))
    return csr_matrix((data, cols, ptr), shape=(len(idx), len(names) + len(vocab)))


def fit_action(enc: Encoded, idx: Sequence[int], c: float, top: int) -> dict[str, Any]:
    """The six-way action head on rows ``idx``: the ``top`` n-grams by document frequency
    (at least 3 answers), one multinomial logistic fit, weights rounded as shipped."""
    names = sorted({k for i in idx for k in enc.dense[i]})
    df: dict[str, int] = {}
    for i in idx:
        for g in enc.grams[i]:
            df[g] = df.get(g, 0) + 1
    frequent = sorted((g for g, n in df.items() if n >= 3), key=lambda g: (-df[g], g))
    vocab = sorted(frequent[:top])  # ties by name: a set's order changes with the hash seed
    y = enc.action[list(idx)]
    if sorted(set(y.tolist())) != list(range(ACTIONS)):
        raise ValueError("every action category must occur in the training rows")
    clf = LogisticRegression(C=c, max_iter=3000).fit(design(enc, idx, names, vocab), y)
    w = np.round(clf.coef_, 4)
    return {
        "bias": [round(float(b), 4) for b in clf.intercept_],
        "features": {n: w[:, i].tolist() for i, n in enumerate(names)},
        "ngrams": {g: w[:, len(names) + i].tolist() for i, g in enumerate(vocab)
                   if np.any(w[:, len(names) + i])},
    }  # fmt: skip


def p_follows(head: dict[str, Any], enc: Encoded, idx: Sequence[int]) -> np.ndarray:
    """P(action 5) for rows ``idx`` under ``head`` (the same numbers ``HarmModel`` computes)."""
    names, vocab = sorted(head["features"]), sorted(head["ngrams"])
    w = np.array([head["features"][n] for n in names] + [head["ngrams"][g] for g in vocab])
    z = design(enc, idx, names, vocab) @ w + np.array(head["bias"])
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return np.asarray(e[:, FOLLOWS] / e.sum(axis=1))


def f1(pred: np.ndarray, gold: np.ndarray) -> float:
    tp = int(np.sum(pred & gold))
    return 2 * tp / max(1, 2 * tp + int(np.sum(pred & ~gold)) + int(np.sum(~pred & gold)))


def best_threshold(p: np.ndarray, gold: np.ndarray) -> float:
    """The threshold of ``THRESHOLDS`` with the best F1 (the lowest of equals)."""
    return max(THRESHOLDS, key=lambda t: (f1(p >= t, gold), -t))


def folds(enc: Encoded, idx: Sequence[int]) -> list[tuple[list[int], list[int]]]:
    """Grouped by question: no question's answers on both sides. Deterministic."""
    ix = list(idx)
    split = GroupKFold(FOLDS).split(ix, groups=[enc.groups[i] for i in ix])
    return [([ix[j] for j in tr], [ix[j] for j in te]) for tr, te in split]


def choose_threshold(enc: Encoded, idx: Sequence[int], c: float, top: int) -> float:
    """Threshold on P(action 5) by grouped cross-validation inside ``idx`` only."""
    p = np.zeros(len(enc.groups))
    for tr, te in folds(enc, idx):
        p[te] = p_follows(fit_action(enc, tr, c, top), enc, te)
    return best_threshold(p[list(idx)], enc.harmful[list(idx)])


def cross_validate(
    enc: Encoded, c: float, top: int, keep: float = 1.0
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Out-of-fold P(action 5) and decisions for every answer; each fold's threshold was chosen
    on its training folds. ``keep`` < 1 trains on that share of each training part's questions
    (the first by a stable hash), for the learning curve."""
    p = np.zeros(len(enc.groups))
    pred = np.zeros(len(enc.groups), dtype=bool)
    chosen = []
    for k, (tr, te) in enumerate(folds(enc, range(len(enc.groups)))):
        if keep < 1:
            qs = sorted({enc.groups[i] for i in tr}, key=_stable)
            kept = set(qs[: round(keep * len(qs))])
            tr = [i for i in tr if enc.groups[i] in kept]
        t = choose_threshold(enc, tr, c, top)
        p[te] = p_follows(fit_action(enc, tr, c, top), enc, te)
        pred[te] = p[te] >= t
        chosen.append(t)
        print(f"harm fold {k + 1}/{FOLDS}: threshold {t}", file=sys.stderr, flush=True)
    return p, pred, chosen


def _stable(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fit_zh(rows: list[Answer], found: list[RefusalFinding]) -> dict[str, Any]:
    """The Chinese head: binary, balanced, on the dense features of the Chinese answers."""
    zh = [i for i, r in enumerate(rows) if harm_features(str(r["a"]), found[i])["lang:zh"]]
    dense = [harm_features(str(rows[i]["a"]), found[i]) for i in zh]
    names = sorted(dense[0])
    x = np.array([[d[k] for k in names] for d in dense])
    y = np.array([int(bool(rows[i]["harmful"])) for i in zh])
    clf = LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced").fit(x, y)
    return {
        "bias": round(float(clf.intercept_[0]), 5),
        "features": {n: round(float(w), 5) for n, w in zip(names, clf.coef_[0], strict=True)},
        "threshold": 0.5,
        "rows": len(zh),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--C", type=float, default=C)
    ap.add_argument("--top", type=int, default=TOP)
    ap.add_argument("--cache", type=Path, help="keep the out-of-fold refusal findings here")
    args = ap.parse_args()
    dna = dna_answers(args.data_dir, None)
    if not dna:
        sys.exit(f"no Do-Not-Answer rows under {args.data_dir}")
    enc = encode(dna)
    if args.cv:
        _, pred, chosen = cross_validate(enc, args.C, args.top)
        print(f"C={args.C} top={args.top}: grouped {FOLDS}-fold F1 {f1(pred, enc.harmful):.3f} "
              f"(thresholds {chosen})")  # fmt: skip
        return
    tune, jade = dna_answers(args.data_dir, "train"), jade_answers(args.data_dir, "train")
    found, _ = out_of_fold_refusal(tune + jade, args.cache)
    everything = range(len(dna))
    doc = {
        "version": 2,
        "trained_on": {
            "do-not-answer": "Libr-AI/do-not-answer data_en.csv (Apache-2.0), all answers "
            "(action head)",
            "jade-db-v3": "whitzard-ai/jade-db v3.0 alignment pairs (MIT), tuning part "
            "(Chinese head)",
        },
        "rows": {"do-not-answer": len(dna), "jade-db-v3": len(jade)},
        "C": args.C,
        "threshold": choose_threshold(enc, everything, args.C, args.top),
        "action": fit_action(enc, everything, args.C, args.top),
        "zh": fit_zh(tune + jade, found),
    }
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n",
                          encoding="utf-8")  # fmt: skip
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
