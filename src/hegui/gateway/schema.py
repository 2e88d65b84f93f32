"""OpenAI request validation and response shapes the gateway writes itself.

Validation is deliberately shallow: the gateway checks what it relies on (types of ``model``,
``messages``/``prompt``, ``stream``) and forwards everything else untouched to the upstream.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from hegui.gateway.errors import GatewayError

__all__ = [
    "chat_completion",
    "chunk",
    "input_slots",
    "new_id",
    "output_slots",
    "parse_body",
    "require_model",
    "require_stream",
]

TEXT_DELTA_KEYS = ("content", "reasoning_content", "reasoning", "refusal")


def new_id(prefix: str) -> str:
    return f"{prefix}-hegui-{uuid.uuid4().hex[:24]}"


def _bad(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, message, code="invalid_request", param=param, decision="invalid")


def parse_body(raw: bytes) -> dict[str, Any]:
    """Bytes → JSON object, or a 400 naming the problem (not UTF-8, not JSON, not an object)."""
    if not raw:
        raise _bad("Request body is empty; expected a JSON object.")
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = (
            "Request body is not valid UTF-8."
            if "utf-8" in str(exc).lower()
            else f"Request body is not valid JSON: {exc}"
        )
        raise _bad(msg) from None
    if not isinstance(doc, dict):
        raise _bad("Request body must be a JSON object.")
    return doc


def require_model(doc: dict[str, Any]) -> str:
    model = doc.get("model")
    if not isinstance(model, str) or not model:
        raise _bad("'model' must be a non-empty string.", "model")
    return model


def require_stream(doc: dict[str, Any]) -> bool:
    stream = doc.get("stream", False)
    if stream is None:
        return False
    if not isinstance(stream, bool):
        raise _bad("'stream' must be a boolean.", "stream")
    return stream


Slot = tuple[Any, str | int]  # (dict or list holding a text, key or index)


def input_slots(doc: dict[str, Any], kind: str) -> list[Slot]:
    """Every user-controlled text of a chat/completions request as ``(container, key)`` pairs.

    Slots point into ``doc`` so a redacted text can be written back in place.
    """
    slots: list[Slot] = []
    if kind == "completions":
        prompt = doc.get("prompt")
        if isinstance(prompt, str):
            return [(doc, "prompt")]
        if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
            return [(prompt, i) for i in range(len(prompt))]
        raise _bad(
            "'prompt' must be a string or a list of strings (token arrays are not accepted).",
            "prompt",
        )
    messages = doc.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _bad("'messages' must be a non-empty array.", "messages")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict) or not isinstance(msg.get("role"), str):
            raise _bad(f"messages[{i}] must be an object with a string 'role'.", f"messages.{i}")
        content = msg.get("content")
        if isinstance(content, str):
            slots.append((msg, "content"))
        elif isinstance(content, list):
            for j, part in enumerate(content):
                if not isinstance(part, dict):
                    raise _bad(
                        f"messages[{i}].content[{j}] must be an object.", f"messages.{i}.content"
                    )
                if part.get("type") == "text":
                    if not isinstance(part.get("text"), str):
                        raise _bad(
                            f"messages[{i}].content[{j}].text must be a string.",
                            f"messages.{i}.content",
                        )
                    slots.append((part, "text"))
        elif content is not None:
            raise _bad(
                f"messages[{i}].content must be a string, an array or null.",
                f"messages.{i}.content",
            )
        for tc in msg.get("tool_calls") or ():
            fn = tc.get("function") if isinstance(tc, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                slots.append((fn, "arguments"))
    return slots


def output_slots(doc: dict[str, Any], kind: str) -> list[tuple[int, dict[str, Any], str]]:
    """Every generated text of a non-streamed answer as ``(choice index, container, key)``."""
    slots: list[tuple[int, dict[str, Any], str]] = []
    choices = doc.get("choices")
    if not isinstance(choices, list):
        return slots
    for n, choice in enumerate(choices):
        if not isinstance(choice, dict):
            continue
        idx = choice.get("index", n)
        if kind == "completions":
            if isinstance(choice.get("text"), str):
                slots.append((idx, choice, "text"))
            continue
        msg = choice.get("message")
        if not isinstance(msg, dict):
            continue
        for key in TEXT_DELTA_KEYS:
            if isinstance(msg.get(key), str):
                slots.append((idx, msg, key))
        for tc in msg.get("tool_calls") or ():
            fn = tc.get("function") if isinstance(tc, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("arguments"), str):
                slots.append((idx, fn, "arguments"))
    return slots


def chat_completion(
    model: str, content: str, finish_reason: str, kind: str, hegui: dict[str, Any]
) -> dict[str, Any]:
    """A complete answer written by the gateway (a refusal or a safe answer)."""
    if kind == "completions":
        choice: dict[str, Any] = {
            "index": 0,
            "text": content,
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        obj, prefix = "text_completion", "cmpl"
    else:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        obj, prefix = "chat.completion", "chatcmpl"
    return {
        "id": new_id(prefix),
        "object": obj,
        "created": int(time.time()),
        "model": model,
        "choices": [choice],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "hegui": hegui,
    }


def chunk(
    envelope: dict[str, Any],
    kind: str,
    index: int,
    text: str | None,
    finish_reason: str | None,
    hegui: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One streamed chunk in the upstream's envelope (id, created, model) with our text."""
    if kind == "completions":
        choice: dict[str, Any] = {
            "index": index,
            "text": text or "",
            "logprobs": None,
            "finish_reason": finish_reason,
        }
    else:
        delta: dict[str, Any] = {"content": text} if text else {}
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
    out = {
        "id": envelope.get("id") or new_id("chatcmpl"),
        "object": envelope.get("object")
        or ("text_completion" if kind == "completions" else "chat.completion.chunk"),
        "created": envelope.get("created") or int(time.time()),
        "model": envelope.get("model") or "",
        "choices": [choice],
    }
    if hegui is not None:
        out["hegui"] = hegui
    return out
