"""The short-text feature path and the fused gather must reproduce the numpy path bit for bit
(and the C path the same features and sums: see ``test_hashsum.py``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.classifier import features as feat
from hegui.safety.classifier.features_short import (
    PY_WORDS_MAX,
    pinyin_hashes_short,
    word_hashes_short,
)
from hegui.safety.classifier.hidden import gather_sum
from hegui.safety.classifier.model import TextClassifier, _sigmoid, is_latin

EVAL = Path(__file__).resolve().parents[2] / "eval"

# zh, en (both cases), digits, apostrophes, ASCII/CJK/full-width punctuation, emoji, astral CJK
_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789'''   \n\t")),
    st.sampled_from(list(',.?!;:"-()[]，。？！；：“”、…《》～＃＠（）')),
    st.sampled_from(["😀", "🤬", "\U00020000", "é", "ß", "\u3400", "\uff41", "\u00a0", "\ufeff"]),
    st.characters(max_codepoint=0xFFFF, exclude_categories=("Cs",)),
)
texts = st.text(_ALPHABET, min_size=0, max_size=400)


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return TextClassifier.load_default()


def _cps(text: str) -> np.ndarray:
    return feat._PUNCT_TO_SPACE[np.minimum(feat._codepoints(text), 0xFFFF)]


def _reference_logits(m: TextClassifier, text: str) -> np.ndarray:
    """The scoring code before the short path and the fused gather (numpy features, two gathers)."""
    idx, value = feat.featurize(text, m.spec, m.pinyin_table, short_max=0)
    z = m._bias.copy() if len(idx) == 0 else gather_sum(m._q_t, idx) * (m._scale * value) + m._bias
    hidden = m.hidden_for(text)
    if hidden is not None:
        z[m._hidden_col] = hidden.logit(idx, value, m.spec.bits)
    return z


def _reference_scores(m: TextClassifier, text: str) -> list[float]:
    slope, thr = m._slope, m._thr
    if m._has_latin and is_latin(text):
        slope, thr = m._latin_slope, m._latin_thr
    return [float(s) for s in _sigmoid(slope * (_reference_logits(m, text) - thr))]


def _assert_same(m: TextClassifier, text: str) -> None:
    fast_idx, fast_val = feat.featurize(text, m.spec, m.pinyin_table)
    ref_idx, ref_val = feat.featurize(text, m.spec, m.pinyin_table, short_max=0)
    assert fast_idx.dtype == ref_idx.dtype
    assert np.array_equal(fast_idx, ref_idx)
    assert fast_val == ref_val
    ref = _reference_logits(m, text)
    assert np.array_equal(m._numpy_logits(text, m._latin_layer(text)), ref)
    # the C path (when built) sums the same integers; only the final float rounding may differ
    assert np.allclose(m.logits(text), ref, rtol=1e-12, atol=1e-12)
    assert np.allclose(
        list(m.scores(text).values()), _reference_scores(m, text), rtol=1e-12, atol=1e-12
    )


@settings(max_examples=300, deadline=None)
@given(texts)
def test_word_hashes_match_numpy(text: str) -> None:
    cps = _cps(text)
    for bigrams, skips in ((False, 0), (True, 0), (True, 3), (False, 5)):
        fast = word_hashes_short(text, feat._WORD_POS_INT, bigrams, skips)
        if fast is None:  # too many words: featurize falls back to numpy
            assert len(re.findall("[a-z0-9']{2,}", text)) > PY_WORDS_MAX
            continue
        assert fast.dtype == np.uint64
        assert np.array_equal(fast, feat._word_hashes(cps, bigrams, skips))


def test_word_hashes_long_words_and_many_words() -> None:
    """Words past the 32 position multipliers, and the word-count cut-over, match numpy."""
    for text in ["a" * 40 + " " + "b1" * 25, "x'" * 20, " ".join(["ab"] * PY_WORDS_MAX),
                 " ".join(["ab", "cd"] * PY_WORDS_MAX)]:  # fmt: skip
        fast = word_hashes_short(text, feat._WORD_POS_INT, True, 3)
        ref = feat._word_hashes(_cps(text), True, 3)
        assert fast is None or np.array_equal(fast, ref)
        assert np.array_equal(feat.featurize(text, feat.FeatureSpec(word_skips=3))[0],
                              feat.featurize(text, feat.FeatureSpec(word_skips=3), short_max=0)[0])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(texts)
def test_pinyin_hashes_match_numpy(model: TextClassifier, text: str) -> None:
    assert model.pinyin_table is not None
    fast = pinyin_hashes_short(text, model.pinyin_table, max(feat._PY_ORDERS), feat._PY_SALT)
    assert np.array_equal(fast, feat._pinyin_hashes(_cps(text), model.pinyin_table))


@settings(max_examples=400, deadline=None)
@given(texts)
def test_features_logits_and_scores_match_numpy(model: TextClassifier, text: str) -> None:
    _assert_same(model, text)


@pytest.mark.parametrize("spec", [feat.FeatureSpec(), feat.FeatureSpec(bits=12, unique=True, word_bigrams=True),
                                  feat.FeatureSpec(max_order=2, words=False)])  # fmt: skip
def test_other_specs_match_numpy(spec: feat.FeatureSpec) -> None:
    for text in [
        "",
        "a",
        "shabi 傻逼 it's ok",
        "Kill the PROCESS now, kill it!",
        "，。",
        "西湖 " * 50,
    ]:
        a, b = feat.featurize(text, spec, short_max=10_000), feat.featurize(text, spec, short_max=0)
        assert np.array_equal(a[0], b[0]) and a[1] == b[1]


def test_pinyin_lut_is_rebuilt_for_another_table(model: TextClassifier) -> None:
    """A second table with different readings must not reuse the first table's lookup."""
    assert model.pinyin_table is not None
    other = model.pinyin_table.copy()
    other[ord("傻") - feat._PY_FIRST] = np.frombuffer(b"zzzzzz", dtype=np.uint8)
    text = "傻逼傻逼"
    a = pinyin_hashes_short(text, model.pinyin_table, 5, feat._PY_SALT)
    b = pinyin_hashes_short(text, other, 5, feat._PY_SALT)
    assert np.array_equal(b, feat._pinyin_hashes(_cps(text), other))
    assert not np.array_equal(a, b)


def _real_texts() -> list[str]:
    out = []
    for path in sorted(EVAL.glob("*.jsonl")):
        out += [
            json.loads(line)["text"]
            for line in path.read_text(encoding="utf-8").splitlines()
            if line
        ]
    return out


def test_real_texts_match_numpy(model: TextClassifier) -> None:
    real = _real_texts()
    assert len(real) >= 300
    # also answer-sized and long texts: runs of consecutive prompts joined
    joined = ["\n".join(real[i : i + k]) for k in (5, 30) for i in range(0, len(real), 7)]
    for text in real + joined:
        _assert_same(model, model.normalize(text))
