"""StreamModerator: nothing prohibited is ever released, whatever the chunking."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.gateway.errors import StreamStopError
from hegui.gateway.stream import StreamModerator
from hegui.safety.types import Action

from .doubles import TermChecker

TERMS = {"炸弹制作": "A.1.d", "违禁词": "A.1.h", "forbidden phrase": "A.1.h"}


def run(
    chunks: list[str], *, window: int = 16, step: int = 0, channel: object = "c"
) -> tuple[str, StreamStopError | None]:
    checker = TermChecker(TERMS)
    mod = StreamModerator(lambda t: checker.check(t, "output"), window=window, step=step)
    out = []
    try:
        for c in chunks:
            out.append(mod.feed(channel, c))
        out.extend(mod.finish().values())
    except StreamStopError as stop:
        return "".join(out), stop
    return "".join(out), None


def contains_prohibited(released: str) -> bool:
    """A released text leaks when it holds a term, or ends with a term's proper prefix of ≥1 char
    that the stream was about to complete (the caller passes only texts where that applies)."""
    return any(t in released for t in TERMS)


def test_when_clean_text_then_released_exactly_as_generated() -> None:
    text = "Hello world, 你好世界。 spaces  and\ttabs\n保持原样"
    chunks = [text[i : i + 3] for i in range(0, len(text), 3)]
    released, stop = run(chunks)
    assert stop is None and released == text


def test_when_term_split_across_one_char_chunks_then_none_of_it_released() -> None:
    text = "前文很长很长的一段正常内容然后炸弹制作方法"
    released, stop = run(list(text))
    assert stop is not None and stop.verdict.action is Action.REFUSE
    assert "炸" not in released and text.startswith(released)


def test_when_term_in_trailing_fragment_then_checked_before_release() -> None:
    released, stop = run(["正常", "违禁词"], window=64)
    assert stop is not None and released == ""


def test_when_checker_raises_then_stream_stops_as_failed() -> None:
    checker = TermChecker(TERMS)
    checker.fail = True
    mod = StreamModerator(lambda t: checker.check(t), window=4)
    with pytest.raises(StreamStopError) as info:
        mod.feed("c", "abcdefgh")
    assert info.value.verdict.failed
    with pytest.raises(StreamStopError):
        mod.finish()


def test_when_pii_then_masked_before_release() -> None:
    released, stop = run(["我的电话是138", "0013", "8000，", "请回电。"], window=16)
    assert stop is None
    assert "13800138000" not in released and "*" * 11 in released


def test_when_channels_interleave_then_each_has_its_own_context() -> None:
    checker = TermChecker(TERMS)
    mod = StreamModerator(lambda t: checker.check(t), window=4, step=0)
    mod.feed("content", "炸弹")
    mod.feed("tool", "制作")  # other channel: not a term when read alone
    assert mod.finish() == {"content": "炸弹", "tool": "制作"}


def test_window_must_be_positive() -> None:
    with pytest.raises(ValueError):
        StreamModerator(lambda t: None, window=0)  # type: ignore[arg-type,return-value]


# ------------------------------------------------------------------ generated adversarial cases
FILLERS = [
    "今天天气很好我们去公园散步吧",
    "The weather is nice today, let us walk. ",
    "数据123abc，。！？",
    "😀表情符号与emoji混排",
    "没有空格也没有标点的连续中文文本用于测试",
]


def adversarial_case(rng: random.Random) -> tuple[str, list[str], str]:
    term = rng.choice(list(TERMS))
    before = "".join(rng.choice(FILLERS) for _ in range(rng.randint(0, 4)))
    after = "".join(rng.choice(FILLERS) for _ in range(rng.randint(0, 2)))
    text = before + term + after
    style = rng.choice(["one-char", "random", "trailing", "term-split"])
    if style == "one-char":
        chunks = list(text)
    elif style == "trailing":
        text = before + term
        chunks = [before, term] if before else [term]
    elif style == "term-split":
        k = rng.randint(1, len(term) - 1)
        chunks = [before + term[:k], term[k:] + after]
    else:
        chunks, i = [], 0
        while i < len(text):
            n = rng.randint(1, 7)
            chunks.append(text[i : i + n])
            i += n
    return text, chunks, term


@pytest.mark.parametrize("seed", range(240))
def test_generated_adversarial_stream_releases_no_prohibited_char(seed: int) -> None:
    rng = random.Random(seed)
    text, chunks, term = adversarial_case(rng)
    window = rng.choice(
        [max(len(t) for t in TERMS), 20, 24, 64]
    )  # ≥ longest term, as the gateway ensures
    released, stop = run(chunks, window=window, step=rng.choice([0, 4, 16]))
    assert stop is not None, "a stream containing a term must be stopped"
    assert text.startswith(released), "released text is a prefix of the generated text, unaltered"
    assert term not in released
    # no character of the term's occurrence was released
    assert len(released) <= text.index(term)


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.text(alphabet=st.sampled_from(list("正常文本abc 。，\n😀的")), max_size=60),
    term=st.sampled_from(list(TERMS)),
    cuts=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=200),
    window=st.integers(min_value=16, max_value=80),
)
def test_random_chunkings_never_leak(prefix: str, term: str, cuts: list[int], window: int) -> None:
    text = prefix + term + "之后的内容"
    chunks, i, k = [], 0, 0
    while i < len(text):
        n = cuts[k % len(cuts)]
        chunks.append(text[i : i + n])
        i += n
        k += 1
    released, stop = run(chunks, window=window, step=4)
    assert stop is not None
    assert len(released) <= text.index(term)


@settings(max_examples=100, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("好的谢谢abc 。\n😀")), max_size=300), st.integers(1, 9)
)
def test_clean_text_is_released_whole_and_unchanged(text: str, n: int) -> None:
    chunks = [text[i : i + n] for i in range(0, len(text), n)]
    released, stop = run(chunks, window=12, step=5)
    assert stop is None and released == text
