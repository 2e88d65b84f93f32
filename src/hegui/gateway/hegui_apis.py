"""hegui's own HTTP APIs on the gateway's port, in front of the portal and console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hegui.gateway.asgi import ASGIApp, Receive, Scope, Send
from hegui.gateway.backend import GatewayBackend
from hegui.gateway.errors import GatewayError
from hegui.gateway.responses import send_error

if TYPE_CHECKING:
    from hegui.config import Settings

__all__ = ["hegui_apis"]


def hegui_apis(settings: Settings, backend: GatewayBackend, fallback: ASGIApp | None) -> ASGIApp:
    """hegui's own HTTP APIs in front of ``fallback``: end users' self-service
    (``/v1/hegui/end_users/me``) and, over a store backend, the admin API (``/admin/v1``)."""
    from hegui.gateway.end_user_api import EndUserApi
    from hegui.ops.backend import StoreBackend

    if isinstance(backend, StoreBackend):
        from hegui.gateway.admin_api import PREFIX, admin_app

        admin: Any = admin_app(settings, backend)  # FastAPI's own ASGI type names
        rest = fallback

        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"].startswith(PREFIX + "/"):
                await admin(scope, receive, send)
            elif rest is not None:
                await rest(scope, receive, send)
            else:
                await send_error(
                    send, GatewayError(404, f"Unknown path {scope['path']}.", code="not_found")
                )

        fallback = route
    return EndUserApi(settings, backend, fallback)
