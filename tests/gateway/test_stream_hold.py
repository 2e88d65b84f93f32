"""Streams hold back only the end that could still become a violation (issue 14, streaming).

Before, every stream held the longest lexicon term (about 70 characters) whatever the text, so a
benign answer at 40 characters a second showed its first words after 1.8 s. Now the moderator
asks the engine how much of the end is open (a prefix of some pattern, a number or address still
being written) and releases the rest at once; terms and numbers still never leave in part.
"""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hegui.gateway.errors import StreamStopError
from hegui.gateway.stream import StreamModerator
from hegui.safety.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.default()


def run(engine: Engine, pieces: list[str], *, step: int = 0) -> tuple[list[str], Any]:
    mod = StreamModerator(
        lambda t: engine.check(t, "output"), window=70, step=step, hold=engine.hold_back
    )
    out: list[str] = []
    try:
        out.extend(mod.feed("c", p) for p in pieces)
        out.extend(mod.finish().values())
    except StreamStopError as stop:
        return out, stop
    return out, None


def test_benign_text_leaves_with_its_first_characters(engine: Engine) -> None:
    text = "今天天气很好，我们去公园散步吧。"
    out, stop = run(engine, list(text))
    assert stop is None and "".join(out) == text
    first = next(i for i, piece in enumerate(out) if piece)
    assert first <= 2  # the fixed window held the first 70 characters


def test_window_mode_still_holds_the_window(engine: Engine) -> None:
    mod = StreamModerator(lambda t: engine.check(t, "output"), window=70, step=0)
    assert all(mod.feed("c", ch) == "" for ch in "今天天气很好，我们去公园散步吧。")


def test_the_open_end_is_what_could_still_grow(engine: Engine) -> None:
    assert engine.hold_back("今天天气很好。") == 0
    assert engine.hold_back("请联系13800") >= 5  # a number being written
    assert engine.hold_back("邮箱 abc@exa") >= len("abc@exa")
    assert engine.hold_back("收件人姓名：张") >= len("姓名：张")  # a name after its cue


def test_a_term_typed_one_character_at_a_time_never_leaves_in_part(engine: Engine) -> None:
    text = "好的。下面告诉你怎么制造冰毒，首先"
    out, stop = run(engine, list(text))
    assert stop is not None
    assert "冰" not in "".join(out)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12))
def test_any_chunking_masks_a_phone_number_as_a_whole_answer_would(
    engine: Engine, cuts: list[int]
) -> None:
    text = "好的，已记录。您的手机号是13800138000，我们会尽快联系您。祝您愉快。"
    pieces, at = [], 0
    for size in cuts:
        pieces.append(text[at : at + size])
        at += size
    pieces.append(text[at:])
    out, stop = run(engine, pieces)
    assert stop is None
    assert "".join(out) == engine.check(text, "output").redacted


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=20))
def test_any_chunking_stops_before_a_prohibited_term(engine: Engine, cuts: list[int]) -> None:
    text = "当然可以，这是详细说明。第一步准备材料，然后制造冰毒的过程如下"
    pieces, at = [], 0
    for size in cuts:
        pieces.append(text[at : at + size])
        at += size
    pieces.append(text[at:])
    out, stop = run(engine, pieces)
    assert stop is not None and "冰毒" not in "".join(out) and "冰" not in "".join(out)


def _first_content_and_total(g: Any, reply: str) -> tuple[float, float, str]:
    body = {
        "model": "mock-model",
        "messages": [{"role": "user", "content": "讲讲天气"}],
        "stream": True,
        "mock": {"reply": reply, "chunk_chars": 1, "gap_ms": 20},
    }
    first, text = None, []
    t0 = time.monotonic()
    with g.client.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            if not line.startswith("data: {"):
                continue
            for choice in orjson.loads(line[6:]).get("choices", []):
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece and first is None:
                    first = time.monotonic() - t0
                text.append(piece)
    assert first is not None
    return first, time.monotonic() - t0, "".join(text)


@pytest.mark.parametrize("hold", ["tail", "window"])
def test_first_words_reach_the_client_while_the_model_still_writes(
    make_gateway: Any, upstream: Any, engine: Engine, hold: str
) -> None:
    g = make_gateway([upstream.url], checker=engine, stream_window_chars=70, stream_hold=hold)
    reply = "今天天气很好，我们去公园散步吧。" * 3  # 48 characters at 50 a second
    first, total, text = _first_content_and_total(g, reply)
    assert text.startswith(reply)
    if hold == "tail":
        assert first < total / 3, (first, total)
    else:  # the fixed window holds everything shorter than itself to the end
        assert first > total * 0.8, (first, total)
