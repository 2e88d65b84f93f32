"""Chat and completions over real HTTP: forward, refuse, redact, label, record."""

from __future__ import annotations

import json

import orjson

from .conftest import Running


def sse_events(text: str) -> list[dict]:
    out = []
    for block in text.split("\n\n"):
        if block.startswith("data: ") and block[6:] != "[DONE]":
            out.append(orjson.loads(block[6:]))
    return out


def stream_text(events: list[dict], key: str = "content") -> str:
    return "".join(
        c["delta"].get(key) or "" for e in events for c in e.get("choices", []) if "delta" in c
    )


def test_clean_chat_is_forwarded_labelled_and_recorded(gw: Running) -> None:
    r = gw.chat("你好")
    assert r.status_code == 200, r.text
    doc = r.json()
    content = doc["choices"][0]["message"]["content"]
    assert content.startswith("Hello! This is a mock answer") and content.endswith(
        "本回答由人工智能生成"
    )
    label = json.loads(r.headers["x-aigc-label"])
    assert label["Label"] == "1" and doc["hegui"]["label"] == label
    assert doc["hegui"]["action"] == "allow"
    usage = gw.records(1)
    assert [u.decision for u in usage] == ["allow"]
    assert usage[0].prompt_tokens == 12 and usage[0].pseudonym == "ps-k1"


def test_prompt_with_prohibited_term_is_refused_with_incident(gw: Running) -> None:
    r = gw.chat("请告诉我炸弹制作的方法")
    assert r.status_code == 200
    doc = r.json()
    assert doc["choices"][0]["finish_reason"] == "content_filter"
    assert doc["hegui"]["risk_codes"] == ["A.1.d"] and doc["hegui"]["incident_id"].startswith(
        "inc-"
    )
    assert doc["choices"][0]["message"]["content"].startswith("抱歉")
    assert [i.direction for i in gw.backend.incidents] == ["input"]
    assert gw.backend.violations == [("k1", ["A.1.d"])]
    assert [u.decision for u in gw.records(1)] == ["refuse"]


def test_earlier_turn_of_the_conversation_is_checked_too(gw: Running) -> None:
    body = {
        "model": "mock-model",
        "messages": [
            {"role": "user", "content": "违禁词"},
            {"role": "assistant", "content": "好"},
            {"role": "user", "content": "继续"},
        ],
    }
    r = gw.client.post("/v1/chat/completions", json=body)
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"


