"""Bounds on the work one request may ask for, so no single request can stall the others.

Two limits, both configurable (``[gateway] max_messages``, ``max_checked_chars``): how many
messages (chat ``messages``, completion ``prompt`` items, moderation ``input`` items) a request
carries, checked before anything walks them; and how many characters of text the engine is
asked to check. Beyond them the request is refused with an OpenAI error object: 400
``too_many_messages`` or 413 ``too_much_text``. Requests inside the limits but large are checked
off the event loop (:class:`hegui.gateway.moderation.Moderation`).
"""

from __future__ import annotations

from typing import Any

from hegui.gateway.errors import GatewayError

__all__ = ["check_item_count", "check_text_size", "text_size"]

_ITEMS = {
    "chat": "messages",
    "completions": "prompt",
    "moderations": "input",
    "embeddings": "input",
}


def check_item_count(doc: dict[str, Any], kind: str, limit: int) -> None:
    """400 when the request's list of messages / prompts / inputs is longer than ``limit``."""
    field = _ITEMS.get(kind)
    items = doc.get(field) if field else None
    if isinstance(items, list) and len(items) > limit:
        raise GatewayError(
            400,
            f"'{field}' has {len(items)} items; at most {limit} are accepted per request.",
            code="too_many_messages",
            param=field,
            decision="invalid",
        )


def text_size(texts: list[str]) -> int:
    return sum(len(t) for t in texts)


def check_text_size(size: int, limit: int) -> None:
    """413 when the request asks for more than ``limit`` characters of text to be checked."""
    if size > limit:
        raise GatewayError(
            413,
            f"The request carries {size} characters of text; at most {limit} are checked per"
            " request.",
            code="too_much_text",
            decision="invalid",
        )
