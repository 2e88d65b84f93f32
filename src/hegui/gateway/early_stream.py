"""A streaming client hears from the gateway before the upstream's first byte.

While the upstream is silent, a streaming request gets its SSE headers after
``stream_headers_after`` seconds and then a ``: keep-alive`` comment every
``stream_keepalive_interval`` seconds, so clients and proxies with idle timeouts keep the
connection. Fast answers and fast failures are unaffected (their status is still an HTTP
status); a failure after the headers went out is an SSE ``{"error": ...}`` event and
``[DONE]``, the shape the relay already uses for a stream that breaks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

from hegui.gateway.errors import GatewayError

if TYPE_CHECKING:
    from hegui.gateway.asgi import Send

__all__ = ["KEEPALIVE", "EarlyStream"]

T = TypeVar("T")
KEEPALIVE = b": keep-alive\n\n"


class EarlyStream:
    """One per streaming request; ``started`` once the response head has been sent."""

    def __init__(
        self,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        first_after: float,
        interval: float,
    ) -> None:
        self.send = send
        self.headers = headers
        self.first_after = max(0.0, first_after)
        self.interval = max(0.05, interval)
        self.started = False

    async def wait(self, work: Awaitable[T]) -> T:
        """The result of ``work``, keeping the client informed while it runs."""
        task = asyncio.ensure_future(work)
        delay = self.first_after
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=delay)
                if done:
                    return task.result()
                await self._keepalive()
                delay = self.interval
        finally:
            if not task.done():
                task.cancel()

    async def _keepalive(self) -> None:
        if not self.started:
            self.started = True
            await self.send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await self.send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})

    async def fail(self, err: GatewayError) -> None:
        """End a started stream with ``err`` as an SSE error event, then ``[DONE]``."""
        event = b"data: " + err.body() + b"\n\ndata: [DONE]\n\n"
        await self.send({"type": "http.response.body", "body": event, "more_body": False})
