"""A checked chat answer in the Responses API's shape (the ``response`` object and its items).

Used by :mod:`responses_api` for non-streamed answers and by :mod:`responses_stream` for the
``response`` object its first and last events carry. Only the texts the chat path checked and
labelled are used: the message text (``output_text``), a refusal (``refusal`` part) and function
calls. Reasoning text is not relayed. A gateway refusal or a stopped answer
(``finish_reason: content_filter``) is ``status: "incomplete"`` with
``incomplete_details.reason: "content_filter"``; its text is the policy's message.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

__all__ = ["ResponseShape", "function_call_item", "message_item", "status_of", "usage_of"]

# Request settings a response object echoes back (as OpenAI's does): numbers and switches only.
# The request's texts (instructions, tools, metadata, user, a schema) are not echoed: a response
# carries only what hegui checked or wrote.
_ECHOED: dict[str, Any] = {
    "max_output_tokens": None,
    "parallel_tool_calls": True,
    "temperature": 1.0,
    "top_p": 1.0,
    "truncation": "disabled",
}


_FORMATS = ("text", "json_object", "json_schema")
_EFFORTS = ("minimal", "low", "medium", "high")


def new_item_id(prefix: str) -> str:
    return f"{prefix}_hegui{uuid.uuid4().hex[:24]}"


def usage_of(usage: Any) -> dict[str, Any] | None:
    """Chat usage (``prompt_tokens`` ...) in the Responses names (``input_tokens`` ...)."""
    if not isinstance(usage, dict):
        return None
    pin = usage.get("prompt_tokens") or 0
    out = usage.get("completion_tokens") or 0
    cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0
    return {
        "input_tokens": pin,
        "input_tokens_details": {"cached_tokens": cached},
        "output_tokens": out,
        "output_tokens_details": {"reasoning_tokens": reasoning},
        "total_tokens": usage.get("total_tokens") or pin + out,
    }


def status_of(finish_reason: str | None) -> tuple[str, dict[str, str] | None]:
    """``(status, incomplete_details)`` for a chat finish reason."""
    if finish_reason == "content_filter":
        return "incomplete", {"reason": "content_filter"}
    if finish_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    return "completed", None


def message_item(
    item_id: str, parts: list[dict[str, Any]], status: str = "completed"
) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "status": status,
        "role": "assistant",
        "content": parts,
    }


def function_call_item(
    item_id: str, call_id: str, name: str, arguments: str, status: str = "completed"
) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": item_id,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def text_part(
    text: str,
    annotations: list[dict[str, Any]] | None = None,
    logprobs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An ``output_text`` part; ``logprobs`` are chat rows, which have the Responses shape."""
    return {
        "type": "output_text",
        "text": text,
        "annotations": annotations or [],
        "logprobs": logprobs or [],
    }


class ResponseShape:
    """The ``response`` object of one request: its id, the echoed request fields, the model."""

    def __init__(self, request: dict[str, Any], model: str) -> None:
        self.id = new_item_id("resp")
        self.created_at = int(time.time())
        self.model = model
        self.echo: dict[str, Any] = dict(_ECHOED)
        for key in ("max_output_tokens", "temperature", "top_p"):
            value = request.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.echo[key] = value
        if isinstance(request.get("parallel_tool_calls"), bool):
            self.echo["parallel_tool_calls"] = request["parallel_tool_calls"]
        if request.get("truncation") in ("auto", "disabled"):
            self.echo["truncation"] = request["truncation"]
        choice = request.get("tool_choice")
        self.echo["tool_choice"] = choice if choice in ("auto", "none", "required") else "auto"
        fmt = (
            (request.get("text") or {}).get("format")
            if isinstance(request.get("text"), dict)
            else None
        )
        kind = fmt.get("type") if isinstance(fmt, dict) else None
        self.echo["text"] = {"format": {"type": kind if kind in _FORMATS else "text"}}
        effort = request.get("reasoning")
        effort = effort.get("effort") if isinstance(effort, dict) else None
        self.echo["reasoning"] = {"effort": effort if effort in _EFFORTS else None, "summary": None}

    def build(
        self,
        status: str,
        output: list[dict[str, Any]],
        *,
        usage: dict[str, Any] | None = None,
        incomplete: dict[str, str] | None = None,
        error: dict[str, Any] | None = None,
        hegui: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "error": error,
            "incomplete_details": incomplete,
            "model": self.model,
            "output": output,
            **self.echo,
            "instructions": None,
            "metadata": {},
            "tools": [],
            "user": None,
            "store": False,
            "usage": usage,
        }
        if hegui is not None:
            doc["hegui"] = hegui
        return doc

    def from_chat(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The complete response for a checked, labelled chat completion."""
        choices = answer.get("choices") or [{}]
        choice = choices[0]
        msg = choice.get("message") or {}
        output: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        content = msg.get("content")
        notes = [_annotation(n) for n in msg.get("annotations") or ()]
        if isinstance(content, str) and content:
            logprobs = choice.get("logprobs") or {}  # already made to follow the checked text
            parts.append(text_part(content, notes, logprobs.get("content")))
        elif isinstance(content, list):
            for p in content:
                if p.get("type") == "text":
                    parts.append(text_part(p["text"]))
                elif p.get("type") == "refusal":
                    parts.append({"type": "refusal", "refusal": p["refusal"]})
        if isinstance(msg.get("refusal"), str) and msg["refusal"]:
            parts.append({"type": "refusal", "refusal": msg["refusal"]})
        calls = msg.get("tool_calls") or []
        if parts or not calls:
            output.append(message_item(new_item_id("msg"), parts or [text_part("")]))
        for call in calls:
            fn = call["function"]
            output.append(
                function_call_item(new_item_id("fc"), call["id"], fn["name"], fn["arguments"])
            )
        status, incomplete = status_of(choice.get("finish_reason"))
        return self.build(
            status,
            output,
            usage=usage_of(answer.get("usage")),
            incomplete=incomplete,
            hegui=answer.get("hegui"),
        )


def _annotation(note: dict[str, Any]) -> dict[str, Any]:
    cite = note["url_citation"]
    return {
        "type": "url_citation",
        "url": cite["url"],
        "title": cite.get("title", ""),
        "start_index": cite.get("start_index", 0),
        "end_index": cite.get("end_index", 0),
    }
