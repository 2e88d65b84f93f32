"""OpenAI request validation and response shapes the gateway writes itself.

Validation here is of what the gateway relies on (types of ``model`` and ``stream``); which
request strings reach the model and how each is checked is :mod:`hegui.gateway.channels`.
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
    "include_usage",
    "new_id",
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


ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def include_usage(doc: dict[str, Any]) -> bool:
    """Whether a streaming client asked for the final usage chunk (``stream_options``)."""
    options = doc.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def usage_frame(envelope: dict[str, Any], kind: str, usage: dict[str, Any] | None) -> bytes:
    """The OpenAI usage chunk (no choices) a stream ends with when the client asked for it;
    zero counts when the gateway wrote the answer itself or stopped before the upstream
    counted (nothing is estimated)."""
    doc = chunk(envelope, kind, 0, None, None)
    doc["choices"] = []
    doc["usage"] = usage if usage is not None else dict(ZERO_USAGE)
    return b"data: " + orjson.dumps(doc) + b"\n\n"


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
        "usage": dict(ZERO_USAGE),
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
