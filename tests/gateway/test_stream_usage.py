"""Streams the gateway writes itself (refusals, stops) end with the usage chunk when asked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Running

TERM = "炸弹制作"


def frames(text: str) -> list[Any]:
    out: list[Any] = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            data = block[6:]
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


@pytest.mark.parametrize("kind", ["chat", "completions"])
def test_refused_prompt_stream_has_a_usage_chunk_when_asked(gw: Running, kind: str) -> None:
    body: dict[str, Any] = {"model": "mock-model", "stream": True}
    body["stream_options"] = {"include_usage": True}
    if kind == "chat":
        body["messages"] = [{"role": "user", "content": TERM}]
        r = gw.client.post("/v1/chat/completions", json=body)
    else:
        body["prompt"] = TERM
        r = gw.client.post("/v1/completions", json=body)
    got = frames(r.text)
    assert got[-1] == "[DONE]"
    refusal, usage = got[-3], got[-2]
    assert refusal["choices"][0]["finish_reason"] == "content_filter"
    assert usage["choices"] == [] and usage["id"] == refusal["id"]
    assert usage["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def test_refused_prompt_stream_has_no_usage_chunk_unless_asked(gw: Running) -> None:
    got = frames(gw.chat(TERM, stream=True).text)
    assert len(got) == 2 and got[-1] == "[DONE]" and "usage" not in got[0]


def test_stopped_stream_has_a_usage_chunk_when_asked(gw: Running) -> None:
    reply = "好的，下面是" + TERM + "的步骤。" * 10
    r = gw.chat(
        stream=True,
        stream_options={"include_usage": True},
        mock={"reply": reply, "chunk_chars": 3},
    )
    got = frames(r.text)
    assert got[-1] == "[DONE]"
    assert got[-3]["choices"][0]["finish_reason"] == "content_filter"
    assert got[-2]["choices"] == [] and set(got[-2]["usage"]) >= {"prompt_tokens", "total_tokens"}
    assert not any("usage" in f for f in got[:-2] if isinstance(f, dict))


def test_normal_stream_passes_the_upstream_usage(gw: Running) -> None:
    r = gw.chat(stream=True, stream_options={"include_usage": True}, mock={"reply": "你好"})
    got = frames(r.text)
    assert got[-2]["usage"]["completion_tokens"] == 40 and got[-2]["choices"] == []
