"""One upstream HTTP/1.1 connection (an asyncio protocol fed to httptools) and the answer it carries.

Split from :mod:`hegui.gateway.upstream.lean`, which owns the pool: this module knows nothing of URLs or
pooling, only how bytes become a status, headers and a body or stream, and how a connection that
dies is reported (before any answer byte: the caller may resend; after: 502).
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httptools

from hegui.gateway.errors import GatewayError, UpstreamLostError

__all__ = ["Conn", "Response"]

_PAUSE_AT = 1 << 20  # buffered stream bytes before reading from the upstream pauses


class _Pool(Protocol):
    def give_back(self, conn: Conn, keep: bool) -> None: ...


class Conn(asyncio.Protocol):
    """One keep-alive connection; ``resp`` is the exchange in flight (at most one)."""

    def __init__(self, key: tuple[str, str, int]) -> None:
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.resp: Response | None = None
        self.closed = False
        self.idle_since = 0.0

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        resp = self.resp
        if resp is None:  # bytes nobody asked for: this connection cannot be trusted any more
            self.abort()
            return
        resp.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            resp.fail(UpstreamLostError(f"invalid HTTP from upstream: {exc}", before_bytes=False))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.resp is not None:
            self.resp.eof()

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        if self.resp is not None:
            self.resp.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        if self.resp is not None:
            self.resp.headers_done(self.parser.get_status_code())

    def on_body(self, body: bytes) -> None:
        if self.resp is not None:
            self.resp.data(body)

    def on_message_complete(self) -> None:
        resp = self.resp
        if resp is not None:
            resp.complete(self.parser.should_keep_alive())

    def pause(self) -> None:
        if self.transport is not None:
            self.transport.pause_reading()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class Response:
    """The answer to one request; also the ``UpstreamResponse`` the gateway reads."""

    __slots__ = (
        "_chunks",
        "_conn",
        "_decoder",
        "_done",
        "_error",
        "_paused",
        "_pool",
        "_size",
        "_streaming",
        "_timer",
        "_waiter",
        "got_bytes",
        "headers",
        "raw_headers",
        "status",
    )

    def __init__(self, conn: Conn, pool: _Pool) -> None:
        self._conn: Conn | None = conn
        self._pool = pool
        self.status = 0
        self.headers: dict[str, str] = {}
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.got_bytes = False
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._decoder: Any = None
        self._paused = False
        self._streaming = False

    # -- fed by the protocol
    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def headers_done(self, status: int) -> None:
        self.status = status
        headers = self.headers
        for name, value in self.raw_headers:
            k, v = name.decode("latin-1").lower(), value.decode("latin-1")
            headers[k] = f"{headers[k]}, {v}" if k in headers else v
        enc = headers.get("content-encoding", "").strip().lower()
        if enc in ("gzip", "x-gzip", "deflate"):
            self._decoder = zlib.decompressobj(47)  # gzip or zlib header, detected
            del headers["content-encoding"]
        self._wake()

    def data(self, body: bytes) -> None:
        if self._decoder is not None:
            try:
                body = self._decoder.decompress(body)
            except zlib.error:
                self.fail(
                    UpstreamLostError("upstream sent a corrupt compressed body", before_bytes=False)
                )
                self.release(keep=False)
                return
        self._chunks.append(body)
        self._size += len(body)
        conn = self._conn
        if self._streaming and self._size > _PAUSE_AT and not self._paused and conn is not None:
            conn.pause()
            self._paused = True
        self._wake()

    def complete(self, keep_alive: bool) -> None:
        if self._decoder is not None:
            tail = self._decoder.flush()
            if tail:
                self._chunks.append(tail)
                self._size += len(tail)
        self._done = True
        self.release(keep=keep_alive)
        self._wake()

    def eof(self) -> None:
        """The connection closed: the end of a close-delimited body, or a loss."""
        conn = self._conn
        if self._done or self._error is not None:  # complete, or already failed: not an ending
            if conn is not None:
                self.release(keep=False)
            return
        delimited = (
            "content-length" in self.headers
            or "chunked" in self.headers.get("transfer-encoding", "").lower()
        )
        if self.status and not delimited:
            self._done = True
        else:
            before = not self.got_bytes
            self.fail(UpstreamLostError("upstream closed the connection", before_bytes=before))
        if conn is not None:
            self.release(keep=False)
        self._wake()

    def fail(self, exc: BaseException) -> None:
        if self._error is None and not self._done:
            self._error = exc
        self._wake()

    def timed_out(self) -> None:
        self._timer = None
        if self._done:
            return
        self.fail(TimeoutError("upstream timed out"))
        self.release(keep=False)

    def release(self, keep: bool) -> None:
        """Give the connection back to the pool (answer complete) or drop it."""
        if self._timer is not None and (self._done or not keep):
            self._timer.cancel()
            self._timer = None
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.resp = None
        if self._paused and conn.transport is not None and keep:
            conn.transport.resume_reading()
        self._paused = False
        self._pool.give_back(conn, keep and not conn.closed)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    # -- UpstreamResponse
    async def read(self, limit: int) -> bytes:
        while not self._done:
            err = self._error
            if err is not None:
                raise err
            if self._size > limit:
                self.close()
                raise _too_large()
            await self.wait()
        if self._error is not None:
            raise self._error
        if self._size > limit:
            raise _too_large()
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data

    async def chunks(self) -> AsyncIterator[bytes]:
        self._streaming = True
        pending = self._chunks
        while True:
            if pending:
                data = pending[0] if len(pending) == 1 else b"".join(pending)
                pending.clear()
                self._size = 0
                if self._paused:
                    self._paused = False
                    conn = self._conn
                    if conn is not None and conn.transport is not None:
                        conn.transport.resume_reading()
                yield data
                continue
            err = self._error
            if err is not None:
                raise err
            if self._done:
                return
            await self.wait()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        conn = self._conn
        if conn is not None:  # the answer is not complete: the connection cannot be reused
            conn.abort()
            self.release(keep=False)
        self._done = True


def _too_large() -> GatewayError:
    return GatewayError(
        502, "upstream answer too large", type="upstream_error", code="upstream_too_large"
    )
