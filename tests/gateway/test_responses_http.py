"""``/v1/responses`` over real HTTP, with the official ``openai`` client where it applies.

The gateway serves the Responses API by translation to chat completions: these tests check the
translation both ways (what the upstream receives, what the client reads) and that the chat
path's guarantees hold here too: input and output checks, the stream stop, labels, records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.lazy import openai

from .conftest import Running
from .servers import ServerThread

LABEL = "本回答由人工智能生成"
TERM = "炸弹制作"


@pytest.fixture
def client(gw: Running) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-good", max_retries=0)


def mock_of(upstream: ServerThread) -> Any:
    return upstream.server.config.app


def events_of(r: httpx.Response) -> list[dict[str, Any]]:
    """The SSE events of a Responses stream, each checked to name its type in both places."""
    out = []
    for block in r.text.split("\n\n"):
        if not block.strip() or block.startswith(":"):
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        doc = json.loads(lines["data"])
        assert lines["event"] == doc["type"]
        out.append(doc)
    return out


def test_non_streamed_answer_is_a_labelled_response_and_recorded(
    gw: Running, client: openai.OpenAI, upstream: ServerThread
) -> None:
    r = client.responses.create(
        model="mock-model",
        instructions="用中文回答",
        input="今天天气怎么样？",
        max_output_tokens=50,
        extra_body={"mock": {"reply": "今天天气很好。"}},
    )
    assert r.status == "completed" and r.object == "response" and r.id.startswith("resp_")
    assert r.output_text == f"今天天气很好。\n\n{LABEL}"
    assert r.usage is not None
    assert (r.usage.input_tokens, r.usage.output_tokens, r.usage.total_tokens) == (12, 40, 52)
    assert r.max_output_tokens == 50 and r.instructions is None  # request texts are not echoed
    sent = mock_of(upstream).last
    assert sent["messages"] == [
        {"role": "system", "content": "用中文回答"},
        {"role": "user", "content": "今天天气怎么样？"},
    ]
    assert sent["max_tokens"] == 50 and "input" not in sent and "instructions" not in sent
    raw = gw.client.post(
        "/v1/responses", json={"model": "mock-model", "input": "你好", "mock": {"reply": "好"}}
    )
    assert raw.headers["x-aigc-label"] and raw.json()["hegui"]["label"]["Label"] == "1"
    records = gw.records(2)
    assert [r.endpoint for r in records] == ["responses", "responses"]
    assert records[0].prompt_tokens == 12 and records[0].completion_tokens == 40


def test_streamed_answer_has_the_responses_events_in_order(gw: Running) -> None:
    r = gw.client.post(
        "/v1/responses",
        json={
            "model": "mock-model",
            "input": [{"role": "user", "content": [{"type": "input_text", "text": "你好"}]}],
            "stream": True,
            "mock": {"reply": "今天天气很好，我们去公园散步吧。", "chunk_chars": 2},
        },
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = events_of(r)
    types = [e["type"] for e in events]
    assert types[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(types[4:-4]) == {"response.output_text.delta"}
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == f"今天天气很好，我们去公园散步吧。\n\n{LABEL}"
    assert events[-4]["text"] == text
    final = events[-1]["response"]
    assert final["status"] == "completed" and final["output"][0]["content"][0]["text"] == text
    assert final["usage"]["output_tokens"] == 40  # asked of the upstream by the translation
    assert final["hegui"]["action"] == "allow" and final["hegui"]["label"]["ProduceID"]
    assert "[DONE]" not in r.text
    assert gw.records(1)[0].endpoint == "responses"


def test_openai_client_reads_the_stream(client: openai.OpenAI) -> None:
    stream = client.responses.create(
        model="mock-model",
        input="你好",
        stream=True,
        extra_body={"mock": {"reply": "好的，没问题。", "chunk_chars": 1}},
    )
    events = list(stream)
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == f"好的，没问题。\n\n{LABEL}"


@pytest.mark.parametrize("stream", [False, True])
def test_prohibited_input_is_refused_as_an_incomplete_response(
    gw: Running, client: openai.OpenAI, upstream: ServerThread, stream: bool
) -> None:
    mock = mock_of(upstream)
    mock.last = None
    r: Any = client.responses.create(model="mock-model", input=f"告诉我{TERM}的方法", stream=stream)
    if stream:
        events = list(r)
        assert events[-1].type == "response.incomplete"
        r = events[-1].response
    assert r.status == "incomplete" and r.incomplete_details.reason == "content_filter"
    assert r.output_text.startswith("抱歉") and r.output_text.endswith(LABEL)
    assert mock.last is None  # nothing forwarded
    assert gw.backend.incidents[-1].direction == "input"
    record = gw.records(1)[0]
    assert record.endpoint == "responses" and record.decision == "refuse"


def test_blocked_input_is_an_openai_error(
    make_gateway: Callable[..., Running], upstream: Any
) -> None:
    from .doubles import TermChecker

    gw = make_gateway([upstream.url], checker=TermChecker(block={"A.1.d"}))
    client = openai.OpenAI(base_url=gw.url + "/v1", api_key="sk-good", max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="mock-model", input=TERM)
    assert info.value.code == "content_filter"


def test_prohibited_output_stops_the_stream_and_the_upstream(
    gw: Running, upstream: ServerThread
) -> None:
    mock = mock_of(upstream)
    before = mock.aborted
    reply = "好的，下面是" + TERM + "的详细步骤：" + "第一步很长的说明。" * 40
    r = gw.client.post(
        "/v1/responses",
        json={
            "model": "mock-model",
            "input": "你好",
            "stream": True,
            "mock": {"reply": reply, "chunk_chars": 2, "gap_ms": 2},
        },
    )
    assert TERM not in r.text and "步骤" not in r.text
    events = events_of(r)
    assert events[-1]["type"] == "response.incomplete"
    final = events[-1]["response"]
    assert final["incomplete_details"] == {"reason": "content_filter"}
    assert final["hegui"]["direction"] == "output" and final["hegui"]["incident_id"]
    assert final["output"][0]["status"] == "incomplete"
    assert gw.backend.incidents[-1].direction == "output"
    for _ in range(200):
        if mock.aborted > before:
            break
        import time

        time.sleep(0.01)
    assert mock.aborted == before + 1  # generation stopped (Art. 14)


def test_personal_information_is_masked_before_forwarding(
    gw: Running, upstream: ServerThread
) -> None:
    r = gw.client.post(
        "/v1/responses",
        json={"model": "mock-model", "input": "我的手机号13800138000", "mock": {"reply": "好"}},
    )
    assert r.status_code == 200 and r.json()["hegui"]["action"] == "redact"
    assert "13800138000" not in json.dumps(mock_of(upstream).last, ensure_ascii=False)


def test_function_tools_and_tool_results_translate_both_ways(
    gw: Running, client: openai.OpenAI, upstream: ServerThread
) -> None:
    r = client.responses.create(
        model="mock-model",
        input=[
            {"role": "user", "content": "北京天气？"},
            {"type": "function_call", "call_id": "call_9", "name": "weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "call_9", "output": "晴"},
        ],
        tools=[{"type": "function", "name": "weather", "parameters": {"type": "object"}}],
        tool_choice="auto",
        extra_body={"mock": {"reply": "", "tool_args": '{"city":"北京"}'}},
    )
    sent = mock_of(upstream).last
    assert sent["tools"] == [
        {"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}
    ]
    assert sent["messages"][1]["tool_calls"][0]["id"] == "call_9"
    assert sent["messages"][2] == {"role": "tool", "tool_call_id": "call_9", "content": "晴"}
    calls = [item for item in r.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "lookup" and calls[0].call_id == "call_1"
    assert json.loads(calls[0].arguments) == {"city": "北京"}


def test_streamed_function_call_events(gw: Running) -> None:
    r = gw.client.post(
        "/v1/responses",
        json={
            "model": "mock-model",
            "input": "查一下",
            "stream": True,
            "mock": {"reply": "好", "tool_args": '{"q":"天气"}'},
        },
    )
    events = events_of(r)
    added = [e for e in events if e["type"] == "response.output_item.added"]
    assert [e["item"]["type"] for e in added] == ["message", "function_call"]
    args = "".join(
        e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"
    )
    done = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert args == '{"q":"天气"}' and done[0]["arguments"] == args and done[0]["name"] == "lookup"
    final = events[-1]["response"]
    assert [o["type"] for o in final["output"]] == ["message", "function_call"]


def test_upstream_breaking_mid_stream_is_a_failed_response(gw: Running) -> None:
    r = gw.client.post(
        "/v1/responses",
        json={
            "model": "mock-model",
            "input": "你好",
            "stream": True,
            "mock": {"reply": "今天天气很好。" * 20, "chunk_chars": 4, "behaviour": "die_after:5"},
        },
    )
    events = events_of(r)
    assert events[-1]["type"] == "response.failed"
    assert events[-1]["response"]["error"]["code"] == "upstream_disconnected"
    assert gw.records(1)[0].decision == "upstream_error"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "hi", "previous_response_id": "resp_1"}, "previous_response_id"),
        ({"input": "hi", "tools": [{"type": "web_search"}]}, "tools.0"),
        ({"input": "hi", "background": True}, "background"),
        ({"input": "hi", "frobnicate": 1}, "frobnicate"),
        ({"input": 3}, "input"),
        ({"input": []}, "input"),
        ({"input": [{"type": "item_reference", "id": "x"}]}, "input.0"),
        ({"input": [{"role": "robot", "content": "hi"}]}, "input.0"),
        ({"input": "hi", "text": {"format": {"type": "yaml"}}}, "text.format"),
        ({"input": "hi", "tool_choice": {"type": "file_search"}}, "tool_choice"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
            "input.0.content",
        ),
    ],
)
def test_what_cannot_be_served_is_a_400_naming_the_field(
    gw: Running, upstream: ServerThread, body: dict[str, Any], param: str
) -> None:
    mock = mock_of(upstream)
    mock.last = None
    r = gw.client.post("/v1/responses", json={"model": "mock-model", **body})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["param"] == param and err["message"] and err["type"] == "invalid_request_error"
    assert mock.last is None


def test_structured_output_and_reasoning_settings_are_translated(
    gw: Running, upstream: ServerThread
) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    r = gw.client.post(
        "/v1/responses",
        json={
            "model": "mock-model",
            "input": "hi",
            "text": {"format": {"type": "json_schema", "name": "out", "schema": schema}},
            "reasoning": {"effort": "low"},
            "store": True,
            "metadata": {"k": "v"},
            "mock": {"reply": "{}"},
        },
    )
    assert r.status_code == 200
    sent = mock_of(upstream).last
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": schema},
    }
    assert sent["reasoning_effort"] == "low" and "store" not in sent and "metadata" not in sent
    doc = r.json()
    assert doc["text"] == {"format": {"type": "json_schema"}} and doc["store"] is False
    assert doc["metadata"] == {} and doc["reasoning"]["effort"] == "low"


def _rows(text: str) -> list[dict[str, Any]]:
    return [
        {"token": t, "logprob": -0.5, "bytes": list(t.encode()), "top_logprobs": []} for t in text
    ]


def test_logprobs_follow_the_text_in_both_shapes(gw: Running, upstream: ServerThread) -> None:
    text = "今天天气很好，我们去公园散步吧。"
    answer = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "mock-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": {"content": _rows(text), "refusal": None},
                "finish_reason": "stop",
            }
        ],
    }
    body = {"model": "mock-model", "input": "你好", "include": ["message.output_text.logprobs"]}
    r = gw.client.post("/v1/responses", json={**body, "mock": {"answer": answer}})
    assert mock_of(upstream).last["logprobs"] is True
    part = r.json()["output"][0]["content"][0]
    assert "".join(row["token"] for row in part["logprobs"]) == text
    events = [
        {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "mock-model",
         "choices": [{"index": 0, "delta": {"content": t}, "logprobs": {"content": _rows(t)},
                      "finish_reason": None}]}
        for t in text
    ]  # fmt: skip
    r = gw.client.post("/v1/responses", json={**body, "stream": True, "mock": {"events": events}})
    got = events_of(r)
    streamed = [
        row["token"]
        for e in got
        if e["type"] == "response.output_text.delta"
        for row in e["logprobs"]
    ]
    done = next(e for e in got if e["type"] == "response.output_text.done")
    assert "".join(row["token"] for row in done["logprobs"]) == text
    assert text.startswith("".join(streamed))
