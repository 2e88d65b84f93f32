"""What the gateway needs from persistence, as one async protocol.

The gateway never touches SQL. It calls a :class:`GatewayBackend`, implemented over the store by
``hegui.ops.backend.StoreBackend`` (SQLite or PostgreSQL, optionally Redis for state shared by
several replicas). Tests may plug in any object with these methods.

Rules every implementation keeps:
- ``authenticate`` and ``end_user`` answer from a short-lived cache on the hot path (no query
  per request; ``end_user`` creates the end user's record on first sight);
  failed checks are throttled per key id and client address
  (:class:`hegui.errors.AuthThrottledError`, answered 429).
- ``record_usage`` returns once the record is durable (journaled with fsync, or committed) and
  raises :class:`hegui.errors.StoreError` when it cannot be, so no answer is released unrecorded;
  records reach the database in batches; ``flush`` waits for that.
- Writes that the gateway must not proceed without (incidents, sanctions) raise
  :class:`hegui.errors.StoreError` when the database is down, so the gateway can answer 503.
- Every decision and admin action leaves a hash-chained audit event in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from hegui.ops.records import (
    AccountView,
    AgeBand,
    Agreement,
    IncidentRecord,
    MinorsDecision,
    SanctionOutcome,
    UsageRecord,
)

__all__ = ["GatewayBackend"]


class GatewayBackend(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def ready(self) -> bool: ...
    async def authenticate(self, api_key: str, client: str | None = None) -> AccountView | None: ...
    async def current_agreement(self) -> Agreement | None: ...
    async def end_user(self, app: AccountView, external_id: str) -> AccountView: ...
    async def end_user_update(
        self,
        end_user: AccountView,
        *,
        agreement: str | None = None,
        age_band: AgeBand | None = None,
    ) -> dict[str, Any]: ...
    async def minors_check(self, account: AccountView, now: datetime) -> MinorsDecision: ...
    async def minors_add_usage(
        self, account: AccountView, seconds: float, now: datetime, reservation: str | None = None
    ) -> None: ...
    async def rate_limit(self, account: AccountView, now: datetime) -> bool: ...
    async def record_usage(self, record: UsageRecord) -> None: ...
    async def record_incident(self, incident: IncidentRecord) -> str: ...
    async def register_violation(
        self, account: AccountView, codes: list[str]
    ) -> SanctionOutcome: ...
    async def flush(self) -> None: ...
