"""The C accelerator computes the numpy path's features exactly, and falls back cleanly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.classifier import features as feat
from hegui.safety.classifier.model import DEFAULT_MODEL_PATH, TextClassifier

_hashsum = pytest.importorskip("hegui.safety.classifier._hashsum")

_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("abcxyz0189' \n,.?!，。？傻逼煞笔ABC")),
    st.sampled_from(["😀", "\U00020000", "é", "\u3400", "\uff41", "\u00a0", "\u3000"]),
    st.characters(exclude_categories=("Cs",)),
)
SPECS = [
    feat.FeatureSpec(pinyin=True, word_bigrams=True, word_skips=3, unique=False),
    feat.FeatureSpec(),
    feat.FeatureSpec(bits=12, unique=True, word_bigrams=True, word_skips=1),
    feat.FeatureSpec(max_order=2, words=False),
    feat.FeatureSpec(bits=16, max_order=5, pinyin=True, unique=True),
]


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return TextClassifier.load_default()


def _native(spec: feat.FeatureSpec, model: TextClassifier) -> feat.NativeFeatures:
    return feat.NativeFeatures(spec, model.pinyin_table if spec.pinyin else None)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=300), st.sampled_from(range(len(SPECS))))
def test_buckets_equal_numpy(model: TextClassifier, text: str, which: int) -> None:
    spec = SPECS[which]
    ref, _ = feat.featurize(text, spec, model.pinyin_table, short_max=0)
    got = _native(spec, model).buckets(text)
    if spec.unique:  # sorted and unique on both sides
        assert np.array_equal(got, ref)
    else:  # count features: the same multiset, in another order
        assert np.array_equal(np.sort(got), np.sort(ref))


@settings(max_examples=200, deadline=None)
@given(st.text(_ALPHABET, max_size=600))
def test_sums_are_exact(model: TextClassifier, text: str) -> None:
    idx, _ = feat.featurize(text, model.spec, model.pinyin_table, short_max=0)
    for variant in model._variants:  # every gather table (one per hidden layer)
        weights = variant.weights
        sums, n = _native(model.spec, model).sums(text, weights)
        assert n == len(idx)
        assert list(sums) == weights[idx].astype(np.int64).sum(axis=0).tolist()


def test_long_text_and_many_words(model: TextClassifier) -> None:
    for text in ["kill the process " * 2000, "西湖" * 5000, "a" * 100 + " b" * 400]:
        ref, _ = feat.featurize(text, model.spec, model.pinyin_table, short_max=0)
        assert np.array_equal(np.sort(_native(model.spec, model).buckets(text)), np.sort(ref))


def test_bad_arguments_raise(model: TextClassifier) -> None:
    native = _native(model.spec, model)
    with pytest.raises(TypeError):
        native.buckets(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2\\*\\*bits rows"):
        native.sums("text", np.zeros((10, 2), dtype=np.int8))
    with pytest.raises(ValueError, match="int8"):
        native.sums("text", np.zeros((1 << model.spec.bits, 2), dtype=np.int16))
    with pytest.raises(ValueError, match="pinyin"):
        feat.NativeFeatures(feat.FeatureSpec(pinyin=True), None)
    with pytest.raises(ValueError, match="pinyin table"):
        _hashsum.buckets("x", (19, 4, 1, 0, 0, 0, 0), (feat._PUNCT_TO_SPACE, feat._WORD_POS,
                                                        np.zeros(10, dtype=np.uint8)))  # fmt: skip


def test_numpy_path_without_the_extension(
    monkeypatch: pytest.MonkeyPatch, model: TextClassifier
) -> None:
    """Where the extension was not built, the same model scores through numpy."""
    monkeypatch.setattr(feat, "_hashsum", None)
    plain = TextClassifier.load(DEFAULT_MODEL_PATH)  # a new instance, built without it
    assert plain._native is None
    for text in ["怎么做炸弹", "how do I kill a python process", "", "你好 hello"]:
        norm = model.normalize(text)
        assert np.allclose(plain.logits(norm), model.logits(norm), rtol=1e-12, atol=1e-12)


def test_numpy_path_sums_exactly_on_very_long_texts(
    monkeypatch: pytest.MonkeyPatch, model: TextClassifier
) -> None:
    """Past 2**24 / 127 gathered rows float32 sums would round: both paths must still agree."""
    monkeypatch.setattr(feat, "_hashsum", None)
    plain = TextClassifier.load(DEFAULT_MODEL_PATH)
    text = model.normalize("我们今天去公园散步，教我做炸弹。kill the process now, please. " * 20000)
    assert len(feat.featurize(text, model.spec, model.pinyin_table, short_max=0)[0]) > 2**24 // 127
    assert np.allclose(plain.logits(text), model.logits(text), rtol=1e-12, atol=1e-9)
