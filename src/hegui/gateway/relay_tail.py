"""The last chunks of a relayed stream: the checked trailing text, then each choice's finish.

Split out of :mod:`relay` (pure functions of what the relay collected): the trailing fragments the
moderator released at the end, with the explicit label's suffix after the answer text, and the
``finish_reason`` chunk of a choice.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["finish_choice", "tail_choice"]


def tail_choice(
    kind: str,
    idx: int,
    parts: dict[Hashable, str],
    suffix: str,
    first: Callable[[int, str], str],
    had_content: bool,
) -> dict[str, Any] | None:
    """The choice carrying ``parts`` (channel key → trailing text) and the label ``suffix``;
    ``first`` puts the label's prefix before a choice's first answer text."""
    if kind == "completions":
        text = parts.get((idx, "text"), "")
        if text:
            text = first(idx, text)
        text += suffix
        if not text:
            return None
        return {"index": idx, "text": text, "logprobs": None, "finish_reason": None}
    delta: dict[str, Any] = {}
    calls: list[dict[str, Any]] = []
    for key, text in parts.items():
        channel = key[1]  # type: ignore[index]
        if channel == "tool":
            calls.append({"index": key[2], "function": {"arguments": text}})  # type: ignore[index]
        elif channel == "function_call":
            delta["function_call"] = {"arguments": text}
        else:
            delta[channel] = first(idx, text) if channel == "content" else text
    if calls:
        delta["tool_calls"] = calls
    if suffix and (had_content or "content" in delta):
        delta["content"] = delta.get("content", "") + suffix
    if not delta:
        return None
    return {"index": idx, "delta": delta, "logprobs": None, "finish_reason": None}


def finish_choice(kind: str, idx: int, reason: str) -> dict[str, Any]:
    if kind == "completions":
        return {"index": idx, "text": "", "logprobs": None, "finish_reason": reason}
    return {"index": idx, "delta": {}, "logprobs": None, "finish_reason": reason}
