"""Streamed logprobs follow the released text: never ahead of it, never of withheld text."""

from __future__ import annotations

import json
from typing import Any

from hegui.gateway.stream import StreamModerator
from hegui.gateway.stream_logprobs import StreamLogprobs

from .conftest import Running
from .doubles import TermChecker

TERM = "炸弹制作"
PHONE = "13800138000"


def rows(text: str, alternatives: str = "") -> dict[str, Any]:
    return {
        "content": [
            {
                "token": t,
                "logprob": -0.1,
                "bytes": list(t.encode()),
                "top_logprobs": [{"token": t, "logprob": -0.1}]
                + ([{"token": alternatives[i], "logprob": -2.0}] if i < len(alternatives) else []),
            }
            for i, t in enumerate(text)
        ],
        "refusal": None,
    }


def chunk(delta: dict[str, Any], logprobs: Any = None, finish: str | None = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "delta": delta, "finish_reason": finish}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "mock-model",
            "choices": [choice]}  # fmt: skip


def stream(gw: Running, events: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """The content a client accumulates, and the logprob rows in the order they came."""
    r = gw.chat(stream=True, logprobs=True, top_logprobs=2, mock={"events": events})
    assert r.status_code == 200
    content, got = "", []
    for block in r.text.split("\n\n"):
        if not block.startswith("data: {"):
            continue
        for choice in json.loads(block[6:]).get("choices", ()):
            content += choice.get("delta", {}).get("content") or ""
            got += (choice.get("logprobs") or {}).get("content") or []
    return content, got


def per_char(text: str, alternatives: str = "") -> list[dict[str, Any]]:
    return [
        chunk({"role": "assistant", "content": ""}),
        *(chunk({"content": t}, rows(t, alternatives[i : i + 1])) for i, t in enumerate(text)),
        chunk({}, finish="stop"),
    ]


def test_clean_stream_keeps_every_row(gw: Running) -> None:
    text = "今天天气很好，我们去公园散步吧。然后回家吃饭，晚上看书。"
    content, got = stream(gw, per_char(text, "明" * len(text)))
    assert "".join(r["token"] for r in got) == text
    assert content.startswith(text)
    assert got[0]["bytes"] == list("今".encode()) and got[0]["logprob"] == -0.1
    assert [a["token"] for a in got[0]["top_logprobs"]] == ["今", "明"]


def test_a_row_never_leaves_before_its_text(gw: Running) -> None:
    text = "今天天气很好，我们去公园散步吧。然后回家吃饭，晚上看书。"
    r = gw.chat(stream=True, logprobs=True, mock={"events": per_char(text)})
    released = ""
    for block in r.text.split("\n\n"):
        if not block.startswith("data: {"):
            continue
        for choice in json.loads(block[6:]).get("choices", ()):
            released += choice.get("delta", {}).get("content") or ""
            spelled = "".join(
                row["token"] for row in (choice.get("logprobs") or {}).get("content") or ()
            )
            assert spelled in released  # the tokens of text the client already has


def test_refused_stream_sends_no_row_of_the_withheld_text(gw: Running) -> None:
    text = "好的，下面是" + TERM + "的步骤"
    content, got = stream(gw, per_char(text))
    spelled = "".join(r["token"] for r in got)
    assert TERM[0] not in spelled and TERM not in content
    assert text.startswith(spelled)


def test_masked_text_ends_the_rows(gw: Running) -> None:
    text = f"请拨打{PHONE}联系客服，谢谢，祝您生活愉快，再见。"
    content, got = stream(gw, per_char(text))
    spelled = "".join(r["token"] for r in got)
    assert PHONE not in content and "*" * 11 in content
    assert "138" not in spelled and text.startswith(spelled)


def test_alternatives_spelling_a_prohibited_text_are_dropped(gw: Running) -> None:
    text = "好" * 30
    _, got = stream(gw, per_char(text, TERM))
    assert "".join(r["token"] for r in got) == text  # the answer and its own tokens go on
    shown = "".join(a["token"] for r in got for a in r["top_logprobs"])
    assert "炸" not in shown


def test_rows_that_do_not_spell_the_text_are_dropped(gw: Running) -> None:
    events = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "你好"}, rows(TERM)),
        chunk({"content": "世界"}, rows("世界")),
        chunk({}, finish="stop"),
    ]
    content, got = stream(gw, events)
    assert content.startswith("你好世界") and got == []


def test_partial_character_tokens_match_by_bytes() -> None:
    checker = TermChecker()
    check = lambda t: checker.check(t, "output")  # noqa: E731
    mod = StreamModerator(check, window=4, step=0)
    follower = StreamLogprobs(check, 4, 0, None)
    word = "天气很好今天不错"
    raw = word.encode()
    pieces = [raw[:2], raw[2:4], raw[4:]]  # the first characters split inside their bytes
    follower.add(
        0,
        {
            "content": [
                {"token": p.decode("utf-8", "replace"), "logprob": -1.0, "bytes": list(p)}
                for p in pieces
            ]
        },
    )
    out = mod.feed((0, "content"), word) + "".join(mod.finish().values())
    follower.released(0, "content", out)
    taken = follower.take(0, final=True)
    assert taken is not None
    assert b"".join(bytes(r["bytes"]) for r in taken["content"]) == raw
    assert "\ufffd" in taken["content"][0]["token"]  # shown as what the checked bytes spell


def test_completions_streams_carry_no_logprobs(gw: Running) -> None:
    events = [
        {"id": "c", "object": "text_completion", "created": 1, "model": "mock-model",
         "choices": [{"index": 0, "text": "你好", "logprobs": {"tokens": [TERM]}, "finish_reason": None}]},
    ]  # fmt: skip
    r = gw.client.post(
        "/v1/completions",
        json={"model": "mock-model", "prompt": "hi", "stream": True, "mock": {"events": events}},
    )
    assert r.status_code == 200 and TERM not in r.text
