"""End users on the hot path: app account + end-user id → :class:`AccountView`, from memory.

The first request naming an end user reads (or creates, :func:`~hegui.ops.end_users.
ensure_end_user`) its row; later ones answer from a dictionary keyed by the keyed hash of the id
(one HMAC per request, no database). After ``end_users.cache_ttl`` seconds an entry is refreshed
in the background while requests are still answered from it (after twice that, they wait for
the database), so no request pays for a re-read; the TTL is long (300 s) because every change
made through hegui drops the entry at once. Concurrent loads of the same user are shared. A sanction, agreement or age-band change drops the entry
(:meth:`EndUserCache.forget`, also through the shared state's pub/sub on every replica).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from hegui.config import Settings
from hegui.ops import end_users, sanctions
from hegui.ops.account_cache import account_view
from hegui.ops.records import AccountView
from hegui.store.crypto import Keyring
from hegui.store.db import Store

__all__ = ["EndUserCache"]

_Key = tuple[str, str]  # (app account id, keyed hash of the end-user id)


class EndUserCache:
    """End users' standing, cached per process (see module docstring)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self._clock = clock
        self._store: Store | None = None
        self._keyring: Keyring | None = None
        self._cache: dict[_Key, tuple[float, AccountView]] = {}
        self._by_account: dict[str, _Key] = {}
        self._inflight: dict[_Key, asyncio.Task[AccountView]] = {}

    def bind(self, store: Store, keyring: Keyring) -> None:
        """Use ``store`` and ``keyring`` (once the backend has opened them)."""
        self._store, self._keyring = store, keyring

    async def resolve(self, app: AccountView, external_id: str) -> AccountView:
        """The end user ``external_id`` of ``app``, created on first sight."""
        assert self._keyring is not None, "EndUserCache used before bind()"
        key = (app.account_id, end_users.external_hash(self._keyring, app.account_id, external_id))
        hit = self._cache.get(key)
        if hit is not None:
            age = time.monotonic() - hit[0]
            view = hit[1]
            if age < 2 * self._ttl and (
                view.sanction_until is None or view.sanction_until > self._clock()
            ):
                if age >= self._ttl:  # stale: answer now, refresh in the background
                    self._start(key, app.key_id)
                return view if view.key_id == app.key_id else replace(view, key_id=app.key_id)
        view = await asyncio.shield(self._start(key, app.key_id))
        return view if view.key_id == app.key_id else replace(view, key_id=app.key_id)

    @property
    def _ttl(self) -> float:
        return float(self.settings.end_users.cache_ttl)

    def _start(self, key: _Key, key_id: str) -> asyncio.Task[AccountView]:
        """The load of ``key`` in flight, started if there is none (requests share it)."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._load(key, key_id))
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._loaded(key, t))
        return task

    def _loaded(self, key: _Key, task: asyncio.Task[AccountView]) -> None:
        self._inflight.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too, in case every waiter went away

    async def _load(self, key: _Key, key_id: str) -> AccountView:
        assert self._store is not None, "EndUserCache used before bind()"
        store, (app_id, ext_hash) = self._store, key

        def read() -> Any:
            with store.read() as conn:
                return end_users.lookup_end_user(conn, app_id, ext_hash)

        row = await asyncio.to_thread(read)
        if row is None:
            now = self._clock()
            row = await store.awrite(
                lambda c: end_users.ensure_end_user(c, app_id, ext_hash, now=now)
            )
        if row.sanction_until is not None and row.sanction_until <= self._clock():
            now = self._clock()
            await store.awrite(lambda c: sanctions.expire_if_due(c, row.id, now=now))
            row = await asyncio.to_thread(read)
        return self._remember(key, self._view(row, key_id))

    def _view(self, row: Any, key_id: str) -> AccountView:
        assert self._keyring is not None
        # key_id: the app key it came with (another key of the app: a copy)
        return account_view(row, self._keyring, key_id)

    def _remember(self, key: _Key, view: AccountView) -> AccountView:
        limit = max(1, self.settings.end_users.cache_size)
        if len(self._cache) >= limit:
            for stale in list(self._cache)[: max(1, limit // 10)]:
                old = self._cache.pop(stale)[1]
                self._by_account.pop(old.account_id, None)
        # The time it was loaded, spread by up to a tenth of the TTL so that end users first seen
        # together are not all refreshed together.
        self._cache[key] = (time.monotonic() - random.random() * self._ttl / 10, view)
        self._by_account[view.account_id] = key
        return view

    def __len__(self) -> int:
        return len(self._cache)

    def forget(self, message: str) -> None:
        """Drop cached state named by ``message`` (``account:<id>`` of an end user or its app,
        or ``*``); other messages do not concern end users."""
        kind, _, ident = message.partition(":")
        if message == "*":
            self._cache.clear()
            self._by_account.clear()
            return
        if kind != "account":
            return
        key = self._by_account.pop(ident, None)
        if key is not None:
            self._cache.pop(key, None)
