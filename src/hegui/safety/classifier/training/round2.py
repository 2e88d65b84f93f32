"""Round-2 training rows: the new permissive sets plus hegui's written black-market posts and
Chinese jailbreak / role-play wrappers (their ``TRAIN`` halves; the ``DEV`` halves build the
failure-mode dev sets in ``eval/modes/``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from hegui.safety.classifier.training import (
    blackmarket,
    blackmarket_goods,
    blackmarket_lures,
    blackmarket_more,
    numbers,
    wrappers_zh,
)
from hegui.safety.classifier.training.datasets import Example, load_jade
from hegui.safety.classifier.training.extra_sets import EXTRA_LOADERS

__all__ = ["DEV_ONLY", "TEMPLATED", "jade_questions", "load_round2"]

DEV_ONLY = frozenset({"coconot-contrast"})
"""Sets kept whole for the dev sets (CoCoNot's contrast set is the English benign-risky-word
dev set's core: training on any of it would leave too few items to measure on)."""

TEMPLATED = frozenset({"hatecheck", "mhc-zh"})
"""Template-generated sets: many near-copies of one sentence, so each row counts half."""

_CJK = re.compile(r"[\u4e00-\u9fff]")


def jade_questions(root: Path, split: str) -> list[tuple[str, str | None]]:
    """Chinese JADE-DB harmful questions of one split, with their codes (short ones only)."""
    return sorted({(ex.text, ex.code) for ex in load_jade(root)
                   if ex.source == "jade" and ex.split == split and _CJK.search(ex.text)
                   and len(ex.text) <= 80}, key=lambda q: (q[0], q[1] or ""))  # fmt: skip


def load_round2(root: Path, written: bool = True, more_posts: bool = False) -> Iterator[Example]:
    """Rows of the new sets (missing ones skipped) and, with ``written``, of the generators of
    hegui's written black-market posts, Chinese wrappers and benign texts full of numbers
    (≈ 13,000 rows); ``more_posts`` adds the third and fourth rounds of posts
    (:mod:`.blackmarket_goods`, :mod:`.blackmarket_lures`: 4,400 rows, half benign), measured
    and not in the shipped model (docs/benchmarks.md, "Round 2, fourth pass")."""
    for name, loader in EXTRA_LOADERS.items():
        if name in DEV_ONLY:
            continue
        try:
            yield from loader(root)
        except FileNotFoundError:
            continue
    if not written:
        return
    yield from blackmarket.generate(blackmarket.TRAIN, 25, "blackmarket-train", "hegui-blackmarket")
    yield from blackmarket.compose(400, "blackmarket-composed", "hegui-blackmarket")
    yield from blackmarket_more.generate(300, "blackmarket-more", "hegui-blackmarket")
    if more_posts:
        yield from blackmarket_goods.generate(120, "blackmarket-goods", "hegui-blackmarket")
        yield from blackmarket_lures.generate(100, "blackmarket-lures", "hegui-blackmarket")
    yield from numbers.generate(8, "numbers", "hegui-numbers")
    questions = jade_questions(root, "train") if (root / "jade-db").is_dir() else []
    if questions:
        yield from wrappers_zh.wrap(wrappers_zh.TRAIN, questions, wrappers_zh.BENIGN_TASKS_TRAIN,
                                    40, "wrappers-train", "hegui-wrappers")  # fmt: skip
