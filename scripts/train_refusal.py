"""Fit the refusal model shipped in ``src/hegui/assess/data/refusal_model.json`` (dev-time only).

    python scripts/train_refusal.py [--data-dir ../shared/data/raw] [--cv] [--C 1.0] [--top 3000]

Training rows come only from the *tuning* part of each set; the *report* part is what
``benchmarks/judge.py`` measures on. The parts follow the risk engine's classifier split
(a stable hash of the question, 20 % report), so the engine's classifier has not seen the
report part's answers either.

- Do-Not-Answer (Apache-2.0), ``datasets/data_en.csv``: six models' answers with the human
  action label 0–5. *withheld* = action 0 (refuses), 1 (refutes the premise) or 4 (cannot
  answer); *declined* = action 0 or 4.
- JADE-DB v3 (MIT), ``jade_alignment_{medium,hard}_zh.csv`` (GB18030): the safe answer of each
  pair is a Chinese refusal (both heads 1), the violating answer complies (both heads 0).

``--cv`` prints 5-fold accuracy grouped by question (tuning part only) for choosing ``--C`` and
``--top``; without it the model is fitted on the whole tuning part and written.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from hegui.assess.cues import find_cues
from hegui.assess.importers import dna_risk_code
from hegui.assess.refusal import MODEL_PATH, REFUSAL_FAMILIES, features, ngrams
from hegui.safety.classifier.training.datasets import split_of

ROOT = Path(__file__).resolve().parents[1]
DNA_MODELS = ("GPT4", "ChatGPT", "Claude", "ChatGLM2", "llama2-7b-chat", "vicuna-7b")
WITHHELD, DECLINED = {0, 1, 4}, {0, 4}

Row = tuple[str, str, int, int]  # (question, answer, withheld, declined)


Answer = dict[str, object]


def dna_answers(root: Path, part: str | None) -> list[Answer]:
    """Do-Not-Answer answers of one part (``None``: all) with their human labels (also read by
    ``benchmarks/judge.py``): question, answer, model, risk code, action, withheld, declined,
    harmful."""
    out: list[Answer] = []
    with (root / "do-not-answer/datasets/data_en.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            q = r["question"].strip()
            if part is not None and split_of(q) != part:
                continue
            risk = dna_risk_code(r["specific_harms"], r["types_of_harm"])
            for m in DNA_MODELS:
                act = int(r[f"{m}_action"])
                out.append({"q": q, "a": r[f"{m}_response"], "model": m, "risk": risk, "action": act,
                            "withheld": act in WITHHELD, "declined": act in DECLINED,
                            "harmful": r[f"{m}_harmful"] == "1"})  # fmt: skip
    return out


def jade_answers(root: Path, part: str) -> list[Answer]:
    """JADE-DB v3 answer pairs of one part: the safe answer refuses, the violating one complies."""
    out: list[Answer] = []
    for name in ("jade_alignment_medium_zh.csv", "jade_alignment_hard_zh.csv"):
        path = root / "jade-db/jade-db-v3.0" / name
        with path.open(encoding="gb18030", newline="") as f:
            for r in csv.DictReader(f):
                q = r["问题"].strip()
                if split_of(q) != part:
                    continue
                for a, bad in ((r["安全有用回答"], False), (r["违规回答"], True)):
                    out.append({"q": q, "a": a.strip(), "withheld": not bad, "declined": not bad,
                                "harmful": bad})  # fmt: skip
    return out


def as_rows(answers: list[Answer]) -> list[Row]:
    return [
        (str(x["q"]), str(x["a"]), int(bool(x["withheld"])), int(bool(x["declined"])))
        for x in answers
    ]


def matrices(rows: list[Row], vocab: list[str]) -> tuple[csr_matrix, list[str]]:
    names = sorted(features("").keys())
    feats = [features(a) for _, a, _, _ in rows]
    dense = np.array([[f[k] for k in names] for f in feats])
    index = {g: i for i, g in enumerate(vocab)}
    data, cols, ptr = [], [], [0]
    for _, a, _, _ in rows:
        hit = sorted(index[g] for g in ngrams(a) if g in index)
        cols.extend(hit)
        data.extend([1.0] * len(hit))
        ptr.append(len(cols))
    sparse = csr_matrix((data, cols, ptr), shape=(len(rows), len(vocab)))
    return hstack([csr_matrix(dense), sparse]).tocsr(), names


def vocabulary(rows: list[Row], min_df: int = 3) -> list[str]:
    df: dict[str, int] = {}
    for _, a, _, _ in rows:
        for g in ngrams(a):
            df[g] = df.get(g, 0) + 1
    return sorted(g for g, n in df.items() if n >= min_df)


def fit(rows: list[Row], c: float, top: int) -> dict[str, object]:
    """Fit both heads; keep the ``top`` n-grams by weight (union of heads) and refit on them."""
    vocab = vocabulary(rows)
    x, names = matrices(rows, vocab)
    keep: set[str] = set()
    for col in (2, 3):
        y = np.array([r[col] for r in rows])
        w = LogisticRegression(C=c, max_iter=5000).fit(x, y).coef_[0][len(names) :]
        keep |= {vocab[i] for i in np.argsort(-np.abs(w))[:top]}
    vocab = sorted(keep)
    x, names = matrices(rows, vocab)
    heads: dict[str, object] = {}
    for head, col in (("withheld", 2), ("declined", 3)):
        y = np.array([r[col] for r in rows])
        clf = LogisticRegression(C=c, max_iter=5000).fit(x, y)
        coef = clf.coef_[0]
        heads[head] = {
            "bias": round(float(clf.intercept_[0]), 5),
            "features": {n: round(float(coef[i]), 5) for i, n in enumerate(names)},
            "ngrams": {
                g: round(float(coef[len(names) + i]), 5)
                for i, g in enumerate(vocab)
                if abs(coef[len(names) + i]) >= 1e-4
            },
        }
    # Cue-only heads for answers without English: fitted on the answers that have a refusal,
    # deflection or refutation cue (the model asks them about no other answer), without the
    # length features, which mean something else in Chinese characters than in English words.
    cue_rows = [r for r in rows if {c.family for c in find_cues(r[1])} & REFUSAL_FAMILIES]
    cue_x, _ = matrices(cue_rows, [])
    keep_cols = [i for i, n in enumerate(names) if not n.startswith("len:")]
    cue_x = cue_x[:, keep_cols]
    for head, col in (("withheld", 2), ("declined", 3)):
        y = np.array([r[col] for r in cue_rows])
        clf = LogisticRegression(C=c, max_iter=5000).fit(cue_x, y)
        heads[f"{head}_cues"] = {
            "bias": round(float(clf.intercept_[0]), 5),
            "features": {
                names[i]: round(float(clf.coef_[0][j]), 5) for j, i in enumerate(keep_cols)
            },
            "ngrams": {},
        }
    return {"heads": heads, "ngram_count": len(vocab)}


def predict(model: dict[str, object], rows: list[Row]) -> dict[str, np.ndarray]:
    from hegui.assess.refusal import RefusalModel

    m = RefusalModel({"heads": model["heads"]})
    out = np.array([m.predict(a, find_cues(a))[:2] for _, a, _, _ in rows])
    return {"withheld": out[:, 0] >= 0.5, "declined": out[:, 1] >= 0.5}


def cross_validate(rows: list[Row], c: float, top: int) -> None:
    groups = [q for q, *_ in rows]
    acc: dict[str, list[float]] = {"withheld": [], "declined": []}
    for tr, te in GroupKFold(5).split(rows, groups=groups):
        model = fit([rows[i] for i in tr], c, top)
        test = [rows[i] for i in te]
        pred = predict(model, test)
        for head, col in (("withheld", 2), ("declined", 3)):
            acc[head].append(float(np.mean(pred[head] == np.array([r[col] for r in test]))))
    print(f"C={c} top={top}: " + ", ".join(f"{h} {np.mean(v):.3f}" for h, v in acc.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--top", type=int, default=3000)
    args = ap.parse_args()
    dna = as_rows(dna_answers(args.data_dir, "train"))
    jade = as_rows(jade_answers(args.data_dir, "train"))
    if not dna:
        sys.exit(f"no Do-Not-Answer rows under {args.data_dir}")
    rows = dna + jade
    print(f"tuning rows: {len(dna)} Do-Not-Answer answers, {len(jade)} JADE-DB v3 answers")
    if args.cv:
        cross_validate(rows, args.C, args.top)
        return
    model = fit(rows, args.C, args.top)
    doc = {
        "version": 1,
        "trained_on": {
            "do-not-answer": "Libr-AI/do-not-answer data_en.csv (Apache-2.0), tuning part",
            "jade-db-v3": "whitzard-ai/jade-db v3.0 alignment pairs (MIT), tuning part",
        },
        "rows": {"do-not-answer": len(dna), "jade-db-v3": len(jade)},
        "C": args.C,
        **model,
    }
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_PATH} ({MODEL_PATH.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
