"""The aiohttp upstream client (``gateway.upstream_client = "aiohttp"``).

A bounded aiohttp pool whose keep-alive stays below common upstream idle timeouts, so a
connection the upstream already closed is not reused (the "Can not write request body" pitfall).
Proxies and TLS follow :mod:`hegui.gateway.upstream.connect`, as in the lean client: the proxy is
chosen here and passed to aiohttp per request (aiohttp's own ``trust_env`` is not used, so
both clients read ``HTTP(S)_PROXY`` / ``NO_PROXY`` the same way).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from urllib.parse import urlsplit

from hegui.errors import ConfigError
from hegui.gateway.errors import GatewayError, UpstreamLostError
from hegui.gateway.upstream.connect import (
    ConnectOptions,
    Proxy,
    environment_proxies,
    proxy_for,
    ssl_context,
)
from hegui.gateway.upstream.transport import UpstreamResponse

__all__ = ["AiohttpTransport"]


class _AiohttpResponse:
    __slots__ = ("_resp", "headers", "status")

    def __init__(self, resp: object) -> None:
        self._resp = resp
        self.status: int = resp.status  # type: ignore[attr-defined]
        self.headers: Mapping[str, str] = resp.headers  # type: ignore[attr-defined]

    async def read(self, limit: int) -> bytes:
        import aiohttp

        resp = self._resp
        size = resp.content_length  # type: ignore[attr-defined]
        # The common case, one read and no copying; a compressed body may inflate past the limit.
        if size is not None and size <= limit and "content-encoding" not in self.headers:
            try:
                return await resp.read()  # type: ignore[attr-defined,no-any-return]
            except aiohttp.ClientError as exc:
                raise _lost(exc) from None
        out = bytearray()
        try:
            async for chunk in resp.content.iter_any():  # type: ignore[attr-defined]
                out += chunk
                if len(out) > limit:
                    raise GatewayError(
                        502,
                        "upstream answer too large",
                        type="upstream_error",
                        code="upstream_too_large",
                    )
        except aiohttp.ClientError as exc:
            raise _lost(exc) from None
        return bytes(out)

    async def chunks(self) -> AsyncIterator[bytes]:
        import aiohttp

        try:
            async for chunk in self._resp.content.iter_any():  # type: ignore[attr-defined]
                yield chunk
        except aiohttp.ClientError as exc:
            raise UpstreamLostError(f"{type(exc).__name__}: {exc}", before_bytes=False) from None

    def close(self) -> None:
        self._resp.close()  # type: ignore[attr-defined]


def _lost(exc: Exception) -> UpstreamLostError:
    return UpstreamLostError(type(exc).__name__, before_bytes=False)


class AiohttpTransport:
    """aiohttp client with a bounded pool and a keep-alive below upstream idle timeouts."""

    def __init__(
        self,
        *,
        limit: int = 256,
        keepalive_s: float = 4.0,
        connect_timeout: float = 5.0,
        connect: ConnectOptions | None = None,
    ) -> None:
        self._options = connect or ConnectOptions()
        self._ssl: ssl.SSLContext | bool = (
            True if self._options.default_tls else ssl_context(self._options)
        )
        self._env = environment_proxies() if self._options.proxy is None else {}
        self._proxies: dict[str, Proxy | None] = {}  # per scheme://host:port
        self._limit = limit
        self._keepalive = keepalive_s
        self._connect_timeout = connect_timeout
        self._session: object | None = None
        self._timeouts: dict[float, object] = {}  # ClientTimeout per total, built once

    def _open(self) -> object:
        import aiohttp

        connector = aiohttp.TCPConnector(
            limit=self._limit, keepalive_timeout=self._keepalive, ttl_dns_cache=300
        )
        return aiohttp.ClientSession(
            connector=connector, auto_decompress=True, skip_auto_headers=("User-Agent",)
        )

    async def request(
        self, method: str, url: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> UpstreamResponse:
        import aiohttp

        if self._session is None:
            self._session = self._open()
        to = self._timeouts.get(timeout)
        if to is None:
            to = self._timeouts[timeout] = aiohttp.ClientTimeout(
                total=timeout, sock_connect=self._connect_timeout
            )
        proxy = self._proxy(url)
        extra: dict[str, object] = {}
        if proxy is not None:
            extra["proxy"] = proxy.url
            if proxy.authorization and url.startswith("https:"):  # on the CONNECT request
                extra["proxy_headers"] = {"Proxy-Authorization": proxy.authorization}
            elif proxy.authorization:  # aiohttp forwards plain requests with their own headers
                headers = {**headers, "Proxy-Authorization": proxy.authorization}
        try:
            resp = await self._session.request(  # type: ignore[attr-defined]
                method, url, data=body, headers=headers, timeout=to, ssl=self._ssl, **extra
            )
        except (
            aiohttp.ClientConnectionError,
            aiohttp.ClientPayloadError,
            aiohttp.ClientHttpProxyError,  # the proxy refused the tunnel (407, 403, 502 ...)
        ) as exc:
            raise UpstreamLostError(f"{type(exc).__name__}: {exc}") from None
        except TimeoutError:
            raise TimeoutError("upstream timed out") from None
        if proxy is not None and resp.status == 407:  # the proxy, not the upstream, said no
            resp.close()
            raise UpstreamLostError("proxy refused the request (407)")
        return _AiohttpResponse(resp)

    def _proxy(self, url: str) -> Proxy | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in self._proxies:
            return self._proxies[origin]
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            found = proxy_for(parts.scheme, parts.hostname or "", port, self._options, self._env)
        except (ConfigError, ValueError) as exc:
            raise UpstreamLostError(str(exc)) from None
        if len(self._proxies) > 1024:  # fetched image URLs vary; upstream ones do not
            self._proxies.clear()
        self._proxies[origin] = found
        return found

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()  # type: ignore[attr-defined]
            self._session = None
