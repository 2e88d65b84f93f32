"""CORS for the ``/v1`` API, so browser apps can call the gateway directly; off by default.

With ``gateway.cors_origins`` empty nothing changes: no CORS headers, and a preflight
(``OPTIONS``) is answered 405 like any other wrong method. With origins configured:

- a preflight from an allowed origin is answered ``204`` with ``Access-Control-Allow-Origin``,
  ``-Allow-Methods`` (the route's method), ``-Allow-Headers`` (``gateway.cors_allow_headers``;
  ``*`` there echoes what the browser asks for, which also covers ``Authorization``) and
  ``-Max-Age``; from any other origin, ``403`` with an OpenAI error object and no CORS headers;
- every answer to an allowed origin (errors and streams included) carries
  ``Access-Control-Allow-Origin`` and ``Access-Control-Expose-Headers`` (``x-request-id``,
  ``x-aigc-label``, ``retry-after``), plus ``Vary: Origin`` unless any origin is allowed.

Credentials (cookies) are never allowed: the API authenticates with a bearer key, so
``Access-Control-Allow-Credentials`` is never sent.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hegui.errors import ConfigError
from hegui.gateway.errors import GatewayError
from hegui.gateway.responses import send_error

if TYPE_CHECKING:
    from hegui.config import GatewaySettings
    from hegui.gateway.asgi import Message, Scope, Send

__all__ = ["Cors"]

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")
_EXPOSED = b"x-request-id, x-aigc-label, retry-after"


class Cors:
    """Built once per app from the settings; ``None`` from :meth:`build` when CORS is off."""

    def __init__(self, origins: list[str], allow_headers: list[str], max_age: int) -> None:
        for origin in origins:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ConfigError(
                    f"gateway.cors_origins: {origin!r} is not an origin (scheme://host[:port],"
                    " no path or trailing slash) or '*'"
                )
        self.any = "*" in origins
        self.origins = frozenset(o.lower() for o in origins if o != "*")
        self.echo_headers = "*" in allow_headers
        self.allow_headers = ", ".join(h.lower() for h in allow_headers if h != "*").encode()
        self.max_age = str(max(0, max_age)).encode()

    @classmethod
    def build(cls, g: GatewaySettings) -> Cors | None:
        if not g.cors_origins:
            return None
        return cls(g.cors_origins, g.cors_allow_headers, g.cors_max_age)

    def _allowed(self, origin: bytes) -> bool:
        return self.any or origin.decode("latin-1").lower() in self.origins

    def _origin_headers(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        if self.any:
            return [(b"access-control-allow-origin", b"*")]
        return [(b"access-control-allow-origin", origin), (b"vary", b"origin")]

    async def admit(self, scope: Scope, send: Send, method: str) -> Send | None:
        """The ``send`` to answer this request with; None when it was answered here (a
        preflight, or a preflight from an origin that is not allowed)."""
        origin = requested = None
        for name, value in scope["headers"]:
            if name == b"origin":
                origin = value
            elif name == b"access-control-request-headers":
                requested = value
        if scope["method"] == "OPTIONS" and origin is not None:
            if not self._allowed(origin):
                await send_error(
                    send,
                    GatewayError(403, "This origin may not call the API.", code="cors_forbidden"),
                )
                return None
            allow = requested if self.echo_headers and requested else self.allow_headers
            headers = [
                *self._origin_headers(origin),
                (b"access-control-allow-methods", method.encode()),
                (b"access-control-allow-headers", allow),
                (b"access-control-max-age", self.max_age),
                (b"content-length", b"0"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return None
        if origin is None or not self._allowed(origin):
            return send
        extra = [*self._origin_headers(origin), (b"access-control-expose-headers", _EXPOSED)]

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        return with_cors
