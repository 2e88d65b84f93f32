"""The tables: every field of the supported OpenAI endpoints, and how the gateway treats it.

A request row puts a payload into one request field; an answer row puts it into one field of the
upstream's answer (non-streamed ``answer`` document or streamed ``events``). ``docs/security.md``
lists the same fields. ``/v1/responses`` and ``/v1/embeddings`` (issue 14) have rows of their own.

Request treatments:
- ``checked``: the text can reach the model, so it is checked. Prohibited → refused, not
  forwarded; personal information → forwarded masked.
- ``rejected``: it cannot be checked, so the request is refused with a 400 naming the field.
- ``control``: steers generation or bookkeeping and never reaches the model (forwarded as is).

Answer treatments:
- ``checked``: shown to the client, so it is checked: prohibited → the answer is refused;
  personal information → masked.
- ``dropped``: not on the allow-list: never reaches the client.
Either way, nothing prohibited and no unmasked personal information is visible in the response.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Build = Callable[[str], dict[str, Any]]
Events = Callable[[str], list[dict[str, Any]]]

USER = {"role": "user", "content": "你好"}


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "mock-model", "messages": list(messages) or [USER], **extra}


def resp(value: Any, **extra: Any) -> dict[str, Any]:
    """A Responses API request with ``input`` ``value``."""
    return {"model": "mock-model", "input": value, **extra}


def data_url(mime: str, text: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(text.encode()).decode()}"


@dataclass(frozen=True)
class RequestField:
    endpoint: str  # chat | completions | images | moderations | responses | embeddings
    name: str  # where the payload goes, as docs/security.md names it
    build: Build
    treatment: str = "checked"
    streams: bool = True  # also sent with "stream": true

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.name}"


def _call(name: str = "lookup", arguments: str = "{}") -> dict[str, Any]:
    return {"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}


def _tool(**function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "lookup", **function}}


def _schema(**prop: Any) -> dict[str, Any]:
    return {"type": "object", "properties": {"q": {"type": "string", **prop}}}


REQUEST_FIELDS: list[RequestField] = [
    # ---- chat: messages
    RequestField("chat", "messages[].content (user)", lambda p: chat({"role": "user", "content": p})),
    RequestField("chat", "messages[].content (system)", lambda p: chat({"role": "system", "content": p}, USER)),
    RequestField("chat", "messages[].content (developer)", lambda p: chat({"role": "developer", "content": p}, USER)),
    RequestField("chat", "messages[].content (assistant history)", lambda p: chat(USER, {"role": "assistant", "content": p}, USER)),
    RequestField("chat", "messages[].content (tool)", lambda p: chat(USER, {"role": "assistant", "content": None, "tool_calls": [_call()]}, {"role": "tool", "tool_call_id": "call_1", "content": p})),
    RequestField("chat", "messages[].content (function, legacy)", lambda p: chat(USER, {"role": "function", "name": "lookup", "content": p})),
    RequestField("chat", "messages[].name", lambda p: chat({"role": "user", "name": p, "content": "你好"})),
    RequestField("chat", "messages[].content[] text part", lambda p: chat({"role": "user", "content": [{"type": "text", "text": p}]})),
    RequestField("chat", "messages[].content[] second text part", lambda p: chat({"role": "user", "content": [{"type": "text", "text": "看这个："}, {"type": "text", "text": p}]})),
    RequestField("chat", "messages[].content[] input_text part", lambda p: chat({"role": "user", "content": [{"type": "input_text", "text": p}]})),
    RequestField("chat", "messages[].content[] refusal part", lambda p: chat(USER, {"role": "assistant", "content": [{"type": "refusal", "refusal": p}]}, USER)),
    RequestField("chat", "messages[].content[] text part, extra field", lambda p: chat({"role": "user", "content": [{"type": "text", "text": "你好", "annotation": p}]})),
    RequestField("chat", "messages[].refusal", lambda p: chat(USER, {"role": "assistant", "content": None, "refusal": p}, USER)),
    RequestField("chat", "messages[].tool_calls[].function.arguments", lambda p: chat(USER, {"role": "assistant", "content": None, "tool_calls": [_call(arguments=p)]}, {"role": "tool", "tool_call_id": "call_1", "content": "ok"})),
    RequestField("chat", "messages[].tool_calls[].function.name", lambda p: chat(USER, {"role": "assistant", "content": None, "tool_calls": [_call(name=p)]}, {"role": "tool", "tool_call_id": "call_1", "content": "ok"})),
    RequestField("chat", "messages[].function_call.arguments (legacy)", lambda p: chat(USER, {"role": "assistant", "content": None, "function_call": {"name": "lookup", "arguments": p}}, USER)),
    RequestField("chat", "messages[].function_call.name (legacy)", lambda p: chat(USER, {"role": "assistant", "content": None, "function_call": {"name": p, "arguments": "{}"}}, USER)),
    RequestField("chat", "messages[].reasoning_content (extension)", lambda p: chat(USER, {"role": "assistant", "content": "好", "reasoning_content": p}, USER)),
    RequestField("chat", "messages[] unknown field", lambda p: chat({"role": "user", "content": "你好", "context": p})),
    RequestField("chat", "messages[].content[] file part, text/plain data", lambda p: chat({"role": "user", "content": [{"type": "text", "text": "总结附件"}, {"type": "file", "file": {"filename": "a.txt", "file_data": data_url("text/plain", p)}}]})),
    RequestField("chat", "messages[].content[] file part, filename", lambda p: chat({"role": "user", "content": [{"type": "file", "file": {"filename": p, "file_data": data_url("text/markdown", "# 笔记")}}]})),
    # ---- chat: tools, formats, predictions
    RequestField("chat", "tools[].function.description", lambda p: chat(tools=[_tool(description=p, parameters=_schema())])),
    RequestField("chat", "tools[].function.name", lambda p: chat(tools=[{"type": "function", "function": {"name": p, "parameters": _schema()}}])),
    RequestField("chat", "tools[].function.parameters (description)", lambda p: chat(tools=[_tool(parameters=_schema(description=p))])),
    RequestField("chat", "tools[].function.parameters (enum)", lambda p: chat(tools=[_tool(parameters=_schema(enum=["a", p]))])),
    RequestField("chat", "tools[].function.parameters (property name)", lambda p: chat(tools=[_tool(parameters={"type": "object", "properties": {p: {"type": "string"}}})])),
    RequestField("chat", "tools[] custom tool", lambda p: chat(tools=[{"type": "custom", "custom": {"name": "run", "description": p}}])),
    RequestField("chat", "functions[].description (legacy)", lambda p: chat(functions=[{"name": "lookup", "description": p, "parameters": _schema()}])),
    RequestField("chat", "tool_choice.function.name", lambda p: chat(tools=[_tool(parameters=_schema())], tool_choice={"type": "function", "function": {"name": p}})),
    RequestField("chat", "function_call.name (legacy tool choice)", lambda p: chat(functions=[{"name": "lookup", "parameters": _schema()}], function_call={"name": p})),
    RequestField("chat", "response_format.json_schema.description", lambda p: chat(response_format={"type": "json_schema", "json_schema": {"name": "answer", "description": p, "schema": _schema()}})),
    RequestField("chat", "response_format.json_schema.schema", lambda p: chat(response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": _schema(description=p)}})),
    RequestField("chat", "response_format.json_schema.name", lambda p: chat(response_format={"type": "json_schema", "json_schema": {"name": p, "schema": _schema()}})),
    RequestField("chat", "prediction.content (string)", lambda p: chat(prediction={"type": "content", "content": p})),
    RequestField("chat", "prediction.content[] text part", lambda p: chat(prediction={"type": "content", "content": [{"type": "text", "text": p}]})),
    RequestField("chat", "web_search_options.user_location", lambda p: chat(web_search_options={"user_location": {"type": "approximate", "approximate": {"city": p}}})),
    RequestField("chat", "unknown top-level string (e.g. instructions)", lambda p: chat(instructions=p)),
    RequestField("chat", "unknown top-level object (e.g. chat_template_kwargs)", lambda p: chat(chat_template_kwargs={"system_hint": p})),
    RequestField("chat", "unknown top-level list (e.g. documents)", lambda p: chat(documents=[{"title": "doc", "text": p}])),
    # ---- chat: what cannot be checked is refused
    RequestField("chat", "messages[].content[] part without type", lambda p: chat({"role": "user", "content": [{"text": p}]}), "rejected"),
    RequestField("chat", "messages[].content[] unknown part type", lambda p: chat({"role": "user", "content": [{"type": "input_file", "text": p}]}), "rejected"),
    RequestField("chat", "messages[].content[] image_url with a text data URL", lambda p: chat({"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_url("text/plain", p)}}]}), "rejected"),
    RequestField("chat", "messages[].content[] file by file_id", lambda p: chat({"role": "user", "content": [{"type": "file", "file": {"file_id": "file-" + str(len(p))}}]}), "rejected"),
    RequestField("chat", "messages[].content[] file, PDF data", lambda p: chat({"role": "user", "content": [{"type": "file", "file": {"filename": "a.pdf", "file_data": data_url("application/pdf", p)}}]}), "rejected"),
    RequestField("chat", "messages[].content[] file, bare base64", lambda p: chat({"role": "user", "content": [{"type": "file", "file": {"filename": "a.txt", "file_data": base64.b64encode(p.encode()).decode()}}]}), "rejected"),
    RequestField("chat", "chat_template", lambda p: chat(chat_template="{{ '" + p + "' }}{% for m in messages %}{{ m.content }}{% endfor %}"), "rejected"),
    # ---- chat: control fields never reach the model
    RequestField("chat", "user", lambda p: chat(user=p), "control"),
    RequestField("chat", "metadata", lambda p: chat(metadata={"note": p}), "control"),
    RequestField("chat", "stop", lambda p: chat(stop=[p]), "control"),
    RequestField("chat", "safety_identifier", lambda p: chat(safety_identifier=p), "control"),
    RequestField("chat", "prompt_cache_key", lambda p: chat(prompt_cache_key=p), "control"),
    RequestField("chat", "messages[].tool_call_id", lambda p: chat(USER, {"role": "assistant", "content": None, "tool_calls": [_call()]}, {"role": "tool", "tool_call_id": p, "content": "ok"}), "control"),
    RequestField("chat", "messages[].audio.id", lambda p: chat(USER, {"role": "assistant", "content": None, "audio": {"id": p}}, USER), "control"),
    # media: images and audio are not text the engine reads (docs/security.md, known limits)
    RequestField("chat", "messages[].content[] image_url part (URL)", lambda p: chat({"role": "user", "content": [{"type": "text", "text": "这是什么？"}, {"type": "image_url", "image_url": {"url": "https://example.test/" + str(len(p)) + ".png", "detail": p}}]}), "control"),
    RequestField("chat", "messages[].content[] input_audio part", lambda p: chat({"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": base64.b64encode(p.encode()).decode(), "format": "wav"}}]}), "control"),
    # ---- completions
    RequestField("completions", "prompt (string)", lambda p: {"model": "mock-model", "prompt": p}),
    RequestField("completions", "prompt[] (list)", lambda p: {"model": "mock-model", "prompt": ["你好", p]}),
    RequestField("completions", "suffix", lambda p: {"model": "mock-model", "prompt": "def f():", "suffix": p}),
    RequestField("completions", "unknown top-level string", lambda p: {"model": "mock-model", "prompt": "你好", "system": p}),
    RequestField("completions", "prompt as token ids", lambda p: {"model": "mock-model", "prompt": [[1, 2, len(p)]]}, "rejected"),
    RequestField("completions", "user", lambda p: {"model": "mock-model", "prompt": "你好", "user": p}, "control"),
    # ---- images
    RequestField("images", "prompt", lambda p: {"model": "mock-model", "prompt": p}, streams=False),
    RequestField("images", "unknown top-level string (e.g. negative_prompt)", lambda p: {"model": "mock-model", "prompt": "一只猫", "negative_prompt": p}, streams=False),
    RequestField("images", "user", lambda p: {"model": "mock-model", "prompt": "一只猫", "user": p}, "control", streams=False),
    # ---- responses: translated to chat, so every text goes through the chat checks
    RequestField("responses", "input (string)", lambda p: resp(p)),
    RequestField("responses", "input[].content (user string)", lambda p: resp([{"role": "user", "content": p}])),
    RequestField("responses", "input[].content[] input_text part", lambda p: resp([{"role": "user", "content": [{"type": "input_text", "text": "看："}, {"type": "input_text", "text": p}]}])),
    RequestField("responses", "input[].content (system, developer)", lambda p: resp([{"role": "developer", "content": p}, {"role": "user", "content": "你好"}])),
    RequestField("responses", "input[].content[] output_text part (assistant history)", lambda p: resp([{"role": "user", "content": "你好"}, {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": p}]}, {"role": "user", "content": "继续"}])),
    RequestField("responses", "instructions", lambda p: resp("你好", instructions=p)),
    RequestField("responses", "input[] function_call.arguments", lambda p: resp([{"role": "user", "content": "查"}, {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": p}, {"type": "function_call_output", "call_id": "c1", "output": "ok"}])),
    RequestField("responses", "input[] function_call.name", lambda p: resp([{"role": "user", "content": "查"}, {"type": "function_call", "call_id": "c1", "name": p, "arguments": "{}"}, {"type": "function_call_output", "call_id": "c1", "output": "ok"}])),
    RequestField("responses", "input[] function_call_output.output", lambda p: resp([{"role": "user", "content": "查"}, {"type": "function_call", "call_id": "c1", "name": "lookup", "arguments": "{}"}, {"type": "function_call_output", "call_id": "c1", "output": p}])),
    RequestField("responses", "tools[] function description", lambda p: resp("你好", tools=[{"type": "function", "name": "lookup", "description": p, "parameters": _schema()}])),
    RequestField("responses", "tools[] function parameters", lambda p: resp("你好", tools=[{"type": "function", "name": "lookup", "parameters": _schema(description=p)}])),
    RequestField("responses", "text.format.schema", lambda p: resp("你好", text={"format": {"type": "json_schema", "name": "a", "schema": _schema(description=p)}})),
    RequestField("responses", "input[].content[] input_file, text data", lambda p: resp([{"role": "user", "content": [{"type": "input_text", "text": "总结"}, {"type": "input_file", "filename": "a.txt", "file_data": data_url("text/plain", p)}]}])),
    RequestField("responses", "previous_response_id", lambda p: resp("你好", previous_response_id="resp_" + str(len(p))), "rejected"),
    RequestField("responses", "tools[] built-in tool (web_search)", lambda p: resp("你好", tools=[{"type": "web_search", "note": p}]), "rejected"),
    RequestField("responses", "input[] unknown item type", lambda p: resp([{"type": "item_reference", "id": p}]), "rejected"),
    RequestField("responses", "input[].content[] input_image by file_id", lambda p: resp([{"role": "user", "content": [{"type": "input_image", "file_id": "file-" + str(len(p))}]}]), "rejected"),
    RequestField("responses", "input[].content[] input_file by file_id", lambda p: resp([{"role": "user", "content": [{"type": "input_file", "file_id": "file-" + str(len(p))}]}]), "rejected"),
    RequestField("responses", "unknown top-level field (e.g. prompt_variables)", lambda p: resp("你好", prompt_variables={"x": p}), "rejected"),
    RequestField("responses", "user", lambda p: resp("你好", user=p), "control"),
    RequestField("responses", "metadata", lambda p: resp("你好", metadata={"note": p}), "control"),
    # ---- embeddings: inputs checked like a prompt
    RequestField("embeddings", "input (string)", lambda p: {"model": "mock-model", "input": p}, streams=False),
    RequestField("embeddings", "input[] (list of strings)", lambda p: {"model": "mock-model", "input": ["你好", p]}, streams=False),
    RequestField("embeddings", "unknown top-level string", lambda p: {"model": "mock-model", "input": "你好", "prefix": p}, streams=False),
    RequestField("embeddings", "input as token ids", lambda p: {"model": "mock-model", "input": [1, 2, len(p)]}, "rejected", streams=False),
    RequestField("embeddings", "input as lists of token ids", lambda p: {"model": "mock-model", "input": [[1, 2, len(p)]]}, "rejected", streams=False),
    RequestField("embeddings", "user", lambda p: {"model": "mock-model", "input": "你好", "user": p}, "control", streams=False),
    # ---- moderations: answered by hegui itself, nothing is forwarded
    RequestField("moderations", "input (string)", lambda p: {"input": p}, streams=False),
    RequestField("moderations", "input[] text item", lambda p: {"input": [{"type": "text", "text": p}]}, streams=False),
]  # fmt: skip


@dataclass(frozen=True)
class AnswerField:
    endpoint: str  # chat | completions | images | responses
    name: str
    answer: Build | None = None  # the upstream's non-streamed answer
    events: Events | None = None  # the upstream's streamed events
    treatment: str = "checked"

    @property
    def id(self) -> str:
        return f"{self.endpoint}:{self.name}"


def chat_answer(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}
    choice.update(extra.pop("choice", {}))
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1,
        "model": "mock-model",
        "choices": [choice],
        "usage": {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8},
        **extra,
    }


def completion_answer(text: str, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
    choice.update(extra.pop("choice", {}))
    return {
        "id": "cmpl-mock",
        "object": "text_completion",
        "created": 1,
        "model": "mock-model",
        "choices": [choice],
        **extra,
    }


def chunk(delta: dict[str, Any], **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": None}
    choice.update(extra.pop("choice", {}))
    return {
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "mock-model",
        "choices": [choice],
        **extra,
    }


def halves(p: str) -> tuple[str, str]:
    return p[: len(p) // 2], p[len(p) // 2 :]


def stream_of(*deltas: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        chunk({"role": "assistant", "content": ""}),
        *map(chunk, deltas),
        chunk({}, choice={"finish_reason": "stop"}),
    ]


def _tool_events(name: str, args: list[str]) -> list[dict[str, Any]]:
    first = {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": name, "arguments": ""},
            }
        ]
    }
    rest = [{"tool_calls": [{"index": 0, "function": {"arguments": a}}]} for a in args]
    return stream_of(first, *rest)


def _logprob_rows(text: str, alternative: str = "") -> list[dict[str, Any]]:
    return [
        {"token": ch, "logprob": -0.1, "bytes": list(ch.encode()),
         "top_logprobs": [{"token": ch, "logprob": -0.1}] + ([{"token": alternative[i], "logprob": -2.0}] if i < len(alternative) else [])}
        for i, ch in enumerate(text)
    ]  # fmt: skip


def completion_chunk(text: str, **choice: Any) -> dict[str, Any]:
    return {
        "id": "cmpl-mock",
        "object": "text_completion",
        "created": 1,
        "model": "mock-model",
        "choices": [{"index": 0, "text": text, "finish_reason": None, **choice}],
    }


ANSWER_FIELDS: list[AnswerField] = [
    # ---- chat, checked
    AnswerField("chat", "message.content", answer=lambda p: chat_answer({"content": "好的。" + p}),
                events=lambda p: stream_of(*({"content": h} for h in halves("好的。" + p)))),
    AnswerField("chat", "message.content[] text part", answer=lambda p: chat_answer({"content": [{"type": "text", "text": p}]})),
    AnswerField("chat", "message.content[] split over two text parts", answer=lambda p: chat_answer({"content": [{"type": "text", "text": halves(p)[0]}, {"type": "text", "text": halves(p)[1]}]})),
    AnswerField("chat", "message.content[] refusal part", answer=lambda p: chat_answer({"content": [{"type": "refusal", "refusal": p}]})),
    AnswerField("chat", "message.refusal", answer=lambda p: chat_answer({"content": None, "refusal": p}),
                events=lambda p: stream_of({"refusal": halves(p)[0]}, {"refusal": halves(p)[1]})),
    AnswerField("chat", "message.reasoning_content", answer=lambda p: chat_answer({"content": "好", "reasoning_content": p}),
                events=lambda p: stream_of({"reasoning_content": halves(p)[0]}, {"reasoning_content": halves(p)[1]}, {"content": "好"})),
    AnswerField("chat", "message.reasoning", answer=lambda p: chat_answer({"content": "好", "reasoning": p}),
                events=lambda p: stream_of({"reasoning": halves(p)[0]}, {"reasoning": halves(p)[1]}, {"content": "好"})),
    AnswerField("chat", "message.tool_calls[].function.arguments", answer=lambda p: chat_answer({"content": None, "tool_calls": [_call(arguments='{"q":"' + p + '"}')]}),
                events=lambda p: _tool_events("lookup", ['{"q":"', *halves(p), '"}'])),
    AnswerField("chat", "message.tool_calls[].function.name", answer=lambda p: chat_answer({"content": None, "tool_calls": [_call(name=p)]}),
                events=lambda p: _tool_events(p, ["{}"])),
    AnswerField("chat", "message.function_call.arguments (legacy)", answer=lambda p: chat_answer({"content": None, "function_call": {"name": "lookup", "arguments": p}}),
                events=lambda p: stream_of({"function_call": {"name": "lookup", "arguments": ""}}, {"function_call": {"arguments": halves(p)[0]}}, {"function_call": {"arguments": halves(p)[1]}})),
    AnswerField("chat", "message.function_call.name (legacy)", answer=lambda p: chat_answer({"content": None, "function_call": {"name": p, "arguments": "{}"}}),
                events=lambda p: stream_of({"function_call": {"name": p, "arguments": "{}"}})),
    AnswerField("chat", "message.audio.transcript", answer=lambda p: chat_answer({"content": None, "audio": {"id": "audio_1", "data": "UklGRg==", "expires_at": 1, "transcript": p}})),
    AnswerField("chat", "message.annotations[].url_citation.title", answer=lambda p: chat_answer({"content": "见链接", "annotations": [{"type": "url_citation", "url_citation": {"start_index": 0, "end_index": 2, "url": "https://example.test/a", "title": p}}]})),
    AnswerField("chat", "message.annotations[].url_citation.url", answer=lambda p: chat_answer({"content": "见链接", "annotations": [{"type": "url_citation", "url_citation": {"start_index": 0, "end_index": 2, "url": "https://example.test/" + p, "title": "t"}}]})),
    AnswerField("chat", "choices[1].message.content (n=2)", answer=lambda p: {**chat_answer({"content": "好"}), "choices": [chat_answer({"content": "好"})["choices"][0], {**chat_answer({"content": p})["choices"][0], "index": 1}]}),
    # ---- chat, dropped: not on the allow-list
    AnswerField("chat", "choices[].text in a chat answer", answer=lambda p: chat_answer({"content": "好"}, choice={"text": p}),
                events=lambda p: [*stream_of({"content": "好"})[:1], chunk({"content": "好"}, choice={"text": p}), *stream_of()[-1:]], treatment="dropped"),
    AnswerField("chat", "unknown top-level field", answer=lambda p: chat_answer({"content": "好"}, extra_text=p),
                events=lambda p: [chunk({"content": "好"}, extra_text=p), *stream_of()[-1:]], treatment="dropped"),
    AnswerField("chat", "unknown message field", answer=lambda p: chat_answer({"content": "好", "summary": p}),
                events=lambda p: stream_of({"content": "好", "summary": p}), treatment="dropped"),
    AnswerField("chat", "unknown choice field", answer=lambda p: chat_answer({"content": "好"}, choice={"note": p}),
                events=lambda p: [chunk({"content": "好"}, choice={"note": p}), *stream_of()[-1:]], treatment="dropped"),
    AnswerField("chat", "id, model, system_fingerprint", answer=lambda p: {**chat_answer({"content": "好"}), "id": p, "model": p, "system_fingerprint": p},
                events=lambda p: [{**chunk({"content": "好"}), "id": p, "model": p, "system_fingerprint": p}, *stream_of()[-1:]], treatment="dropped"),
    AnswerField("chat", "usage with text", answer=lambda p: chat_answer({"content": "好"}, usage={"prompt_tokens": 1, "note": p, "details": {"x": p}}),
                events=lambda p: [*stream_of({"content": "好"}), {**chunk({}), "choices": [], "usage": {"prompt_tokens": 1, "note": p}}], treatment="dropped"),
    AnswerField("chat", "an upstream 'hegui' object", answer=lambda p: chat_answer({"content": "好"}, hegui={"notice": p}), treatment="dropped"),
    AnswerField("chat", "finish_reason / stop_reason with text", answer=lambda p: chat_answer({"content": "好"}, choice={"finish_reason": p, "stop_reason": p}),
                events=lambda p: [chunk({"content": "好"}), chunk({}, choice={"finish_reason": p, "stop_reason": p})], treatment="dropped"),
    AnswerField("chat", "delta.content as a list of parts", events=lambda p: stream_of({"content": [{"type": "text", "text": p}]}), treatment="dropped"),
    AnswerField("chat", "delta.audio (streamed)", events=lambda p: stream_of({"audio": {"id": "a", "data": "UklGRg==", "transcript": p}}), treatment="dropped"),
    AnswerField("chat", "delta.text (unknown delta field)", events=lambda p: stream_of({"text": p}), treatment="dropped"),
    AnswerField("chat", "choices[].logprobs top_logprobs in a stream", events=lambda p: [chunk({"content": "好"}, choice={"logprobs": {"content": _logprob_rows("好", p)}}), *stream_of()[-1:]], treatment="dropped"),
    AnswerField("chat", "choices[].logprobs.content[] in a stream", events=lambda p: [chunk({"role": "assistant", "content": ""}), *(chunk({"content": ch}, choice={"logprobs": {"content": _logprob_rows(ch)}}) for ch in "好的。" + p), *stream_of()[-1:]]),
    AnswerField("chat", "choices[].logprobs top_logprobs spelling the payload in a stream", events=lambda p: [chunk({"role": "assistant", "content": ""}), *(chunk({"content": "好"}, choice={"logprobs": {"content": _logprob_rows("好", p[i])}}) for i in range(len(p))), *stream_of()[-1:]], treatment="dropped"),
    # ---- chat logprobs (non-streamed): they follow their text
    AnswerField("chat", "logprobs.content[] of a refused answer", answer=lambda p: chat_answer({"content": p}, choice={"logprobs": {"content": _logprob_rows(p), "refusal": None}})),
    AnswerField("chat", "logprobs.content[].top_logprobs spelling the payload", answer=lambda p: chat_answer({"content": "好" * len(p)}, choice={"logprobs": {"content": _logprob_rows("好" * len(p), p), "refusal": None}}), treatment="dropped"),
    AnswerField("chat", "logprobs.content[] disagreeing with the content", answer=lambda p: chat_answer({"content": "好"}, choice={"logprobs": {"content": _logprob_rows(p), "refusal": None}}), treatment="dropped"),
    # ---- completions
    AnswerField("completions", "choices[].text", answer=lambda p: completion_answer("好的。" + p),
                events=lambda p: [completion_chunk(h) for h in halves("好的。" + p)] + [completion_chunk("", finish_reason="stop")]),
    AnswerField("completions", "choices[].logprobs.tokens of a refused answer", answer=lambda p: completion_answer(p, choice={"logprobs": {"tokens": list(p), "token_logprobs": [-0.1] * len(p), "top_logprobs": None, "text_offset": list(range(len(p)))}})),
    AnswerField("completions", "choices[].logprobs.top_logprobs spelling the payload", answer=lambda p: completion_answer("好" * len(p), choice={"logprobs": {"tokens": ["好"] * len(p), "token_logprobs": [-0.1] * len(p), "top_logprobs": [{"好": -0.1, ch: -2.0} for ch in p], "text_offset": list(range(len(p)))}}), treatment="dropped"),
    AnswerField("completions", "unknown top-level field", answer=lambda p: completion_answer("好", extra=p),
                events=lambda p: [{**completion_chunk("好"), "extra": p}, completion_chunk("", finish_reason="stop")], treatment="dropped"),
    AnswerField("completions", "choices[].logprobs in a stream", events=lambda p: [completion_chunk("好", logprobs={"tokens": [p]}), completion_chunk("", finish_reason="stop")], treatment="dropped"),
    # ---- responses: the chat answer is checked, then renamed (output items, events)
    AnswerField("responses", "output[] message output_text", answer=lambda p: chat_answer({"content": "好的。" + p}),
                events=lambda p: stream_of(*({"content": h} for h in halves("好的。" + p)))),
    AnswerField("responses", "output[] message refusal part", answer=lambda p: chat_answer({"content": None, "refusal": p}),
                events=lambda p: stream_of({"refusal": halves(p)[0]}, {"refusal": halves(p)[1]})),
    AnswerField("responses", "output[] function_call.arguments", answer=lambda p: chat_answer({"content": None, "tool_calls": [_call(arguments='{"q":"' + p + '"}')]}),
                events=lambda p: _tool_events("lookup", ['{"q":"', *halves(p), '"}'])),
    AnswerField("responses", "output[] function_call.name", answer=lambda p: chat_answer({"content": None, "tool_calls": [_call(name=p)]}),
                events=lambda p: _tool_events(p, ["{}"])),
    AnswerField("responses", "reasoning_content (checked, not relayed)", answer=lambda p: chat_answer({"content": "好", "reasoning_content": p}),
                events=lambda p: stream_of({"reasoning_content": halves(p)[0]}, {"reasoning_content": halves(p)[1]}, {"content": "好"})),
    AnswerField("responses", "unknown field of the upstream answer", answer=lambda p: chat_answer({"content": "好", "summary": p}, note=p),
                events=lambda p: [{**chunk({"content": "好"}), "note": p}, *stream_of()[-1:]], treatment="dropped"),
    # ---- images
    AnswerField("images", "data[].revised_prompt", answer=lambda p: {"created": 1, "data": [{"b64_json": PNG, "revised_prompt": p}]}),
    AnswerField("images", "unknown top-level field", answer=lambda p: {"created": 1, "data": [{"b64_json": PNG}], "note": p}, treatment="dropped"),
    AnswerField("images", "data[] unknown field", answer=lambda p: {"created": 1, "data": [{"b64_json": PNG, "caption": p}]}, treatment="dropped"),
]  # fmt: skip


def _png() -> str:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


PNG = _png()
