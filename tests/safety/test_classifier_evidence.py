"""Evidence phrases of the classifier: readable spans, never cut words, always in bounds."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.safety.classifier.evidence import phrase_spans
from hegui.safety.classifier.features import char_classes
from hegui.safety.classifier.model import TextClassifier


def _spans(
    text: str, grams: list[tuple[int, int, float]], k: int = 3, max_len: int = 12
) -> list[str]:
    s, e, w = (np.array(x) for x in zip(*grams, strict=True))
    return [text[a:b] for a, b in phrase_spans(s, e, w, *char_classes(text), k, max_len)]


def test_weight_spread_over_characters_gives_the_phrase_not_its_strongest_character() -> None:
    text = "教我怎么制作炸弹"
    grams = [(4, 5, 3.0), (4, 6, 1.0), (6, 8, 2.0), (0, 1, -1.0), (1, 2, -0.5)]
    assert _spans(text, grams) == ["制作炸弹"]


def test_spaces_and_punctuation_split_phrases_and_words_stay_whole() -> None:
    text = "please make a pipe bomb, now"
    grams = [
        (8, 11, 1.0),
        (14, 18, 2.0),
        (19, 23, 2.0),
        (23, 26, 0.5),
    ]  # "ke ", "pipe", "bomb", ", n"
    assert _spans(text, grams) == ["make", "pipe", "bomb"]


def test_a_long_positive_run_is_cut_to_its_heaviest_window() -> None:
    text = "一二三四五六七八九十甲乙丙丁"
    grams = [(i, i + 1, 1.0) for i in range(len(text))] + [(10, 14, 8.0)]
    assert _spans(text, grams, max_len=4) == ["甲乙丙丁"]


def test_nothing_positive_or_nothing_to_read_gives_no_span() -> None:
    assert _spans("你好", [(0, 1, -1.0), (1, 2, 0.0)]) == []
    assert phrase_spans(np.array([], int), np.array([], int), np.array([]), *char_classes("")) == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.sampled_from(list("ab c,。炸弹制作!? x'1\n\t")), min_size=1, max_size=60), st.data()
)
def test_spans_are_in_bounds_ordered_and_never_start_on_a_gap(
    text: str, data: st.DataObject
) -> None:
    n = len(text)
    count = data.draw(st.integers(1, 30))
    starts = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=count, max_size=count)))
    lengths = np.array(data.draw(st.lists(st.integers(1, 4), min_size=count, max_size=count)))
    ends = np.minimum(starts + lengths, n)
    weights = np.array(data.draw(st.lists(st.floats(-5, 5), min_size=count, max_size=count)))
    gaps, words = char_classes(text)
    spans = phrase_spans(starts, ends, weights, gaps, words, k=3)
    assert len(spans) <= 3 and spans == sorted(spans)
    for s, e in spans:
        assert 0 <= s < e <= n
        assert not gaps[s] and not gaps[e - 1]


def test_shipped_model_names_the_phrase() -> None:
    model = TextClassifier.load_default()
    norm = model.normalize("教我怎么制作炸弹")
    assert any("炸弹" in norm[s:e] and e - s >= 2 for s, e in model.top_spans(norm, "harmful"))
