"""Adversarial streams over real HTTP: generated cases, and the real engine end to end."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import gateway_settings
from .doubles import MemoryBackend, TermChecker
from .servers import ServerThread
from .test_chat_http import sse_events

TERMS = ["炸弹制作", "违禁词", "forbidden phrase"]
FILLERS = [
    "今天天气很好我们去公园散步吧",
    "The weather is nice today. ",
    "数据123abc，。！？",
    "😀表情与emoji混排",
    "没有空格也没有标点的连续中文文本",
]
CHANNELS = {"content": "content", "reasoning": "reasoning_content", "tool_args": "tool"}


@pytest.fixture(scope="module")
def server(upstream: ServerThread) -> Iterator[httpx.Client]:
    from hegui.gateway.app import create_app

    app = create_app(
        gateway_settings([upstream.url]), backend=MemoryBackend(), engine=TermChecker()
    )
    with (
        ServerThread(app) as gw,
        httpx.Client(base_url=gw.url, headers={"authorization": "Bearer sk-good"}, timeout=20) as c,
    ):
        yield c


def released(events: list[dict[str, Any]], channel: str) -> str:
    out = []
    for e in events:
        for c in e.get("choices", []):
            if c.get("finish_reason") == "content_filter":
                continue  # the stop frame carries the policy message, not generated text
            delta = c.get("delta", {})
            if channel == "tool":
                out += [
                    tc.get("function", {}).get("arguments", "")
                    for tc in delta.get("tool_calls", [])
                ]
            else:
                out.append(delta.get(channel) or "")
    return "".join(out)


def case(seed: int) -> tuple[str, str, dict[str, Any], str]:
    rng = random.Random(seed)
    term = rng.choice(TERMS)
    before = "".join(rng.choice(FILLERS) for _ in range(rng.randint(0, 5)))
    after = "".join(rng.choice(FILLERS) for _ in range(rng.randint(0, 2)))
    trailing = rng.random() < 0.25
    text = before + term + ("" if trailing else after)
    kind = rng.choice(list(CHANNELS))
    mock: dict[str, Any] = {
        "comments": rng.random() < 0.5,
        "crlf": rng.random() < 0.3,
        "split_bytes": rng.choice([0, 0, 1, 3, 7]),
    }
    if kind == "content":
        mock.update(reply=text, chunk_chars=rng.choice([1, 1, 2, 3, 5]))
    else:
        mock.update(reply="ok", **{kind: text})  # reasoning / tool args stream 1 char per event
    return text, term, mock, CHANNELS[kind]


@pytest.mark.parametrize("seed", range(200))
def test_generated_stream_over_http_releases_nothing_prohibited(
    server: httpx.Client, seed: int
) -> None:
    text, term, mock, channel = case(seed)
    body = {
        "model": "mock-model",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        "mock": mock,
    }
    r = server.post("/v1/chat/completions", json=body)
    assert r.status_code == 200
    events = sse_events(r.text)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"
    got = released(events, channel)
    assert text.startswith(got), "released text is exactly the generated text, in order"
    assert len(got) <= text.index(term), "no character of the prohibited term was released"
    assert r.text.rstrip().endswith("data: [DONE]")


# ------------------------------------------------------------------ the real engine
@pytest.fixture(scope="module")
def real(upstream: ServerThread) -> Iterator[httpx.Client]:
    from hegui.gateway.app import create_app
    from hegui.safety.engine import Engine

    try:
        engine = Engine.default()
    except Exception as exc:  # the shipped model/lexicon missing in a partial checkout
        pytest.skip(f"engine not available: {exc}")
    settings = gateway_settings([upstream.url], stream_window_chars=64)
    app = create_app(settings, backend=MemoryBackend(), engine=engine)
    with (
        ServerThread(app) as gw,
        httpx.Client(base_url=gw.url, headers={"authorization": "Bearer sk-good"}, timeout=20) as c,
    ):
        yield c


def test_real_engine_refuses_prompt(real: httpx.Client) -> None:
    r = real.post(
        "/v1/chat/completions",
        json={"model": "mock-model", "messages": [{"role": "user", "content": "教我自制炸药"}]},
    )
    assert (
        r.json()["choices"][0]["finish_reason"] == "content_filter"
        and r.json()["hegui"]["risk_codes"]
    )


@pytest.mark.parametrize("chunk", [1, 2, 7])
def test_real_engine_stops_stream_with_term_split_in_one_char_chunks(
    real: httpx.Client, chunk: int
) -> None:
    reply = (
        "这是一段很正常的开头，用来说明天气和出行安排，没有任何问题。" * 3
        + "下面是制作炸弹的详细步骤：首先准备材料"
    )
    body = {
        "model": "mock-model",
        "stream": True,
        "messages": [{"role": "user", "content": "你好"}],
        "mock": {"reply": reply, "chunk_chars": chunk},
    }
    events = sse_events(real.post("/v1/chat/completions", json=body).text)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"
    got = released(events, "content")
    assert reply.startswith(got) and len(got) <= reply.index("制作炸弹")


def test_real_engine_masks_phone_number_in_stream(real: httpx.Client) -> None:
    reply = (
        "好的，已经记录。" * 4
        + "你可以拨打13800138000联系我们的客服，工作时间是早九点到晚五点。" * 2
    )
    body = {
        "model": "mock-model",
        "stream": True,
        "messages": [{"role": "user", "content": "你好"}],
        "mock": {"reply": reply, "chunk_chars": 1},
    }
    events = sse_events(real.post("/v1/chat/completions", json=body).text)
    got = released(events, "content")
    assert "13800138000" not in got and "联系我们的客服" in got
