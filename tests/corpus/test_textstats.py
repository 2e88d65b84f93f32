"""Script counts, shingles and MinHash LSH keys computed a chunk at a time on numpy."""

from __future__ import annotations

import random
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.corpus.quality import QualityRules, language
from hegui.corpus.textstats import BANDS, SHINGLE, jaccard, shingle_set, text_stats


def _fold_reference(text: str) -> str:
    """The folding rule written plainly: letters, digits and non-spacing marks, lower-cased,
    full-width ASCII folded; everything else (spaces, punctuation, symbols) dropped."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp > 0xFFFF:
            if cp < 0xF0000:
                out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat[0] in "LN" or cat == "Mn":
            if 0xFF01 <= cp <= 0xFF5E:
                ch = chr(cp - 0xFEE0)
            out.append(ch.lower()[0])
    return "".join(out)


def _jaccard_reference(a: str, b: str) -> float:
    fa, fb = _fold_reference(a), _fold_reference(b)
    sa = {fa[i : i + SHINGLE] for i in range(len(fa) - SHINGLE + 1)}
    sb = {fb[i : i + SHINGLE] for i in range(len(fb) - SHINGLE + 1)}
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


TEXT = st.text(
    alphabet=st.sampled_from(list("abcdeABCDE 12，。的了是在我有他這𠀀ｆｕｌ、!?\t\n")), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT)
def test_jaccard_of_shingle_sets_equals_the_plain_set_definition(a: str, b: str) -> None:
    assert jaccard(shingle_set(a), shingle_set(b)) == pytest.approx(_jaccard_reference(a, b))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=8))
def test_chunk_counts_equal_per_text_counts(texts: list[str]) -> None:
    together = text_stats(texts)
    for i, text in enumerate(texts):
        alone = text_stats([text])
        folded = _fold_reference(text)
        assert together.chars[i] == len(text)
        assert together.shingles[i] == alone.shingles[0] == max(0, len(folded) - SHINGLE + 1)
        assert together.distinct[i] == shingle_set(text).size
        assert (together.bands[i] == alone.bands[0]).all()


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("你好，世界", {"cjk": 4, "letters": 4, "latin": 0}),
        ("Hello, World", {"latin": 10, "letters": 10}),
        ("ｆｕｌｌ", {"latin": 4}),
        ("カタカナとかな", {"kana": 7}),
        ("한국어", {"hangul": 3}),
        ("Привет", {"cyrillic": 6}),
        ("𠀀𠀁", {"cjk": 2, "letters": 2}),
        ("bad\ufffd\x00\ue000", {"garbage": 3, "latin": 3}),
        ("\U000f0001", {"garbage": 1}),
        ("tab\tnew\nline", {"garbage": 0}),
    ],
)
def test_script_counts(text: str, counts: dict[str, int]) -> None:
    stats = text_stats([text])
    for name, expected in counts.items():
        assert int(getattr(stats, name)[0]) == expected, name


def _edit(text: str, rate: float, rng: random.Random) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FFF)) if rng.random() < rate else c for c in text)


def test_lsh_finds_near_copies_and_ignores_unrelated_texts() -> None:
    rng = random.Random(7)
    base = ["".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(400)) for _ in range(200)]
    near = [_edit(t, 0.01, rng) for t in base]  # Jaccard ≈ 0.95
    stats_base, stats_near = text_stats(base), text_stats(near)
    shared = (stats_base.bands == stats_near.bands).any(axis=1)
    assert shared.mean() >= 0.99
    unrelated = (stats_base.bands[:-1] == stats_near.bands[1:]).any(axis=1)
    assert not unrelated.any()


def test_texts_without_shingles_have_no_band_keys() -> None:
    stats = text_stats(["", "abcd", "，。！", "abcde"])
    assert (stats.bands[:3] == 0).all()
    assert (stats.bands[3] != 0).all()
    assert stats.bands.shape == (4, BANDS)


def test_identical_texts_have_identical_keys_in_any_chunk_position() -> None:
    text = "同一段文字出现在不同的位置，也应该得到同样的签名。"
    stats = text_stats(["别的内容在前面" * 3, text, "x", text])
    assert np.array_equal(stats.bands[1], stats.bands[3])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天的天气非常好，适合出去走走。", "zh"),
        ("This is an ordinary English sentence about the weather in the city.", "en"),
        ("Dies ist ein ganz normaler deutscher Satz über das Wetter.", "latin"),
        ("東京の天気はとても良いです。", "ja"),
        ("오늘 날씨가 좋습니다", "ko"),
        ("Погода сегодня хорошая", "cyrillic"),
        ("12345 !!!", "none"),
        ("我们用 Python 写了一个 web server 的 demo 程序", "zh"),
    ],
)
def test_language_by_script(text: str, expected: str) -> None:
    assert language(text_stats([text]), 0, text) == expected


def test_quality_rules_name_each_failure() -> None:
    texts = [
        "短",
        "哈" * 400,
        "正常的一句话，内容完整，长度也足够。",
        "x\ufffd\ufffd\ufffd\ufffdyz abc",
    ]
    stats = text_stats(texts)
    rules = QualityRules(min_chars=10, languages=("zh",))
    reasons = [rules.reasons(stats, i, language(stats, i, t)) for i, t in enumerate(texts)]
    assert reasons[0] == ["too_short"]
    assert reasons[1] == ["repetitive"]
    assert reasons[2] == []
    assert set(reasons[3]) == {"garbage_characters", "language"}
