"""Whole responses in one call: the header sets, a body with its length, an OpenAI error object.

Every handler answers through these, so the content types and the error shape are written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hegui.gateway.asgi import Send
    from hegui.gateway.errors import GatewayError

__all__ = ["DEFAULT_REFUSAL", "JSON_HEADERS", "SSE_HEADERS", "send_bytes", "send_error"]

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
DEFAULT_REFUSAL = "抱歉，这个问题我无法回答。"  # the refusal text when the policy names none


async def send_bytes(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    """One complete response: ``headers`` plus ``content-length``, then ``body``."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_error(
    send: Send, err: GatewayError, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """``err`` as its status and OpenAI error object (its own headers, then ``extra``)."""
    await send_bytes(send, err.status, err.body(), [*JSON_HEADERS, *err.headers, *(extra or ())])
