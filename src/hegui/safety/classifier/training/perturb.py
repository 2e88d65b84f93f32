"""Evasion-style perturbations: training augmentation and the robustness benchmark.

Users dodge filters with homophones (傻→煞), traditional characters, zero-width characters,
spaced-out characters and pinyin for sensitive words. The normaliser undoes some of these; the
rest the model must learn, so training adds perturbed copies of a share of its rows
(:func:`augment`) and ``benchmarks/quality.py`` measures the F1 drop on perturbed dev copies.
All functions take an explicit ``random.Random`` so results are reproducible.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hegui.safety.classifier.training.datasets import Example

__all__ = ["PERTURBATIONS", "augment", "perturb"]

_CJK_RUN = re.compile("[\u4e00-\u9fff]{2,}")


@cache
def _common_chars() -> list[str]:
    """The 3,755 level-1 GB2312 characters: the pool homophones are drawn from."""
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return out


@cache
def _homophones() -> dict[str, list[str]]:
    from pypinyin import lazy_pinyin

    chars = _common_chars()
    by_sound: dict[str, list[str]] = {}
    for ch, py in zip(chars, lazy_pinyin(chars), strict=True):
        by_sound.setdefault(py, []).append(ch)
    return {ch: [o for o in group if o != ch] for group in by_sound.values() for ch in group}


def homophones(text: str, rng: random.Random, share: float = 0.2) -> str:
    table = _homophones()
    return "".join(
        rng.choice(table[ch]) if table.get(ch) and rng.random() < share else ch for ch in text
    )


def traditional(text: str, rng: random.Random) -> str:
    del rng
    return _s2t()(text)


@cache
def _s2t() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("s2t").convert


def zero_width(text: str, rng: random.Random, share: float = 0.3) -> str:
    marks = ("\u200b", "\u200c", "\u200d", "\ufeff")
    return "".join(ch + rng.choice(marks) if rng.random() < share else ch for ch in text)


def spaced(text: str, rng: random.Random) -> str:
    del rng
    return _CJK_RUN.sub(lambda m: " ".join(m.group()), text)


def pinyin(text: str, rng: random.Random, share: float = 0.3) -> str:
    """Replace some two-character stretches with their toneless pinyin (傻逼 → shabi)."""
    from pypinyin import lazy_pinyin

    def sub(m: re.Match[str]) -> str:
        run = m.group()
        out, i = [], 0
        while i < len(run):
            if i + 1 < len(run) and rng.random() < share:
                out.append("".join(lazy_pinyin(run[i : i + 2])))
                i += 2
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    return _CJK_RUN.sub(sub, text)


PERTURBATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "homophone": homophones,
    "traditional": traditional,
    "zero_width": zero_width,
    "spaced": spaced,
    "pinyin": pinyin,
}


def perturb(text: str, kind: str, rng: random.Random) -> str:
    """``text`` with one named perturbation applied."""
    return PERTURBATIONS[kind](text, rng)


def augment(rows: Sequence[Example], share: float, seed: int) -> list[Example]:
    """Perturbed copies of a seeded random ``share`` of the Chinese rows (same labels)."""
    rng = random.Random(f"augment:{seed}")
    kinds = ("homophone", "pinyin")  # the others are undone by normalisation
    out = []
    for ex in rows:
        if _CJK_RUN.search(ex.text) and rng.random() < share:
            text = perturb(ex.text, rng.choice(kinds), rng)
            if text != ex.text:
                out.append(replace(ex, text=text, source=ex.source + "+aug"))
    return out
