"""Who is calling: API keys to accounts, answered from memory on the hot path.

sha256 of the presented key → :class:`AccountView` for ``auth_cache_ttl`` seconds; the argon2
check runs once per key per process (throttled by :class:`AuthGuard`), unknown and revoked keys
cost the same as real ones. A sanction change, a revoked key or a new agreement drops the cached
state here (:meth:`AccountCache.forget`) and, through the shared state's pub/sub, on every replica.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from hegui.config import Settings
from hegui.ops import agreements, keys, sanctions
from hegui.ops.auth_guard import AuthGuard
from hegui.ops.records import AccountView, AgeBand, Agreement, Sanction
from hegui.store.crypto import Keyring
from hegui.store.db import Store

__all__ = ["AccountCache", "account_view"]

_CACHE_MAX = 50_000


class AccountCache:
    """Authentication and the current agreement, cached per process (see module docstring)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self._store: Store | None = None
        self._keyring: Keyring | None = None
        self._cache: dict[str, tuple[float, AccountView | None]] = {}
        self._verified: dict[str, str] = {}  # sha256(key) → key id whose argon2 check passed
        self._inflight: dict[str, asyncio.Task[AccountView | None]] = {}
        limits = settings.rate_limit
        self._guard = AuthGuard(
            per_key=limits.failed_auth_per_key,
            per_client=limits.failed_auth_per_client,
            concurrency=limits.auth_hash_concurrency,
        )
        self._agreement: tuple[float, Agreement | None] | None = None

    def bind(self, store: Store, keyring: Keyring) -> None:
        """Use ``store`` and ``keyring`` (once the backend has opened them)."""
        self._store, self._keyring = store, keyring

    @property
    def _ttl(self) -> float:
        return float(self.settings.store.auth_cache_ttl)

    async def _read(self, fn: Callable[[Connection], Any]) -> Any:
        assert self._store is not None, "AccountCache used before bind()"
        store = self._store

        def run() -> Any:
            with store.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    async def authenticate(self, api_key: str, client: str | None = None) -> AccountView | None:
        """The account behind ``api_key``, or None for unknown, wrong or revoked keys.

        ``client`` is the caller's address, for throttling failed checks
        (:class:`~hegui.ops.auth_guard.AuthGuard`; raises :class:`AuthThrottledError`).
        """
        digest = hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > time.monotonic():
            view = hit[1]
            if view is None or view.sanction_until is None or view.sanction_until > self._clock():
                return view
        task = self._inflight.get(digest)
        if task is None:
            task = asyncio.create_task(self._load(api_key, digest, client))
            self._inflight[digest] = task
            task.add_done_callback(lambda t: self._loaded(digest, t))
        return await asyncio.shield(task)

    def _loaded(self, digest: str, task: asyncio.Task[AccountView | None]) -> None:
        self._inflight.pop(digest, None)
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every waiter went away

    async def _load(self, api_key: str, digest: str, client: str | None) -> AccountView | None:
        key_id = keys.parse_api_key(api_key)
        if key_id is None:  # not even shaped like a key: nothing to hash, nothing revealed
            return self._remember(digest, None)
        known = self._verified.get(digest) == key_id
        if not known:  # an argon2 check is due: refuse it at once while throttled
            self._guard.check(key_id, client)
        row = await self._read(lambda c: keys.lookup_key(c, key_id))
        if not known:
            # Unknown ids and revoked keys are verified against a dummy hash: same cost, same
            # answer time, so timing does not tell which key ids exist.
            secret_hash = row.secret_hash if row is not None else None
            async with self._guard.hashing(key_id, client):
                ok = await asyncio.to_thread(keys.verify_secret, secret_hash, api_key)
            if not ok:
                self._guard.failed(key_id, client)
                return self._remember(digest, None)
            assert row is not None
            self._verified[digest] = row.key_id
        if row is None:
            return self._remember(digest, None)
        if row.sanction_until is not None and row.sanction_until <= self._clock():
            row = await self._expire_sanction(str(row.id), str(row.key_id))
            if row is None:
                return self._remember(digest, None)
        return self._remember(digest, self._view(row))

    async def _expire_sanction(self, account_id: str, key_id: str) -> Any:
        assert self._store is not None
        now = self._clock()
        await self._store.awrite(lambda c: sanctions.expire_if_due(c, account_id, now=now))
        return await self._read(lambda c: keys.lookup_key(c, key_id))

    def _view(self, row: Any) -> AccountView:
        assert self._keyring is not None, "AccountCache used before bind()"
        return account_view(row, self._keyring, row.key_id)

    def _remember(self, digest: str, view: AccountView | None) -> AccountView | None:
        if len(self._cache) >= _CACHE_MAX:
            for stale in list(self._cache)[: _CACHE_MAX // 10]:
                del self._cache[stale]
        if len(self._verified) >= _CACHE_MAX:
            self._verified.clear()  # costs one argon2 check per key on next use
        self._cache[digest] = (time.monotonic() + self._ttl, view)
        return view

    def clear(self) -> None:
        """Forget every cached answer (the next request per key reads the database again)."""
        self._cache.clear()

    def forget(self, message: str) -> None:
        """Drop cached state named by ``message``: ``account:<id>``, ``key:<id>``,
        ``agreement:`` or ``*``."""
        kind, _, ident = message.partition(":")
        if message == "*" or kind == "agreement":
            self._agreement = None
        if message == "*":
            self._cache.clear()
            return
        for digest, (_exp, view) in list(self._cache.items()):
            if view is None:
                continue
            if (kind == "account" and view.account_id == ident) or (
                kind == "key" and view.key_id == ident
            ):
                del self._cache[digest]
        if kind == "key":
            self._verified = {d: k for d, k in self._verified.items() if k != ident}

    async def current_agreement(self) -> Agreement | None:
        """The agreement users must have accepted (cached like accounts)."""
        cached = self._agreement
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        current: Agreement | None = await self._read(agreements.current_agreement)
        self._agreement = (time.monotonic() + self._ttl, current)
        return current


def account_view(row: Any, keyring: Keyring, key_id: str) -> AccountView:
    """An ``accounts`` row as the gateway sees it (an end user's row carries its app's id)."""
    return AccountView(
        account_id=row.id,
        pseudonym=keyring.pseudonym(row.id),
        age_band=AgeBand(row.age_band),
        agreement_version=row.agreement_version,
        sanction=Sanction(row.sanction),
        sanction_until=row.sanction_until,
        sanction_reason=row.sanction_reason,
        training_opt_out=bool(row.training_opt_out),
        key_id=key_id,
        app_account_id=getattr(row, "app_account_id", None),
    )
