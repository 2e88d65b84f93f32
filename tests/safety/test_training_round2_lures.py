"""Round 2, fourth pass: the third and fourth rounds of written black-market posts."""

from __future__ import annotations

from collections import Counter
from types import ModuleType

import pytest

from hegui.safety.classifier.training import blackmarket, blackmarket_goods, blackmarket_lures


@pytest.mark.parametrize("module", [blackmarket_goods, blackmarket_lures])
def test_posts_are_deterministic_labelled_and_balanced(module: ModuleType) -> None:
    generate, kinds = module.generate, module.KINDS
    a = [(e.text, e.harmful, e.code, e.split) for e in generate(10, "t", "x")]
    assert a == [(e.text, e.harmful, e.code, e.split) for e in generate(10, "t", "x")]
    assert len({t for t, *_ in a}) == len(a), "no text twice"
    harmful = Counter(code for _, bad, code, _ in a if bad)
    assert sum(harmful.values()) == 10 * len(kinds) and set(harmful) <= {"A.1.f", "A.1.h"}
    assert sum(1 for _, bad, _, _ in a if not bad) == 10 * len(kinds), "as many look-alikes"
    assert {split for *_, split in a} == {"train"}


@pytest.mark.parametrize("module", [blackmarket_goods, blackmarket_lures])
def test_posts_never_use_the_dev_half_wording(module: ModuleType) -> None:
    dev = [t.split("{")[0] for ts in blackmarket.DEV.lures.values() for t in ts]
    dev = [d for d in dev if len(d) >= 6]
    for ex in module.generate(30, "t", "x"):
        assert not any(d in ex.text for d in dev), ex.text
