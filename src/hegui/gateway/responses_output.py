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

# Request fields a response object echoes back (as OpenAI's does).
_ECHOED = (
    "instructions", "max_output_tokens", "metadata", "parallel_tool_calls", "reasoning",
    "temperature", "text", "tool_choice", "tools", "top_p", "truncation", "user",
)  # fmt: skip
_DEFAULTS: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "reasoning": {"effort": None, "summary": None},
    "temperature": 1.0,
    "text": {"format": {"type": "text"}},
    "tool_choice": "auto",
    "tools": [],
    "top_p": 1.0,
    "truncation": "disabled",
    "user": None,
}


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


def text_part(text: str, annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": annotations or [], "logprobs": []}


class ResponseShape:
    """The ``response`` object of one request: its id, the echoed request fields, the model."""

    def __init__(self, request: dict[str, Any], model: str) -> None:
        self.id = new_item_id("resp")
        self.created_at = int(time.time())
        self.model = model
        self.echo = {k: request.get(k, _DEFAULTS[k]) for k in _ECHOED}
        if self.echo["metadata"] is None:
            self.echo["metadata"] = {}

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
            parts.append(text_part(content, notes))
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