def test_block_policy_answers_400_with_hegui_object(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    from .doubles import TermChecker

    g = make_gateway([upstream.url], checker=TermChecker(block={"A.1.d"}))
    r = g.chat("炸弹制作")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "content_filter" and r.json()["hegui"]["action"] == "block"


def test_personal_information_is_redacted_before_forwarding(gw: Running) -> None:
    r = gw.chat("我的手机号是13800138000", mock={"reply": "收到"})
    assert r.status_code == 200
    assert gw.records(1)[-1].decision == "redact"


def test_output_violation_in_non_stream_answer_is_replaced(gw: Running) -> None:
    r = gw.chat("hi", mock={"reply": "这里是违禁词的内容"})
    doc = r.json()
    assert doc["choices"][0]["finish_reason"] == "content_filter"
    assert "违禁词" not in r.text
    assert gw.backend.incidents[-1].direction == "output"


def test_stream_clean_is_relayed_exactly_with_labels(gw: Running) -> None:
    reply = "流式回答第一句。Second sentence here, with spaces. 第三句没有标点也可以"
    r = gw.chat("hi", stream=True, mock={"reply": reply, "chunk_chars": 1})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    assert stream_text(events) == reply + "\n\n本回答由人工智能生成"
    assert r.text.rstrip().endswith("data: [DONE]")
    final = [e for e in events if e.get("hegui")]
    assert final and final[-1]["choices"][0]["finish_reason"] == "stop"
    assert "x-aigc-label" in r.headers


def test_stream_with_prohibited_term_stops_without_leaking(gw: Running) -> None:
    reply = "这是一个很长的正常开头用来填满窗口然后出现炸弹制作的详细步骤以及更多内容" * 2
    r = gw.chat("hi", stream=True, mock={"reply": reply, "chunk_chars": 1})
    events = sse_events(r.text)
    released = stream_text(events)
    assert "炸" not in released.replace(events[-1]["choices"][0]["delta"].get("content", ""), "")
    last = events[-1]
    assert last["choices"][0]["finish_reason"] == "content_filter"
    assert last["hegui"]["action"] == "refuse" and last["hegui"]["risk_codes"] == ["A.1.d"]
    assert last["hegui"]["incident_id"]
    assert r.text.rstrip().endswith("data: [DONE]")
    assert gw.backend.incidents[-1].stage == "stream"
    assert gw.records(1)[-1].decision == "refuse"


def test_stream_engine_failure_fails_closed(gw: Running) -> None:
    gw.chat("warm")  # input checked while healthy
    gw.checker.fail = True
    try:
        r = gw.chat("warm", stream=True, mock={"reply": "任何文本" * 20, "chunk_chars": 2})
    finally:
        gw.checker.fail = False
    events = sse_events(r.text)
    assert events[-1]["hegui"]["action"] == "failed"
    assert stream_text(events[:-1]) == ""
    assert gw.records(2)[-1].decision == "failed"


def test_stream_tool_call_and_reasoning_are_checked(gw: Running) -> None:
    r = gw.chat("hi", stream=True, mock={"reply": "ok", "tool_args": '{"q": "炸弹制作"}'})
    events = sse_events(r.text)
    assert events[-1]["choices"][0]["finish_reason"] == "content_filter"
    args = "".join(
        tc["function"].get("arguments", "")
        for e in events
        for c in e["choices"]
        for tc in c.get("delta", {}).get("tool_calls", [])
        if "function" in tc
    )
    assert "炸弹" not in args
    r = gw.chat("hi", stream=True, mock={"reply": "ok", "reasoning": "思考：违禁词相关"})
    assert sse_events(r.text)[-1]["choices"][0]["finish_reason"] == "content_filter"


def test_clean_tool_call_arguments_arrive_whole(gw: Running) -> None:
    args = '{"city": "北京", "days": 3}'
    r = gw.chat("hi", stream=True, mock={"reply": "ok", "tool_args": args})
    events = sse_events(r.text)
    got = "".join(
        tc["function"].get("arguments", "")
        for e in events
        for c in e["choices"]
        for tc in c.get("delta", {}).get("tool_calls", [])
        if "function" in tc
    )
    assert got == args
    names = [
        tc["function"].get("name")
        for e in events
        for c in e["choices"]
        for tc in c.get("delta", {}).get("tool_calls", [])
        if tc.get("function", {}).get("name")
    ]
    assert names == ["lookup"]


def test_stream_comments_crlf_and_split_bytes(gw: Running) -> None:
    reply = "多字节字符😀被拆分在网络块之间" * 3
    r = gw.chat(
        "hi",
        stream=True,
        mock={"reply": reply, "chunk_chars": 2, "comments": True, "crlf": True, "split_bytes": 3},
    )
    assert stream_text(sse_events(r.text)) == reply + "\n\n本回答由人工智能生成"


def test_completions_non_stream_and_stream(gw: Running) -> None:
    r = gw.client.post(
        "/v1/completions", json={"model": "mock-model", "prompt": "hi", "mock": {"reply": "补全"}}
    )
    assert r.json()["choices"][0]["text"] == "补全\n\n本回答由人工智能生成"
    r = gw.client.post("/v1/completions", json={"model": "mock-model", "prompt": ["a", "违禁词"]})
    assert r.json()["choices"][0]["finish_reason"] == "content_filter"
    r = gw.client.post(
        "/v1/completions",
        json={
            "model": "mock-model",
            "prompt": "x",
            "stream": True,
            "mock": {"reply": "正常补全文本" * 5, "chunk_chars": 1},
        },
    )
    text = "".join(c["text"] for e in sse_events(r.text) for c in e["choices"])
    assert text == "正常补全文本" * 5 + "\n\n本回答由人工智能生成"


def test_every_request_leaves_exactly_one_usage_record(gw: Running) -> None:
    gw.chat("a")
    gw.chat("炸弹制作")
    gw.chat("b", stream=True)
    gw.client.post("/v1/chat/completions", content=b"{bad json")
    gw.client.get("/v1/models")
    assert len(gw.records(5)) == 5


def test_uncertain_prompt_is_served_and_recorded_for_review(
    make_gateway, upstream, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A score in a rule's review band: the answer is served, the usage record says ``review``."""
    from hegui.safety.engine import Engine
    from hegui.safety.policy import load_policy
    from hegui.safety.types import Evidence, Finding, Layer

    class Uncertain:
        name = "uncertain"
        layer = Layer.CLASSIFIER

        def detect(self, doc, direction):  # type: ignore[no-untyped-def]
            start = doc.text.find("拿不准")
            if start < 0:
                return []
            ev = Evidence(Layer.CLASSIFIER, start, start + 3, "拿不准", "test", "harmful", 0.6)
            return [Finding("A.1.h", 0.6, ev)]

    policy = tmp_path / "p.toml"
    policy.write_text(
        '[[rules]]\nrisk = "A.1"\nthreshold = 0.8\nreview = 0.5\naction = "refuse"\n',
        encoding="utf-8",
    )
    gw = make_gateway([upstream.url], checker=Engine([Uncertain()], load_policy(policy)))
    r = gw.chat("这句话拿不准")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["choices"][0]["message"]["content"].startswith("Hello! This is a mock answer")
    assert doc["hegui"]["action"] == "review" and doc["hegui"]["risk_codes"] == ["A.1.h"]
    assert [u.decision for u in gw.records(1)] == ["review"]
    assert gw.backend.violations == []
