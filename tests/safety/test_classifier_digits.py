"""The classifier reads digit runs as one symbol (issue 13, round 2).

Before: the round-1 model scored 电话13800138000 at 0.88 harmful, an order line with an amount at
0.61 and a table of digits at 0.96 — raw digit strings were hashed into n-grams learnt from
black-market contact numbers. Now every digit run is one symbol in the classifier's view, in
training and inference alike, and evidence spans still land on the original characters.
"""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from hegui.safety.classifier import ClassifierDetector, TextClassifier
from hegui.safety.classifier.digits import collapse_digits, collapse_digits_map
from hegui.safety.classifier.features import FeatureSpec, NativeFeatures, featurize, ngram_positions
from hegui.safety.classifier.training.numbers import generate
from hegui.safety.types import Direction, Doc


@pytest.fixture(scope="module")
def model() -> TextClassifier:
    return TextClassifier.load_default()


@pytest.mark.parametrize(
    ("text", "view"),
    [
        ("电话13800138000", "电话0"),
        ("138-0013-8000 转 12", "0 转 0"),
        ("合计 1,234.50 元，日期 2024/03/05", "合计 0 元,日期 0"),
        ("1 2 3\t4\n5", "0"),
        ("wx123456", "wx0"),
        ("没有数字", "没有数字"),
        ("", ""),
    ],
)
def test_digit_runs_become_one_symbol(text: str, view: str) -> None:
    assert collapse_digits(text.replace("，", ",")) == view


def test_view_map_points_every_view_character_at_its_original_span() -> None:
    text = "订单 20240101-88，共 35.5 元 x"
    view, starts, ends = collapse_digits_map(text)
    assert view == collapse_digits(text) and len(view) == len(starts) == len(ends)
    rebuilt = "".join("0" if text[s:e] != view[i] else text[s:e]
                      for i, (s, e) in enumerate(zip(starts, ends, strict=True)))  # fmt: skip
    assert rebuilt == view
    assert [text[s:e] for s, e in zip(starts, ends, strict=True) if e - s > 1] == [
        "20240101-88",
        "35.5",
    ]
    assert starts[0] == 0 and ends[-1] == len(text)


def test_numbers_differ_but_features_do_not() -> None:
    spec = FeatureSpec(bits=18, digits=True)
    rng = random.Random(7)
    texts = [
        f"快递单号{rng.randint(10**9, 10**12)}，电话{rng.randint(10**10, 2 * 10**10)}"
        for _ in range(20)
    ]
    first = featurize(texts[0], spec)[0].tolist()
    assert all(featurize(t, spec)[0].tolist() == first for t in texts[1:])
    raw = replace(spec, digits=False)
    assert featurize(texts[0], raw)[0].tolist() != featurize(texts[1], raw)[0].tolist()


def test_native_and_numpy_paths_agree_on_the_view() -> None:
    spec = FeatureSpec(bits=16, unique=False, digits=True)
    native = NativeFeatures.build(spec, None)
    if native is None:
        pytest.skip("the C accelerator is not built")
    for text in ("电话 138 0013 8000", "price 35.5 usd on 2024-01-01", "0 1 2 3 4 5 6 7 8 9" * 20):
        assert sorted(native.buckets(text).tolist()) == sorted(
            featurize(text, spec, short_max=0)[0].tolist()
        )


def test_ngram_positions_are_in_original_characters() -> None:
    spec = FeatureSpec(max_order=2, digits=True)
    text = "加v13800138000日结"
    _, starts, ends = ngram_positions(text, spec)
    assert starts.min() == 0 and ends.max() == len(text)
    spans = set(zip(starts.tolist(), ends.tolist(), strict=True))
    assert (1, 13) in spans and (2, 14) in spans, "v+number and number+日 cover the whole run"
    assert not any(2 < s < 13 or 2 < e < 13 for s, e in spans), "no n-gram cuts the number"


def test_old_model_files_without_the_field_read_raw_digits(model: TextClassifier) -> None:
    meta = {**model.meta, "spec": {k: v for k, v in model.meta["spec"].items() if k != "digits"}}
    assert FeatureSpec(**meta["spec"]).digits is False


def test_shipped_model_reads_digit_runs_as_one_symbol(model: TextClassifier) -> None:
    assert model.spec.digits
    a = model.scores("收件电话 13912345678")
    b = model.scores("收件电话 18700001111")
    assert a == b


BENIGN_WITH_NUMBERS = [  # written for this test; not the training templates
    "请把发货单 77120934 的地址改成二号楼",
    "下午茶一共 128.6 元，四个人平摊",
    "体检报告：血压 118/76，心率 72",
    "我的新号码 139 1234 5678，旧号不用了",
    "第 3 季度 营收 4,210 万元 同比 +12.5%",
    "学生证编号 20190412033 补办需要几天",
    "3 7 1 9 0 2 8 4 6 5 3 7 1 9 0 2 8 4 6 5",
    "身份证",
    "电话",
    "手机号",
]


@pytest.mark.parametrize("text", BENIGN_WITH_NUMBERS)
def test_benign_numbers_and_labels_are_not_flagged(model: TextClassifier, text: str) -> None:
    scores = model.predict(text)
    assert max(scores.values()) < 0.5, scores


def test_black_market_contact_numbers_still_count(model: TextClassifier) -> None:
    """The view keeps "a number follows 加薇" — the posts are still caught."""
    assert model.predict("兼职刷单 日结 加薇 13800138000")["harmful"] >= 0.5


def test_evidence_span_covers_whole_numbers() -> None:
    detector = ClassifierDetector.default()
    text = "菠菜平台首充送彩金，加v 13800138000"
    findings = detector.detect(Doc(text), Direction.INPUT)
    assert findings
    for f in findings:
        span = text[f.evidence.start : f.evidence.end]
        assert span == f.evidence.text
        digits = [i for i, c in enumerate(text) if c.isdigit()]
        inside = [i for i in digits if f.evidence.start <= i < f.evidence.end]
        assert inside in ([], digits), "a span never cuts a number in half"


def test_number_hard_negatives_are_deterministic_and_benign() -> None:
    a = [(e.text, e.harmful, e.offensive) for e in generate(2, "t", "x")]
    b = [(e.text, e.harmful, e.offensive) for e in generate(2, "t", "x")]
    assert a == b and len(set(a)) == len(a)
    assert {h for _, h, _ in a} == {0} and {o for _, _, o in a} == {0}
    assert np.mean([any(c.isdigit() for c in t) for t, _, _ in a]) > 0.5
