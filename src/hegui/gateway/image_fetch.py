"""Fetching the images an upstream answers by URL, on a client of the gateway's own.

Why not the upstream client: the URL is whatever the image host chose, so fetching it through
the upstreams' client let a slow host hold connections from the upstreams' pool (the pool is per
host, and an upstream's images are often on its own host), waited the upstream timeout, and sent
the request through the upstreams' proxy (``HTTP(S)_PROXY``, with its credentials). This client
has its own small pool, its own timeout and size limit (``gateway.image_fetch_*``), never a
proxy, no client certificate and no headers; redirects are not followed (a 3xx is a failure),
so the gateway only ever asks the host the answer named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.gateway.errors import GatewayError, UpstreamLostError
from hegui.gateway.upstream.connect import ConnectOptions
from hegui.gateway.upstream.lean import LeanTransport

if TYPE_CHECKING:
    from hegui.config import GatewaySettings
    from hegui.gateway.upstream.transport import Transport

__all__ = ["ImageFetcher"]

_NO_PROXY = ConnectOptions(proxy="")


class ImageFetcher:
    """GET one image by URL within ``gateway.image_fetch_timeout`` and ``_max_bytes``."""

    def __init__(self, g: GatewaySettings, transport: Transport | None = None) -> None:
        """``transport``: a test double; by default a :class:`LeanTransport` of its own."""
        self.timeout = g.image_fetch_timeout
        self.max_bytes = g.image_fetch_max_bytes
        self._own = transport is None
        self.transport: Transport = transport or LeanTransport(
            limit=g.image_fetch_connections,
            keepalive_s=g.upstream_keepalive,
            connect_timeout=min(g.connect_timeout, g.image_fetch_timeout),
            connect=_NO_PROXY,
        )

    async def fetch(self, url: str) -> bytes:
        """The image's bytes; a :class:`GatewayError` (502/504) naming what went wrong."""
        if not url.startswith(("http://", "https://")):
            raise _failed("upstream returned an image URL hegui cannot fetch", "upstream_invalid")
        try:
            resp = await self.transport.request("GET", url, None, {}, self.timeout)
            try:
                if resp.status != 200:
                    raise _failed(
                        f"fetching the generated image failed: HTTP {resp.status}",
                        "upstream_error",
                    )
                return await resp.read(self.max_bytes)
            finally:
                resp.close()
        except TimeoutError:
            raise GatewayError(
                504,
                "fetching the generated image timed out",
                type="upstream_error",
                code="upstream_timeout",
            ) from None
        except UpstreamLostError as exc:
            raise _failed(f"fetching the generated image failed: {exc}", "upstream_error") from None

    async def close(self) -> None:
        if self._own and isinstance(self.transport, LeanTransport):
            await self.transport.close()


def _failed(message: str, code: str) -> GatewayError:
    return GatewayError(502, message, type="upstream_error", code=code)
