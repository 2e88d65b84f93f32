"""The seam between the gateway and the network: one protocol, one method.

:class:`Transport` has one method, ``request``. The real ones are
:class:`hegui.gateway.upstream.lean.LeanTransport` (the default) and
:class:`hegui.gateway.upstream.aiohttp_client.AiohttpTransport`;
:class:`FunctionTransport` turns a plain async function into a transport for tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Protocol

__all__ = [
    "FunctionTransport",
    "Transport",
    "UpstreamResponse",
]


class UpstreamResponse(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...

    async def read(self, limit: int) -> bytes: ...
    def chunks(self) -> AsyncIterator[bytes]: ...
    def close(self) -> None: ...


class Transport(Protocol):
    """The seam between the gateway and the network: one method."""

    async def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> UpstreamResponse: ...


class FunctionTransport:
    """Turn ``async fn(method, url, body, headers) -> UpstreamResponse`` into a transport."""

    def __init__(
        self, fn: Callable[[str, str, bytes | None, Mapping[str, str]], Awaitable[UpstreamResponse]]
    ) -> None:
        self._fn = fn

    async def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> UpstreamResponse:
        return await asyncio.wait_for(self._fn(method, url, body, headers), timeout)
