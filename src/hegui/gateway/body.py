"""Reading a request body within the size limit; a client that leaves mid-upload is not an error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from hegui.gateway.errors import GatewayError

__all__ = ["ClientGoneError", "check_length", "read_body"]

Receive = Callable[[], Awaitable[dict[str, Any]]]


class ClientGoneError(Exception):
    """The client disconnected before its request body arrived."""


def check_length(headers: list[tuple[bytes, bytes]], limit: int) -> None:
    for name, value in headers:
        if name == b"content-length":
            try:
                size = int(value)
            except ValueError:
                raise GatewayError(
                    400, "Invalid Content-Length header.", decision="invalid"
                ) from None
            if size > limit:
                raise _too_large(limit)
            return


def _too_large(limit: int) -> GatewayError:
    return GatewayError(
        413,
        f"Request body is larger than {limit} bytes.",
        code="request_too_large",
        decision="invalid",
    )


async def read_body(receive: Receive, limit: int) -> bytes:
    first = await receive()
    if first["type"] == "http.disconnect":
        raise ClientGoneError
    body: bytes = first.get("body", b"")
    if not first.get("more_body"):
        if len(body) > limit:
            raise _too_large(limit)
        return body
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)
