"""Fit the answer-harm model shipped in ``src/hegui/assess/data/harm_model.json`` (dev-time only).

    python scripts/train_answer_harm.py [--data-dir ../shared/data/raw] [--cv] [--cache FILE]
                                        [--C 1.0] [--top 4000] [--threshold 0.25]

Training rows come only from the *tuning* part (the split of ``scripts/train_refusal.py``):

- Do-Not-Answer (Apache-2.0), ``datasets/data_en.csv``: six models' answers with the human
  ``*_harmful`` label (English);
- JADE-DB v3 (MIT), the alignment pairs (GB18030): the violating answer is harmful, the safe
  one is not (Chinese).

The refusal model's probabilities are features, and that model was fitted on these same rows:
its in-sample view (99.7 % accurate on them, 92 % on new answers) would teach the harm model to
trust it too much. So the refusal model is refitted in five folds grouped by question and each
answer gets the probabilities of the fold that did not see it. ``--cv`` then scores the harm
model on the same folds (F1 on the Do-Not-Answer rows and on the JADE rows at several
thresholds) for choosing ``--C``, ``--top`` and ``--threshold``; without it the model is fitted
on the whole tuning part and written. Classes are weighted (harmful answers are 3 % of
Do-Not-Answer's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_refusal import as_rows, dna_answers, fit, jade_answers

from hegui.assess.harm import MODEL_PATH, harm_features, harm_grams
from hegui.assess.refusal import RefusalFinding, RefusalModel, Stance, detect_refusal

ROOT = Path(__file__).resolve().parents[1]
FOLDS = 5
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


def matrix(
    rows: list[Answer], found: list[RefusalFinding], vocab: list[str] | None, min_df: int = 3
) -> tuple[csr_matrix, list[str], list[str]]:
    dense = [harm_features(str(r["a"]), f) for r, f in zip(rows, found, strict=True)]
    names = sorted(dense[0])
    grams = [harm_grams(str(r["q"]), str(r["a"])) for r in rows]
    if vocab is None:
        df: dict[str, int] = {}
        for g in grams:
            for x in g:
                df[x] = df.get(x, 0) + 1
        vocab = sorted(x for x, n in df.items() if n >= min_df)
    index = {g: i for i, g in enumerate(vocab)}
    data, cols, ptr = [], [], [0]
    for g in grams:
        hit = sorted(index[x] for x in g if x in index)
        cols.extend(hit)
        data.extend([1.0] * len(hit))
        ptr.append(len(cols))
    x = hstack([
        csr_matrix(np.array([[d[k] for k in names] for d in dense])),
        csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab))),
    ]).tocsr()  # fmt: skip
    return x, names, vocab


def fit_harm(
    rows: list[Answer], found: list[RefusalFinding], c: float, top: int
) -> dict[str, object]:
    """Fit; keep the ``top`` n-grams by weight and refit on them."""
    y = np.array([int(bool(r["harmful"])) for r in rows])
    x, names, vocab = matrix(rows, found, None)
    w = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y).coef_[0]
    vocab = sorted(vocab[i] for i in np.argsort(-np.abs(w[len(names) :]))[:top])
    x, names, vocab = matrix(rows, found, vocab)
    clf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(x, y)
    coef = clf.coef_[0]
    # Chinese answers: their own head on the dense features (they have no English n-grams)
    zh = [i for i, r in enumerate(rows) if harm_features(str(r["a"]), found[i])["lang:zh"]]
    zx = x[zh][:, : len(names)].toarray()
    zclf = LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(zx, y[zh])
    return {
        "zh": {
            "bias": round(float(zclf.intercept_[0]), 5),
            "features": {n: round(float(w), 5) for n, w in zip(names, zclf.coef_[0], strict=True)},
            "threshold": 0.5,
            "rows": len(zh),
        },
        "bias": round(float(clf.intercept_[0]), 5),
        "features": {n: round(float(coef[i]), 5) for i, n in enumerate(names)},
        "ngrams": {
            g: round(float(coef[len(names) + i]), 5)
            for i, g in enumerate(vocab)
            if abs(coef[len(names) + i]) >= 1e-4
        },
    }


def scores(pred: np.ndarray, gold: np.ndarray) -> str:
    tp, fp = int(np.sum(pred & gold)), int(np.sum(pred & ~gold))
    fn = int(np.sum(~pred & gold))
    return f"P {tp / max(1, tp + fp):.3f} R {tp / max(1, tp + fn):.3f} F1 {2 * tp / max(1, 2 * tp + fp + fn):.3f}"


def cross_validate(
    rows: list[Answer], found: list[RefusalFinding], fold: list[int], c: float, top: int
) -> None:
    from hegui.assess.harm import HarmModel

    p = np.zeros(len(rows))
    for k in range(FOLDS):
        tr = [i for i in range(len(rows)) if fold[i] != k]
        model = HarmModel({**fit_harm([rows[i] for i in tr], [found[i] for i in tr], c, top),
                           "threshold": 0.5})  # fmt: skip
        for i in range(len(rows)):
            if fold[i] == k:
                p[i] = model.judge(str(rows[i]["q"]), str(rows[i]["a"]), found[i]).p_harmful
    gold = np.array([bool(r["harmful"]) for r in rows])
    dna = np.array([r.get("model") is not None for r in rows])
    for t in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
        pred = p >= t
        print(f"C={c} top={top} t={t}: Do-Not-Answer {scores(pred[dna], gold[dna])}; "
              f"JADE-DB v3 {scores(pred[~dna], gold[~dna])}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--top", type=int, default=4000)
    ap.add_argument("--threshold", type=float, default=0.25)
    ap.add_argument("--cache", type=Path, help="keep the out-of-fold refusal findings here")
    args = ap.parse_args()
    dna, jade = dna_answers(args.data_dir, "train"), jade_answers(args.data_dir, "train")
    if not dna:
        sys.exit(f"no Do-Not-Answer rows under {args.data_dir}")
    rows = dna + jade
    print(f"tuning rows: {len(dna)} Do-Not-Answer answers, {len(jade)} JADE-DB v3 answers")
    found, fold = out_of_fold_refusal(rows, args.cache)
    if args.cv:
        cross_validate(rows, found, fold, args.C, args.top)
        return
    doc = {
        "version": 1,
        "trained_on": {
            "do-not-answer": "Libr-AI/do-not-answer data_en.csv (Apache-2.0), tuning part",
            "jade-db-v3": "whitzard-ai/jade-db v3.0 alignment pairs (MIT), tuning part",
        },
        "rows": {"do-not-answer": len(dna), "jade-db-v3": len(jade)},
        "C": args.C,
        "threshold": args.threshold,
        **fit_harm(rows, found, args.C, args.top),
    }
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
