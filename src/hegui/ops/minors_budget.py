"""Minors' daily time on the gateway's hot path: check, reserve, count, save (Art. 10).

Split from :mod:`hegui.ops.backend` because it is a job of its own: the rules are in
:mod:`hegui.ops.minors`; this keeps today's counters in memory or Redis (shared by replicas),
reserves a request's longest possible time up front so concurrent requests cannot overspend the
budget, and writes the changed counters to the database in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from hegui.config import Settings
from hegui.errors import StoreError
from hegui.ops import minors
from hegui.ops.records import AccountView, AgeBand, MinorsDecision
from hegui.ops.shared import SharedState
from hegui.store.db import Store

__all__ = ["MinorsBudget"]

# A request can take the upstream timeout plus the gateway's own work around it.
_REQUEST_OVERHEAD_S = 5.0


class MinorsBudget:
    """Minors' counters over the backend's shared state and store (both looked up per call:
    the backend replaces them when it starts)."""

    def __init__(
        self,
        settings: Settings,
        shared: Callable[[], SharedState],
        store: Callable[[], Store],
    ) -> None:
        self.settings = settings
        self._shared = shared
        self._store = store
        self._dirty: dict[tuple[str, str], minors.MinorsState] = {}

    def _read(self, account_id: str, day: str) -> minors.MinorsState:
        with self._store().read() as conn:
            return minors.load_state(conn, account_id, day)

    async def _state(self, account_id: str, day: str) -> minors.MinorsState:
        shared = self._shared()
        state = await shared.minors_get(account_id, day)
        if state is None:
            stored = await asyncio.to_thread(self._read, account_id, day)
            await shared.minors_seed(account_id, day, stored)
            state = await shared.minors_get(account_id, day) or stored
        return state

    async def check(self, account: AccountView, now: datetime) -> MinorsDecision:
        """May the minor be served now? If so, today's budget for this request is reserved up
        front (up to the longest a request can last), so concurrent requests cannot overspend it."""
        if account.age_band is AgeBand.ADULT:
            return MinorsDecision(allowed=True)
        cfg = self.settings.minors
        day = minors.local_day(now, cfg)
        state = await self._state(account.account_id, day)
        decision = minors.decide(account.age_band, state, now, cfg)
        budget = minors.daily_budget_seconds(account.age_band, cfg)
        if not decision.allowed or budget is None:
            return decision
        longest = self.settings.gateway.upstream_timeout + _REQUEST_OVERHEAD_S
        granted, token = await self._shared().minors_reserve(
            account.account_id, day, longest, budget, now
        )
        if granted <= 0:  # the rest of today's budget is held by requests in flight
            return replace(decision, allowed=False, reason="daily_limit", remind_rest=False)
        return replace(decision, reservation=token, reserved_seconds=granted)

    async def add_usage(
        self, account: AccountView, seconds: float, now: datetime, reservation: str | None = None
    ) -> None:
        """Count the request's time, then give back what it had reserved."""
        if account.age_band is AgeBand.ADULT:
            return
        day = minors.local_day(now, self.settings.minors)
        await self._state(account.account_id, day)
        shared = self._shared()
        state = await shared.minors_add(account.account_id, day, seconds, now)
        self._dirty[(account.account_id, day)] = state
        if reservation:
            await shared.minors_release(account.account_id, day, reservation)

    async def save(self) -> None:
        """Write the counters changed since the last save; kept for the next on StoreError."""
        if self._dirty:
            dirty, self._dirty = self._dirty, {}
            try:
                await self._store().awrite(lambda c: _save(c, dirty))
            except StoreError:
                for key, state in dirty.items():
                    self._dirty.setdefault(key, state)
                raise


def _save(conn: Connection, dirty: dict[tuple[str, str], minors.MinorsState]) -> None:
    for (account_id, day), state in dirty.items():
        minors.save_state(conn, account_id, day, state)
