"""The failure-mode dev sets of issue 13, built in memory from ``../shared/data`` (never committed:
they hold rows of the public sets).

Every item is ``{"text", "label", "mode", "category"}`` (label 1 = must be caught, 0 = must pass).
Items come only from the dev half of the permissive sets (the same stable text hash that keeps
them out of training), from sets kept whole for evaluation (CoCoNot's contrast set), from the
hand-written dev sets in ``eval/``, and from the ``DEV`` halves of hegui's written black-market
posts and Chinese wrappers, whose templates and wording differ from the training halves.
Sampling is seeded, so the sets are the same on every run. ``benchmarks/failure_modes.py``
measures them.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hegui.safety.classifier.training import blackmarket, wrappers_zh
from hegui.safety.classifier.training.datasets import Example, load_cold
from hegui.safety.classifier.training.extra_sets import EXTRA_LOADERS
from hegui.safety.classifier.training.round2 import jade_questions

EVAL = Path(__file__).resolve().parents[5] / "eval"


def _dev(rows: Iterable[Example]) -> list[Example]:
    return [ex for ex in rows if ex.split == "dev"]


def _items(
    rows: Iterable[tuple[str, int, str]], mode: str, cap: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    rows = sorted(set(rows))
    if cap is not None and len(rows) > cap:
        rows = sorted(random.Random(f"{mode}-{seed}").sample(rows, cap))
    return [{"text": t, "label": y, "mode": mode, "category": c} for t, y, c in rows]


def _eval_file(name: str) -> list[str]:
    """Texts of a hand-written dev set in the checkout's ``eval/`` (none when not a checkout)."""
    path = EVAL / name
    if not path.is_file():
        return []
    return [
        json.loads(line)["text"]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def build(data: Path) -> dict[str, list[dict[str, Any]]]:
    """Mode name → items."""
    modes: dict[str, list[dict[str, Any]]] = {}
    bm = list(blackmarket.generate(blackmarket.DEV, 30, "blackmarket-dev", "dev"))
    modes["blackmarket_zh"] = _items(
        [(ex.text, int(bool(ex.harmful)), ex.code or "benign-lookalike") for ex in bm],
        "blackmarket_zh",
    )
    questions = jade_questions(data, "dev")
    wrapped = list(wrappers_zh.wrap(wrappers_zh.DEV, questions, wrappers_zh.BENIGN_TASKS_DEV, 70,
                                    "wrappers-dev", "dev"))  # fmt: skip
    modes["jailbreak_zh"] = _items([(ex.text, int(bool(ex.harmful)), ex.code or "benign-roleplay")
                                    for ex in wrapped], "jailbreak_zh")  # fmt: skip
    tech = _dev(EXTRA_LOADERS["secgpt"](data)) + _dev(EXTRA_LOADERS["gaokao"](data))
    modes["benign_tech_zh"] = _items([(ex.text, 0, ex.source) for ex in tech], "benign_tech_zh")
    en = [
        (t, 0, "coconot-contrast")
        for t in (ex.text for ex in EXTRA_LOADERS["coconot-contrast"](data))
    ]
    en += [(ex.text, 0, "self-instruct") for ex in _dev(EXTRA_LOADERS["self-instruct"](data))]
    en += [(t, 0, "eval/overrefusal_en") for t in _eval_file("overrefusal_en.jsonl")]
    modes["benign_en_risky"] = _items(en, "benign_en_risky")
    social = [
        (ex.text, 0, "cold-nonoffensive") for ex in _dev(load_cold(data)) if ex.offensive == 0
    ]
    social = random.Random(1).sample(sorted(social), 700)
    social += [(ex.text, 0, ex.source) for name in ("kdconv", "crosswoz")
               for ex in random.Random(2).sample(_dev(EXTRA_LOADERS[name](data)), 150)]  # fmt: skip
    modes["benign_social_zh"] = _items(social, "benign_social_zh")
    en_off = [
        (ex.text, int(ex.offensive or 0), f"davidson-{ex.code or 'neither'}")
        for ex in _dev(EXTRA_LOADERS["davidson"](data))
    ]
    en_off = random.Random(3).sample(sorted(en_off), 700)
    en_off += [(ex.text, int(ex.offensive or 0), f"hatecheck-{ex.code or 'non-hateful'}")
               for ex in _dev(EXTRA_LOADERS["hatecheck"](data))]  # fmt: skip
    modes["offensive_en"] = _items(en_off, "offensive_en")
    zh_off = [
        (ex.text, int(ex.offensive or 0), f"cold-{ex.code or 'non-offensive'}")
        for ex in _dev(load_cold(data))
    ]
    zh_off = random.Random(4).sample(sorted(zh_off), 1200)
    zh_off += [(ex.text, int(ex.offensive or 0), f"mhc-zh-{ex.code or 'non-hateful'}")
               for ex in _dev(EXTRA_LOADERS["mhc-zh"](data))]  # fmt: skip
    modes["offensive_zh"] = _items(zh_off, "offensive_zh")
    refuse = [(q, 1, code or "jade") for q, code in questions]
    refuse += [(t, 1, "eval/harmful_plain_zh") for t in _eval_file("harmful_plain_zh.jsonl")]
    modes["mustrefuse_zh"] = _items(refuse, "mustrefuse_zh")
    return modes
