"""A lean HTTP/1.1 client for upstream calls: one asyncio protocol per connection, httptools parsing.

Why not aiohttp on the hot path: its per-request machinery (request/response objects, timer
contexts, trace hooks, multidicts, payload registry) was the largest share of the gateway's own
CPU per request here (~0.14 ms of ~0.5 ms at concurrency 64). This client writes each request with
one ``transport.write`` and parses the answer with the same C parser uvicorn uses.

Kept from the aiohttp transport: a bounded pool per host with a keep-alive below common upstream
idle timeouts, ``total`` timeout semantics (the whole exchange, streams included), connect errors
as :class:`UpstreamLostError`, gzip/deflate bodies inflated. Added: a request whose *reused*
connection dies before any answer byte (the upstream closed it while idle: "Can not write request
body") is sent once more on a fresh connection. Proxies and TLS follow
:mod:`hegui.gateway.upstream.connect`: ``http://`` upstreams through a proxy get absolute-form
requests, ``https://`` ones a ``CONNECT`` tunnel (:mod:`hegui.gateway.upstream.tunnel`). This
module is the pool; one connection and its answer are :mod:`hegui.gateway.upstream.http1`.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

from hegui.errors import ConfigError
from hegui.gateway.errors import UpstreamLostError
from hegui.gateway.upstream.connect import (
    ConnectOptions,
    Proxy,
    environment_proxies,
    proxy_for,
    ssl_context,
)
from hegui.gateway.upstream.http1 import Conn, Response
from hegui.gateway.upstream.tunnel import open_tunnel

__all__ = ["LeanTransport"]

_BAD_URL_CHARS = frozenset("\r\n\t \x00")


class _Target:
    """A URL split once: pool key, where to connect (and through which proxy), and the request
    line's fixed bytes (absolute form when a plain-HTTP proxy forwards it)."""

    __slots__ = ("host", "key", "port", "proxy", "ssl", "start")

    def __init__(self, url: str, options: ConnectOptions, env: dict[str, str]) -> None:
        if any(c in _BAD_URL_CHARS for c in url):
            raise UpstreamLostError("invalid upstream URL")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UpstreamLostError("invalid upstream URL")
        secure = parts.scheme == "https"
        try:
            port = parts.port or (443 if secure else 80)
        except ValueError:
            raise UpstreamLostError("invalid upstream URL") from None
        self.host = parts.hostname
        self.port = port
        self.ssl = secure
        self.key = (parts.scheme, self.host, port)
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
        if parts.query:
            path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=~-._?")
        netloc = parts.netloc.rpartition("@")[2]  # never send credentials as the Host
        try:
            self.proxy: Proxy | None = proxy_for(parts.scheme, self.host, port, options, env)
        except ConfigError as exc:
            raise UpstreamLostError(str(exc)) from None
        line = f" {path} HTTP/1.1\r\nHost: {netloc}\r\n"
        if self.proxy is not None and not secure:  # the proxy forwards it: absolute form
            line = f" http://{netloc}{path} HTTP/1.1\r\nHost: {netloc}\r\n"
            if self.proxy.authorization:
                line += f"Proxy-Authorization: {self.proxy.authorization}\r\n"
        self.start = line.encode("ascii")


