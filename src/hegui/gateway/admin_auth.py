"""Who is calling the admin API: a bearer admin token, checked once per process, then cached.

The argon2 check runs once per token per ``auth_cache_ttl`` seconds (a revoked token stops
working within that time); failed checks are throttled per token id and client address by the
same :class:`~hegui.ops.auth_guard.AuthGuard` the API keys use, and unknown token ids cost the
same argon2 check as real ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Any

from hegui.config import Settings
from hegui.gateway.errors import GatewayError
from hegui.ops import admin_tokens
from hegui.ops.admin_tokens import AdminToken
from hegui.ops.auth_guard import AuthGuard

__all__ = ["AdminAuth"]

_CACHE_MAX = 1_000


class AdminAuth:
    """Admin token → :class:`AdminToken`, or the 401/403 to answer."""

    def __init__(self, settings: Settings, store: Callable[[], Any]) -> None:
        self._store = store
        self._ttl = float(settings.store.auth_cache_ttl)
        limits = settings.rate_limit
        self._guard = AuthGuard(
            per_key=limits.failed_auth_per_key,
            per_client=limits.failed_auth_per_client,
            concurrency=limits.auth_hash_concurrency,
        )
        self._cache: dict[str, tuple[float, AdminToken]] = {}

    async def check(self, authorization: str | None, scope: str, client: str | None) -> AdminToken:
        """The token, when it is live and grants ``scope``; raises the error to answer."""
        scheme, _, value = (authorization or "").partition(" ")
        token = value.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Missing admin token: send 'Authorization: Bearer <token>'.")
        found = await self._verify(token, client)
        if found is None:
            raise _unauthorized("Incorrect or revoked admin token.")
        if scope not in found.scopes:
            raise GatewayError(
                403,
                f"This admin token lacks the scope {scope!r}.",
                type="permission_error",
                code="insufficient_scope",
                hegui={"required_scope": scope, "token_scopes": sorted(found.scopes)},
            )
        return found

    async def _verify(self, token: str, client: str | None) -> AdminToken | None:
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        token_id = admin_tokens.parse_admin_token(token)
        if token_id is None:
            return None
        self._guard.check(token_id, client)
        store = self._store()

        def read() -> tuple[str, AdminToken] | None:
            with store.read() as conn:
                return admin_tokens.find_token(conn, token_id)

        row = await asyncio.to_thread(read)
        async with self._guard.hashing(token_id, client):
            ok = await asyncio.to_thread(admin_tokens.verify_token, row[0] if row else None, token)
        if not ok or row is None:
            self._guard.failed(token_id, client)
            return None
        if len(self._cache) >= _CACHE_MAX:
            self._cache.clear()
        self._cache[digest] = (time.monotonic() + self._ttl, row[1])
        return row[1]


def _unauthorized(message: str) -> GatewayError:
    return GatewayError(
        401,
        message,
        code="invalid_admin_token",
        headers=[(b"www-authenticate", b"Bearer")],
    )
