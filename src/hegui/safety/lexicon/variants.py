"""Spelling variants of Chinese lexicon terms, generated when the lexicon is compiled.

Why here and not in the normaliser: turning *text* into pinyin or undoing ambiguous splits
(女干 is 奸 in 强女干 but not in 女干部) would corrupt ordinary text. Generating the variants of
each *term* keeps them tied to the term's context, costs nothing per request, and the matcher
reports the variant that fired as the pattern.

Generated per CJK term (after normalisation):
- pinyin without tones, joined (``zhadan``), matched with ASCII word boundaries; readings come
  from pypinyin's phrase table when the term is a known phrase, else the first reading of each
  character (polyphones can be wrong: documented limit). Spaced pinyin (``zha dan``) is not
  generated: it would add a pattern per term and slow every scan by ~30 % (benchmarks);
- one split-character substitution at a time (强奸 → 强女干, 炸弹 → 火乍弹);
- one homophone substitution at a time from a short curated table (炸弹 → 炸蛋).
"""

from __future__ import annotations

import unicodedata
from functools import cache

__all__ = ["HOMOPHONES", "SPLITS", "term_variants"]

SPLITS: dict[str, tuple[str, ...]] = {
    "奸": ("女干",),
    "炸": ("火乍",),  # 火 and 弓 are too common to make every text a normaliser candidate
    "强": ("弓虽",),
    "枪": ("木仓",),
    "赌": ("贝者",),
    "婊": ("女表",),
    "妓": ("女支",),
    "娼": ("女昌",),
    "胡": ("古月",),
    "毒": ("母土",),
    "杀": ("乂木",),
    "暴": ("日共水",),
}
"""Characters written as their components; only splits too ambiguous for the normaliser."""

HOMOPHONES: dict[str, tuple[str, ...]] = {
    "弹": ("蛋",),
    "炸": ("榨",),
    "枪": ("抢",),
    "毒": ("独",),
    "杀": ("沙", "刹"),
    "党": ("档", "挡"),
    "共": ("贡",),
    "产": ("铲",),
    "政": ("正",),
    "府": ("腐",),
    "习": ("席",),
    "赌": ("堵",),
    "博": ("搏",),
    "嫖": ("瓢",),
    "色": ("涩",),
    "情": ("晴",),
    "淫": ("银",),
    "奸": ("歼",),
    "恐": ("孔",),
    "怖": ("布",),
    "法": ("珐",),
    "轮": ("抡",),
    "功": ("工",),
    "独": ("毒",),
    "藏": ("脏",),
    "疆": ("江",),
    "黑": ("嘿",),
}
"""Common evasion homophones (same or near reading), kept short on purpose: each entry adds a
pattern per term containing the character, so a broad table would slow every scan."""

_MAX_SUBSTITUTIONS = 6  # per term, so a long term full of listed characters stays cheap
_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


@cache
def _pinyin_tables() -> tuple[dict[int, str], dict[str, list[list[str]]]]:
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict, phrases_dict


def pinyin(term: str) -> list[str] | None:
    """Toneless pinyin syllables of an all-CJK term, or None when a character has no reading."""
    chars, phrases = _pinyin_tables()
    known = phrases.get(term)
    if known is not None and len(known) == len(term):
        readings = [r[0] for r in known]
    else:
        readings = []
        for ch in term:
            r = chars.get(ord(ch))
            if r is None:
                return None
            readings.append(r.split(",")[0])
    out = []
    for r in readings:
        plain = unicodedata.normalize("NFC", r).translate(_TONES)
        if not plain.isascii() or not plain.isalpha():
            return None
        out.append(plain.lower())
    return out


def term_variants(term: str) -> list[tuple[str, str]]:
    """``(variant, kind)`` pairs for a normalised term; kind is pinyin, split or homophone.

    Pinyin variants are ASCII and must be matched with word boundaries; the others are CJK
    substrings. Terms shorter than two CJK characters get no variants (too many false hits).
    """
    if len(term) < 2 or not all(_is_cjk(ch) for ch in term):
        return []
    out: list[tuple[str, str]] = []
    syllables = pinyin(term)
    if syllables:
        out.append(("".join(syllables), "pinyin"))
    count = 0
    for i, ch in enumerate(term):
        for table, kind in ((SPLITS, "split"), (HOMOPHONES, "homophone")):
            for sub in table.get(ch, ()):
                if count < _MAX_SUBSTITUTIONS:
                    out.append((term[:i] + sub + term[i + 1 :], kind))
                    count += 1
    return out
