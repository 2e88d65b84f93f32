"""The client side of a request: its body within the size limit, and whether it is still there.

A client that leaves (mid-upload, or while the upstream is still thinking) is not an error: the
request ends as ``client_closed`` (499) and the upstream call is dropped, instead of running on
until a timeout, or until shutdown cancels it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from hegui.gateway.errors import ClientGoneError, GatewayError

if TYPE_CHECKING:
    from hegui.gateway.asgi import Receive

__all__ = ["check_length", "read_body", "while_connected"]

T = TypeVar("T")


async def while_connected(work: Awaitable[T], receive: Receive | None) -> T:
    """The result of ``work``; :class:`ClientGoneError` (``work`` cancelled) if the client leaves.

    Call only once the body has been read: ``receive()`` then returns only on a disconnect.
    ``work`` runs in the calling task (no task of its own: this is on every request's path); a
    disconnect cancels the task and the cancellation is turned into :class:`ClientGoneError`.
    """
    if receive is None:
        return await work
    task = asyncio.current_task()
    assert task is not None
    state = {"left": False, "over": False}

    def on_message(fut: asyncio.Future[dict[str, Any]]) -> None:
        if state["over"] or fut.cancelled() or fut.exception() is not None:
            return
        if fut.result().get("type") == "http.disconnect":
            state["left"] = True
            task.cancel()

    gone = asyncio.ensure_future(receive())
    gone.add_done_callback(on_message)
    try:
        return await work
    except asyncio.CancelledError:
        if state["left"]:
            task.uncancel()
            raise ClientGoneError from None
        raise
    finally:
        state["over"] = True
        if not gone.done():
            gone.cancel()


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
