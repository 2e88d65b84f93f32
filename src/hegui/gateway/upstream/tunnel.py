"""A ``CONNECT`` tunnel through an HTTP proxy, then TLS to the upstream inside it.

Used by the lean client for ``https://`` upstreams behind a proxy: the proxy sees only the
upstream's host and port, the request and answer stay encrypted end to end. The finished
connection is handed to the caller's protocol (an :class:`hegui.gateway.upstream.http1.Conn`),
so the rest of the client does not know a proxy is there.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import TypeVar

from hegui.gateway.errors import UpstreamLostError
from hegui.gateway.upstream.connect import Proxy

__all__ = ["open_tunnel"]

P = TypeVar("P", bound=asyncio.Protocol)

_MAX_HEAD = 16 * 1024


class _Handshake(asyncio.Protocol):
    """Collects the proxy's answer to ``CONNECT`` (headers only; a 200 carries no body)."""

    def __init__(self) -> None:
        self.buf = b""
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        if self.done.done():
            return
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end >= 0:
            self.done.set_result(self.buf[: end + 4])
        elif len(self.buf) > _MAX_HEAD:
            self.done.set_exception(UpstreamLostError("proxy answer to CONNECT too long"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(UpstreamLostError("proxy closed the connection on CONNECT"))


async def open_tunnel(
    proxy: Proxy, host: str, port: int, ctx: ssl.SSLContext, factory: Callable[[], P]
) -> P:
    """Connect to ``proxy``, ask it for ``host:port``, start TLS inside; the protocol is ``factory()``."""
    loop = asyncio.get_running_loop()
    raw, hs = await loop.create_connection(_Handshake, proxy.host, proxy.port)
    try:
        authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        lines = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
        if proxy.authorization:
            lines += f"Proxy-Authorization: {proxy.authorization}\r\n"
        raw.write((lines + "\r\n").encode("ascii"))
        head = await hs.done
        status = _status(head)
        if status != 200:
            raise UpstreamLostError(f"proxy answered {status} to CONNECT")
        if len(hs.buf) > len(head):  # the upstream cannot speak before the TLS hello
            raise UpstreamLostError("proxy sent bytes after its CONNECT answer")
        tls = await loop.start_tls(raw, hs, ctx, server_hostname=host)
    except BaseException:
        raw.abort()
        raise
    if tls is None:  # pragma: no cover - only when the transport closed during the handshake
        raise UpstreamLostError("proxy tunnel closed during the TLS handshake")
    proto = factory()
    tls.set_protocol(proto)
    proto.connection_made(tls)
    return proto


def _status(head: bytes) -> int:
    line = head.split(b"\r\n", 1)[0].split()
    if len(line) < 2 or not line[0].startswith(b"HTTP/") or not line[1].isdigit():
        raise UpstreamLostError("proxy answered CONNECT with something that is not HTTP")
    return int(line[1])