class LeanTransport:
    """The gateway's default :class:`~hegui.gateway.upstream.transport.Transport` (see module docstring)."""

    def __init__(
        self,
        *,
        limit: int = 256,
        keepalive_s: float = 4.0,
        connect_timeout: float = 5.0,
        connect: ConnectOptions | None = None,
    ) -> None:
        self._options = connect or ConnectOptions()
        # Built now when it names a file, so one that cannot be read stops start-up; the default
        # context waits for the first https connection (loading the CA bundle costs ~20 ms).
        self._ssl: ssl.SSLContext | None = (
            None if self._options.default_tls else ssl_context(self._options)
        )
        self._env = environment_proxies() if self._options.proxy is None else {}
        self._limit = max(1, limit)
        self._keepalive = keepalive_s
        self._connect_timeout = connect_timeout
        self._idle: dict[tuple[str, str, int], list[Conn]] = {}
        self._open: dict[tuple[str, str, int], int] = {}
        self._waiters: dict[tuple[str, str, int], deque[asyncio.Future[None]]] = {}
        self._targets: dict[str, _Target] = {}
        self._heads: dict[tuple[str, str, tuple[tuple[str, str], ...]], bytes] = {}

    def _target(self, url: str) -> _Target:
        t = self._targets.get(url)
        if t is None:
            if len(self._targets) > 1024:  # fetched image URLs vary; upstream ones do not
                self._targets.clear()
                self._heads.clear()
            t = self._targets[url] = _Target(url, self._options, self._env)
        return t

    def _head(self, method: str, url: str, t: _Target, headers: Mapping[str, str]) -> bytes:
        items = tuple(headers.items())
        key = (method, url, items)
        head = self._heads.get(key)
        if head is None:
            if any(c in f"{k}{v}" for k, v in items for c in "\r\n\x00"):
                raise UpstreamLostError("invalid header for the upstream request")
            lines = "".join(f"{k}: {v}\r\n" for k, v in items)
            head = self._heads[key] = method.encode("ascii") + t.start + lines.encode("latin-1")
        return head

    async def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> Response:
        t = self._target(url)
        head = self._head(method, url, t, headers)
        if body is not None:
            msg = b"%sContent-Length: %d\r\n\r\n%s" % (head, len(body), body)
        else:
            msg = head + b"\r\n"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for attempt in (0, 1):
            conn, reused = await self._acquire(t, deadline)
            resp = Response(conn, self)
            conn.resp = resp
            resp._timer = loop.call_at(deadline, resp.timed_out)
            conn.transport.write(msg)  # type: ignore[union-attr]
            try:
                while not resp.status:
                    err = resp._error
                    if err is not None:
                        raise err
                    await resp.wait()
            except UpstreamLostError as exc:
                resp.close()
                if reused and exc.before_bytes and attempt == 0:
                    continue  # the upstream had closed this idle connection: once more, fresh
                raise
            except BaseException:
                resp.close()
                raise
            if resp.status == 407 and t.proxy is not None:  # the proxy, not the upstream, said no
                resp.close()
                raise UpstreamLostError("proxy refused the request (407)")
            return resp
        raise UpstreamLostError("upstream closed the connection")  # pragma: no cover

    async def _acquire(self, t: _Target, deadline: float) -> tuple[Conn, bool]:
        loop = asyncio.get_running_loop()
        key = t.key
        while True:
            idle = self._idle.get(key)
            now = loop.time()
            while idle:
                conn = idle.pop()
                if not conn.closed and now - conn.idle_since < self._keepalive:
                    return conn, True
                self._drop(conn)
            if self._open.get(key, 0) < self._limit:
                break
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.setdefault(key, deque()).append(waiter)
            try:
                await asyncio.wait_for(waiter, max(0.0, deadline - now))
            except TimeoutError:
                raise TimeoutError("upstream timed out (connection pool exhausted)") from None
        self._open[key] = self._open.get(key, 0) + 1
        try:
            conn = await asyncio.wait_for(
                self._connect(t), min(self._connect_timeout, max(0.0, deadline - loop.time()))
            )
        except UpstreamLostError:
            self._forget(key)
            raise
        except (OSError, TimeoutError) as exc:
            self._forget(key)
            via = " through the proxy" if t.proxy is not None else ""
            raise UpstreamLostError(
                f"cannot connect to {t.host}:{t.port}{via}: {type(exc).__name__}"
            ) from None
        except BaseException:
            self._forget(key)
            raise
        return conn, False

    async def _connect(self, t: _Target) -> Conn:
        """A new connection: direct, to a plain-HTTP proxy, or TLS through a CONNECT tunnel."""
        loop = asyncio.get_running_loop()
        ctx = None
        if t.ssl:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            ctx = self._ssl
        if t.proxy is not None:
            if ctx is not None:
                return await open_tunnel(t.proxy, t.host, t.port, ctx, lambda: Conn(t.key))
            _, conn = await loop.create_connection(lambda: Conn(t.key), t.proxy.host, t.proxy.port)
            return conn
        _, conn = await loop.create_connection(
            lambda: Conn(t.key), t.host, t.port, ssl=ctx, server_hostname=t.host if ctx else None
        )
        return conn

    def give_back(self, conn: Conn, keep: bool) -> None:
        """Called by a response when it is done with ``conn``."""
        if not keep:
            conn.abort()
            self._drop(conn)
            return
        conn.idle_since = asyncio.get_running_loop().time()
        self._idle.setdefault(conn.key, []).append(conn)
        self._notify(conn.key)

    def _drop(self, conn: Conn) -> None:
        if conn.transport is not None:
            conn.transport.abort()
        self._forget(conn.key)

    def _forget(self, key: tuple[str, str, int]) -> None:
        self._open[key] = max(0, self._open.get(key, 0) - 1)
        self._notify(key)

    def _notify(self, key: tuple[str, str, int]) -> None:
        waiters = self._waiters.get(key)
        while waiters:
            w = waiters.popleft()
            if not w.done():
                w.set_result(None)
                return

    async def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                if conn.transport is not None:
                    conn.transport.close()
        self._idle.clear()
        self._open.clear()
