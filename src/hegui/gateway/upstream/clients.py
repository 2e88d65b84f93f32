"""Which upstream HTTP client a gateway builds for itself (``gateway.upstream_client``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hegui.gateway.upstream.aiohttp_client import AiohttpTransport
from hegui.gateway.upstream.connect import ConnectOptions
from hegui.gateway.upstream.lean import LeanTransport
from hegui.gateway.upstream.transport import Transport

if TYPE_CHECKING:
    from hegui.config import GatewaySettings

__all__ = ["own_transport"]


def own_transport(g: GatewaySettings, connect: ConnectOptions | None = None) -> Transport:
    """The upstream client the settings name (``gateway.upstream_client``)."""
    kind: type[LeanTransport] | type[AiohttpTransport] = (
        LeanTransport if g.upstream_client == "lean" else AiohttpTransport
    )
    transport: Transport = kind(
        limit=g.pool_connections,
        keepalive_s=g.upstream_keepalive,
        connect_timeout=g.connect_timeout,
        connect=connect,
    )
    return transport
