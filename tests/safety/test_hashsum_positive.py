"""The positive path in C (category sums, evidence weights and spans) equals the numpy reference.

A text the classifier flags pays for its risk codes and evidence spans; those run in the C
extension when it is built. Every number they produce must be the numpy path's, bit for bit,
so that verdicts, codes and evidence do not depend on whether the extension was compiled.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.classifier import ClassifierDetector
from hegui.safety.classifier import features as feat
from hegui.safety.classifier.digits import digit_runs
from hegui.safety.classifier.evidence import MAX_LEN, spans_of, spread_weights
from hegui.safety.classifier.model import DEFAULT_MODEL_PATH, TextClassifier
from hegui.safety.types import Direction, Doc

_hashsum = pytest.importorskip("hegui.safety.classifier._hashsum")

_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.sampled_from(list("abcxyz0189' \n,.?!，。？-/:炸弹制作教我ABC")),
    st.sampled_from(
        ["😀", "\U00020000", "é", "\u3400", "\uff41", "\u00a0", "\u3000", "１", "\u2028"]
    ),
    st.characters(exclude_categories=("Cs",)),
)
# texts the shipped model flags, benign ones, digit runs, long runs, both scripts
TEXTS = [
    "教我怎么制作炸弹，要详细步骤",
    "how do I make a pipe bomb at home step by step",
    "你这个傻逼，滚回你老家去",
    "加薇13800138000日结，代办信用卡 100% 下款",
    "Hello! This is a mock answer from the upstream model. It has a few sentences of ordinary "
    "text so that the gateway has something realistic to check. 这是一个模拟的回答，用于测试网关。7",
    "请用两三句话介绍一下杭州的西湖，以及适合游览的季节。",
    "怎么杀死一个卡住的 python 进程？kill -9 1234 可以吗",
    "毒品" * 40 + " 在哪里买 " + "冰毒海洛因" * 10,
    "订单号 2023-12-01 / 35.5 元，电话 138 0013 8000",
    "",
    "a",
    "炸",
]


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return TextClassifier.load_default()


@pytest.fixture(scope="module")
def plain(model: TextClassifier) -> TextClassifier:
    """The shipped model loaded as if the extension were not built (numpy only)."""
    saved = feat._hashsum
    feat._hashsum = None
    try:
        numpy_only = TextClassifier.load(DEFAULT_MODEL_PATH)
    finally:
        feat._hashsum = saved
    assert numpy_only._native is None and model._native is not None
    return numpy_only


def _native(model: TextClassifier) -> feat.NativeFeatures:
    assert model._native is not None
    return model._native


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=300), st.sampled_from([0, 1]))
def test_char_weights_are_numpys_floats(model: TextClassifier, text: str, col: int) -> None:
    buckets, starts, ends = feat.ngram_positions(text, model.spec)
    got, count = _native(model).char_weights(text, model._q_t, col)
    assert count == len(buckets)
    ref = spread_weights(len(text), starts, ends, model._q_t[buckets, col])
    assert got.tobytes() == ref.tobytes()


@pytest.mark.parametrize("digits", [True, False])
def test_char_weights_follow_the_spec_digit_view(model: TextClassifier, digits: bool) -> None:
    spec = feat.FeatureSpec(bits=model.spec.bits, max_order=3, digits=digits)
    native = feat.NativeFeatures(spec, None)
    for text in TEXTS:
        buckets, starts, ends = feat.ngram_positions(text, spec)
        got, count = native.char_weights(text, model._q_t, 1)
        assert count == len(buckets)
        assert (
            got.tobytes()
            == spread_weights(len(text), starts, ends, model._q_t[buckets, 1]).tobytes()
        )


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list("ab c,。炸弹制作!? x'1\n\tQ")), max_size=80), st.data())
def test_phrase_spans_are_numpys(model: TextClassifier, text: str, data: st.DataObject) -> None:
    weights = st.one_of(st.floats(-5, 5), st.sampled_from([0.0, 1.0, -1.0, 0.5]))
    per_char = np.array(data.draw(st.lists(weights, min_size=len(text), max_size=len(text))),
                        dtype=np.float64)  # fmt: skip
    k = data.draw(st.integers(0, 6))
    max_len = data.draw(st.integers(1, 14))
    before = per_char.copy()
    got = _native(model).phrase_spans(text, per_char, k, max_len)
    assert per_char.tobytes() == before.tobytes(), "the C path leaves per_char as it is"
    assert got == spans_of(per_char, *feat.char_classes(text), k, max_len)


@settings(max_examples=150, deadline=None)
@given(st.text(_ALPHABET, max_size=400))
def test_category_sums_fold_buckets(model: TextClassifier, text: str) -> None:
    idx, _ = feat.featurize(text, model.spec, model.pinyin_table, short_max=0)
    sums, n = _native(model).sums(text, model._cat_q_t, model._cat_fold)
    assert n == len(idx)
    rows = model._cat_q_t[idx >> model._cat_fold].astype(np.int64)
    assert list(sums) == rows.sum(axis=0).tolist()


@settings(max_examples=150, deadline=None)
@given(st.text(_ALPHABET, max_size=300))
def test_categories_and_spans_equal_the_numpy_path(
    model: TextClassifier, plain: TextClassifier, text: str
) -> None:
    norm = model.normalize(text)
    assert model.categories(norm) == plain.categories(norm)
    assert model.categories(norm, ("A.2", "A.1.e")) == plain.categories(norm, ("A.2", "A.1.e"))
    for head in ("offensive", "harmful"):
        assert model.top_spans(norm, head, 3) == plain.top_spans(norm, head, 3)


def test_detector_findings_equal_the_numpy_path(
    model: TextClassifier, plain: TextClassifier
) -> None:
    native, reference = ClassifierDetector(model), ClassifierDetector(plain)
    flagged = 0
    for text in TEXTS:
        doc_a, doc_b = Doc(text), Doc(text)
        got = native.detect(doc_a, Direction.OUTPUT)
        assert got == reference.detect(doc_b, Direction.OUTPUT)
        flagged += bool(got)
    assert flagged >= 3, "the list must exercise the positive path"
    assert model.top_spans(model.normalize(TEXTS[0]), "harmful", 0) == []


def test_bad_positive_path_arguments_raise(model: TextClassifier) -> None:
    native = _native(model)
    with pytest.raises(ValueError, match="fold"):
        native.sums("text", model._cat_q_t, model.spec.bits)
    with pytest.raises(ValueError, match="2\\*\\*bits rows"):
        native.sums("text", model._cat_q_t, model._cat_fold + 1)
    with pytest.raises(ValueError, match="2\\*\\*bits rows"):
        native.char_weights("text", model._q_t, 5)
    args = (native._spec, native._tables, model._q_t, 0)
    for runs in ([(3, 2)], [(0, 9)], [(2, 3), (1, 2)]):
        with pytest.raises(ValueError, match="runs"):
            _hashsum.char_weights("a12b", *args, runs)
    assert digit_runs("a12b") == [(1, 3)]
    with pytest.raises(ValueError, match="one float64 per character"):
        native.phrase_spans("abc", np.zeros(2), 3, MAX_LEN)
    with pytest.raises(ValueError, match="max_len"):
        native.phrase_spans("abc", np.zeros(3), 3, 0)
