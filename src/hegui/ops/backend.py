"""``StoreBackend``: the :class:`hegui.gateway.backend.GatewayBackend` over the store.

It composes the jobs that live in their own modules: who is calling
(:mod:`hegui.ops.account_cache`, :mod:`hegui.ops.end_user_cache`), counters shared by replicas
(:mod:`hegui.ops.shared`), minors' daily time (:mod:`hegui.ops.minors_budget`) and the usage
records' journal and writer (:mod:`hegui.ops.usage_log`).

Hot path, per request: ``authenticate`` answers from memory; ``rate_limit`` and
``minors_check`` touch only memory or Redis; ``record_usage`` returns once the record is synced to
the local journal, which a writer process copies into the database in batches
(:mod:`hegui.ops.usage_log`). Only incidents and violations wait for the database, and raise
:class:`StoreError` when it is down so the gateway answers 503.

Several replicas stay consistent through PostgreSQL (violations, sanctions, audit chain) and Redis
(rate windows, streaks, minors' counters, and pub/sub messages that drop cached accounts when a
sanction changes or a key is revoked).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hegui.config import Settings
from hegui.errors import ConfigError, InputError, StoreError
from hegui.ops import end_users as end_user_ops
from hegui.ops import incidents, minors, sanctions, usage
from hegui.ops.account_cache import AccountCache
from hegui.ops.end_user_cache import EndUserCache
from hegui.ops.minors_budget import MinorsBudget
from hegui.ops.records import (
    AccountView,
    AgeBand,
    Agreement,
    IncidentRecord,
    MinorsDecision,
    Sanction,
    SanctionOutcome,
    UsageRecord,
)
from hegui.ops.shared import LocalState, RedisState, SharedState, window_of
from hegui.ops.usage_log import UsageLog
from hegui.store.crypto import Keyring, default_key_path, load_master_key
from hegui.store.db import Store, normalise_url, open_store, sqlite_path
from hegui.store.schema import utcnow

__all__ = ["StoreBackend", "check_settings"]

log = logging.getLogger(__name__)

_CLEAN_DECISIONS = frozenset({"allow", "flag", "review", "redact"})
# Only a generation request that was served cleanly ends a run of violations: a model list,
# a moderation call or an error between two violations must not reset "N in a row".
_GENERATION_ENDPOINTS = frozenset({"chat", "completions", "images", "responses"})


class StoreBackend:
    """Persistence and shared account state for the gateway (see module docstring)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        writer_process: bool | None = None,
    ) -> None:
        """``writer_process``: usage records written by a separate process (default) or by a
        thread of this one (False)."""
        self.settings = settings or Settings()
        self._want_process = writer_process is not False
        self._usage: UsageLog | None = None
        self._clock = clock
        self._store: Store | None = None
        self._keyring: Keyring | None = None
        self._shared: SharedState = LocalState(self.settings.minors)
        self.accounts = AccountCache(self.settings, clock)
        self.end_users = EndUserCache(self.settings, clock)
        self.minors = MinorsBudget(self.settings, lambda: self._shared, lambda: self.store)
        self._wake = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._writer_task: asyncio.Task[None] | None = None
        self._closing = False

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError("backend not started")
        return self._store

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            raise StoreError("backend not started")
        return self._keyring

    async def start(self) -> None:
        """Open (and migrate) the database, load the key, connect Redis, start the usage log."""
        cfg = self.settings.store
        check_settings(self.settings)
        self._store = await asyncio.to_thread(open_store, cfg.url)
        secret = cfg.secret_key.get_secret_value() if cfg.secret_key else None
        key_path = default_key_path(sqlite_path(self._store.url))
        try:
            master = await asyncio.to_thread(load_master_key, secret, key_path)
        except ConfigError:
            await self._close_store()
            raise
        self._keyring = Keyring(master)
        self.accounts.bind(self._store, self._keyring)
        self.end_users.bind(self._store, self._keyring)
        usage_log = UsageLog(cfg, self._keyring, in_process=not self._want_process)
        try:
            await usage_log.start(self._store.url)
        except StoreError:
            await self._close_store()
            raise
        self._usage = usage_log
        if cfg.redis_url:
            shared = RedisState(cfg.redis_url, cfg.redis_prefix, self.settings.minors)
            try:
                await shared.ping()
                await shared.listen(self._on_invalidate)
            except StoreError:
                await shared.close()
                await usage_log.close()
                await self._close_store()
                raise
            self._shared = shared
        self._writer_task = asyncio.create_task(self._write_loop())

    async def close(self) -> None:
        """Write what is journaled (logging, not raising, if the database is gone), then stop."""
        if self._writer_task is not None:
            self._closing = True
            self._wake.set()
            async with self._drain_lock:  # never cancel the minors save in the middle
                self._writer_task.cancel()
            await asyncio.gather(self._writer_task, return_exceptions=True)
            self._writer_task = None
        try:
            await self.minors.save()
        except StoreError as exc:
            log.error("closing with minors' counters unsaved: %s", exc)
        if self._usage is not None:  # the writer finishes the journal (or leaves it for the next)
            await self._usage.close()
            self._usage = None
        await self._shared.close()
        await self._close_store()

    @property
    def records_written(self) -> int:
        """Usage rows this process's writer has committed (its own journal)."""
        writer = self._usage.writer if self._usage is not None else None
        return writer.written if writer is not None else 0

    def usage_status(self) -> dict[str, Any]:
        """The usage log's state (writer alive, backlog, quarantined rows) for /readyz, /metrics."""
        if self._usage is None:
            return {"writer": False, "error": "backend not started"}
        return self._usage.status()

    async def _close_store(self) -> None:
        if self._store is not None:
            await asyncio.to_thread(self._store.close)
            self._store = None

    async def ready(self) -> bool:
        if self._store is None or not await asyncio.to_thread(self._store.ping):
            return False
        if isinstance(self._shared, RedisState):
            try:
                return await self._shared.ping()
            except StoreError:
                return False
        return True

    def health_checks(self) -> dict[str, Callable[[], dict[str, object]]]:
        """Components the gateway's ``/readyz`` reports besides the store (see gateway.probes)."""
        return {"usage_writer": self.writer_health}

    def writer_health(self) -> dict[str, object]:
        """The usage writer for /readyz: alive, no error, and its journal backlog."""
        status = self.usage_status()
        alive = bool(status.get("writer"))
        return {
            "ok": alive and status.get("error") is None,
            "process_alive": alive,
            "backlog": status.get("backlog_records", 0),
            **status,
        }

    # -- accounts ----------------------------------------------------------------------------

    async def authenticate(self, api_key: str, client: str | None = None) -> AccountView | None:
        """The account behind ``api_key`` (see :class:`~hegui.ops.account_cache.AccountCache`)."""
        return await self.accounts.authenticate(api_key, client)

    def _on_invalidate(self, message: str) -> None:
        self.accounts.forget(message)
        self.end_users.forget(message)

    async def invalidate(self, message: str) -> None:
        """Forget cached state here and (with Redis) on every other replica."""
        self._on_invalidate(message)
        await self._shared.publish(message)

    async def current_agreement(self) -> Agreement | None:
        return await self.accounts.current_agreement()

    async def end_user(self, app: AccountView, external_id: str) -> AccountView:
        """The end user behind ``app``'s key (see :class:`~hegui.ops.end_user_cache.EndUserCache`)."""
        return await self.end_users.resolve(app, external_id)

    async def end_user_update(
        self,
        end_user: AccountView,
        *,
        agreement: str | None = None,
        age_band: AgeBand | None = None,
    ) -> dict[str, Any]:
        """An end user accepts ``agreement`` (a version, or "current") or moves to ``age_band``,
        through its app's key; audited as the app, then dropped from every replica's cache."""
        if end_user.app_account_id is None:
            raise InputError("not an end user")
        actor, now = f"app:{end_user.app_account_id}", self._clock()
        state: dict[str, Any] = await self.store.awrite(
            lambda c: end_user_ops.update(
                c, end_user.account_id, actor, agreement=agreement, age_band=age_band, now=now
            )
        )
        await self.invalidate(f"account:{end_user.account_id}")
        return state

    # -- minors, rate limits -----------------------------------------------------------------

    async def minors_check(self, account: AccountView, now: datetime) -> MinorsDecision:
        """See :meth:`hegui.ops.minors_budget.MinorsBudget.check`."""
        return await self.minors.check(account, now)

    async def minors_add_usage(
        self, account: AccountView, seconds: float, now: datetime, reservation: str | None = None
    ) -> None:
        """See :meth:`hegui.ops.minors_budget.MinorsBudget.add_usage`."""
        await self.minors.add_usage(account, seconds, now, reservation)

    async def rate_limit(self, account: AccountView, now: datetime) -> bool:
        """True when the request may proceed under the per-minute limit of the account."""
        cfg = self.settings.rate_limit
        limits = [cfg.requests_per_minute]
        if account.sanction is Sanction.RESTRICTED:
            limits.append(cfg.restricted_requests_per_minute)
        active = [n for n in limits if n > 0]
        if not active:
            return True
        return await self._shared.hit(account.account_id, window_of(now), min(active))

    # -- records -----------------------------------------------------------------------------

    async def record_usage(self, record: UsageRecord) -> None:
        """Journal the request's final record; returns once it is on disk (StoreError if not)."""
        if self._usage is None:
            raise StoreError("backend not started")
        if record.created_at is None:
            record = replace(record, created_at=self._clock())
        await self._usage.append(record)
        if (
            record.decision in _CLEAN_DECISIONS
            and record.endpoint in _GENERATION_ENDPOINTS
            and record.status == 200
        ):
            try:
                await self._shared.streak_reset(record.pseudonym)
            except StoreError:
                log.warning("could not reset a violation streak (redis unavailable)")

    async def record_provisional(self, record: UsageRecord) -> None:
        """Journal a stream's record before its first byte (the final one replaces it)."""
        if self._usage is None:
            raise StoreError("backend not started")
        await self._usage.append(record, final=False)

    def check_writable(self) -> None:
        """Fail closed while usage records cannot be kept (journal backlog over its limit)."""
        if self._usage is None:
            raise StoreError("backend not started")
        self._usage.check_writable()

    async def record_incident(self, incident: IncidentRecord) -> str:
        policy, keyring, now = self.settings.store.store_content, self.keyring, self._clock()
        return await self.store.awrite(
            lambda c: incidents.record_incident(
                c, incident, keyring=keyring, policy=policy, now=now
            )
        )

    async def register_violation(self, account: AccountView, codes: list[str]) -> SanctionOutcome:
        """Record a violation; escalate per ``[sanctions]`` and tell every replica if it did."""
        streak = await self._shared.streak_incr(account.pseudonym)
        now, policy, tz = self._clock(), self.settings.sanctions, self.settings.minors.timezone
        outcome = await self.store.awrite(
            lambda c: sanctions.record_violation(
                c, account.account_id, codes, streak=streak, policy=policy, tz=tz, now=now
            )
        )
        if outcome.changed:
            await self._shared.streak_reset(account.pseudonym)
            await self.invalidate(f"account:{account.account_id}")
        return outcome

    async def flush(self) -> None:
        """Write every journaled record and minors' counters now; StoreError when the database
        is down (the records stay in the journal)."""
        async with self._drain_lock:
            if self._usage is not None:
                await self._usage.flush()
            await self.minors.save()

    async def _write_loop(self) -> None:
        interval = self.settings.store.usage_flush_interval
        while not self._closing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()
            if self._closing:
                return
            try:
                async with self._drain_lock:
                    await self.minors.save()
            except StoreError as exc:
                log.warning("minors' counters not saved: %s", exc)
                await asyncio.sleep(min(5.0, interval * 10))


def check_settings(settings: Settings) -> None:
    """Refuse to start on settings that would only fail later, mid-request."""
    usage.keeps_content("allow", settings.store.store_content)
    if settings.store.secret_key is None and normalise_url(settings.store.url).startswith(
        "postgresql"
    ):
        # Each replica would make its own key: pseudonyms and evidence others cannot read.
        raise ConfigError(
            "store.secret_key must be set when the database is shared (PostgreSQL): every "
            "replica needs the same key (set HEGUI_STORE__SECRET_KEY; see docs/operations.md)"
        )
    try:
        sanctions.parse_sanction(settings.sanctions.max_automatic)
    except InputError as exc:
        raise ConfigError(f"sanctions.max_automatic: {exc}") from None
    try:
        ZoneInfo(settings.minors.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"minors.timezone: unknown time zone {settings.minors.timezone!r}"
        ) from None
    now = utcnow()
    minors.in_curfew(now, settings.minors)
    if settings.store.usage_batch_size < 1 or settings.store.usage_flush_interval <= 0:
        raise ConfigError("store.usage_batch_size and store.usage_flush_interval must be positive")
