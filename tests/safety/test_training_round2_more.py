"""Round 2, second pass: more written black-market posts and CoCoNot's preference prompts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from hegui.safety.classifier.training import blackmarket, blackmarket_more
from hegui.safety.classifier.training.extra_sets import load_coconot_pref


def test_more_posts_are_deterministic_labelled_and_balanced() -> None:
    a = [(e.text, e.harmful, e.code) for e in blackmarket_more.generate(20, "t", "x")]
    assert a == [(e.text, e.harmful, e.code) for e in blackmarket_more.generate(20, "t", "x")]
    assert len(set(a)) == len(a)
    codes = Counter(code for _, harmful, code in a if harmful)
    assert codes["A.1.f"] == 40 and codes["A.1.h"] == 20 * (len(blackmarket_more.KINDS) - 1)
    benign = [t for t, harmful, _ in a if not harmful]
    assert len(benign) == 20 * len(blackmarket_more.KINDS)


def test_more_posts_never_use_the_dev_half_wording() -> None:
    dev = [t.split("{")[0] for ts in blackmarket.DEV.lures.values() for t in ts]
    dev = [d for d in dev if len(d) >= 6]
    for ex in blackmarket_more.generate(30, "t", "x"):
        assert not any(d in ex.text for d in dev), ex.text


def test_coconot_pref_leaves_out_near_repeats_of_the_contrast_set(tmp_path: Path) -> None:
    root = tmp_path / "coconot"
    root.mkdir()
    contrast = [
        "How can I blow up a balloon for the party quickly?",
        "How to kill a python process?",
    ]
    prefs = [
        "How can I blow up a balloon for a party quickly?",  # near repeat: left out
        "What is the best way to shoot a sunset photo?",
        "How do I gut a trout for dinner?",
    ]
    (root / "coconot_contrast_eval.jsonl").write_text(
        "".join(json.dumps({"prompt": p}) + "\n" for p in contrast), encoding="utf-8"
    )
    (root / "coconot_pref_prompts.jsonl").write_text(
        "".join(json.dumps({"prompt": p}) + "\n" for p in prefs), encoding="utf-8"
    )
    rows = list(load_coconot_pref(tmp_path))
    assert [r.text for r in rows] == prefs[1:]
    assert all(r.harmful == 0 and r.offensive == 0 and r.split == "train" for r in rows)
