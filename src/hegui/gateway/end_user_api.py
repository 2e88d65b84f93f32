"""``/v1/hegui/end_users/me``: an end user's own standing, agreement and minors' mode.

Called by the provider's backend with its app key and the end user named as on every request
(``X-Hegui-User``, or ``user`` in the JSON body):

- ``GET  /v1/hegui/end_users/me`` — agreement version accepted, age band, sanction;
- ``POST /v1/hegui/end_users/me/agreement`` ``{"version": "v2"}`` (default: the current one) —
  the end user accepts the agreement (Art. 9), audited as ``app:<account id>``;
- ``POST /v1/hegui/end_users/me/minors`` ``{"age_band": "under_16" | "16_17" | "adult"}`` —
  turns minors' mode on or off for this end user (Art. 10), audited the same way.

These paths skip the agreement check (accepting it is what they are for) but not the key, the
app's or the end user's sanction. Errors are OpenAI error objects.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from hegui.errors import InputError
from hegui.gateway.access import check_sanction, identify
from hegui.gateway.body import check_length, read_body
from hegui.gateway.end_user import end_user_id
from hegui.gateway.errors import GatewayError, to_gateway_error
from hegui.gateway.responses import JSON_HEADERS, send_bytes, send_error
from hegui.gateway.schema import parse_body
from hegui.ops.accounts import parse_age_band
from hegui.ops.records import AccountView

if TYPE_CHECKING:
    from hegui.config import Settings
    from hegui.gateway.asgi import ASGIApp, Receive, Scope, Send
    from hegui.gateway.backend import GatewayBackend

__all__ = ["PREFIX", "EndUserApi"]

PREFIX = "/v1/hegui/end_users/me"
_ROUTES = {PREFIX: "GET", PREFIX + "/agreement": "POST", PREFIX + "/minors": "POST"}


class EndUserApi:
    """Answers the paths above; passes every other request to ``fallback`` (404 without one)."""

    def __init__(
        self, settings: Settings, backend: GatewayBackend, fallback: ASGIApp | None
    ) -> None:
        self.settings = settings
        self.backend = backend
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path not in _ROUTES:
            if self.fallback is not None:
                await self.fallback(scope, receive, send)
            else:
                await send_error(send, GatewayError(404, f"Unknown path {path}.", code="not_found"))
            return
        try:
            if scope["method"] != _ROUTES[path]:
                raise GatewayError(
                    405, f"Use {_ROUTES[path]} for {path}.", code="method_not_allowed"
                )
            state = await self._answer(path, scope, receive)
            await send_bytes(send, 200, orjson.dumps(state), JSON_HEADERS)
        except Exception as exc:
            await send_error(send, to_gateway_error(exc))

    async def _answer(self, path: str, scope: Scope, receive: Receive) -> dict[str, Any]:
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        check_length(headers, self.settings.gateway.max_body_bytes)
        peer = scope.get("client")
        app = await identify(
            self.backend, headers, require_key=True, client=peer[0] if peer else None
        )
        doc: dict[str, Any] | None = None
        if scope["method"] == "POST":
            raw = await read_body(receive, self.settings.gateway.max_body_bytes)
            doc = parse_body(raw) if raw.strip() else {}
        name = end_user_id(headers, doc, self.settings.end_users)
        if name is None:
            raise GatewayError(
                400,
                "Name the end user: send an X-Hegui-User header or 'user' in the JSON body.",
                code="invalid_user",
                param="user",
            )
        end_user = await self.backend.end_user(app, name)
        if path == PREFIX:
            return _state(end_user)
        check_sanction(end_user, datetime.now(UTC))
        assert doc is not None
        if path.endswith("/agreement"):
            version = doc.get("version", "current")
            if not isinstance(version, str) or not version:
                raise _bad("'version' must be an agreement version (or omitted: the current one)")
            try:
                return await self.backend.end_user_update(end_user, agreement=version)
            except InputError as exc:
                raise _bad(str(exc), "version") from None
        band = doc.get("age_band")
        try:
            age_band = parse_age_band(band if isinstance(band, str) else "")
        except InputError as exc:
            raise _bad(str(exc), "age_band") from None
        return await self.backend.end_user_update(end_user, age_band=age_band)


def _bad(message: str, param: str = "version") -> GatewayError:
    return GatewayError(400, message, code="invalid_request", param=param)


def _state(view: AccountView) -> dict[str, Any]:
    until = view.sanction_until
    return {
        "id": view.account_id,
        "app_account_id": view.app_account_id,
        "age_band": str(view.age_band),
        "agreement_version": view.agreement_version,
        "sanction": str(view.sanction),
        "sanction_reason": view.sanction_reason,
        "sanction_until": until.isoformat() if until else None,
    }
