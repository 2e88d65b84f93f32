"""What the gateway needs from persistence, as one async protocol.

The gateway never touches SQL. It calls a :class:`GatewayBackend`, implemented over the store by
``hegui.ops.backend.StoreBackend`` (SQLite or PostgreSQL, optionally Redis for state shared by
several replicas). Tests may plug in any object with these methods.

Rules every implementation keeps:
- ``authenticate`` answers from a short-lived cache on the hot path (no query per request);
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

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

__all__ = [
    "AccountView",
    "AgeBand",
    "Agreement",
    "GatewayBackend",
    "IncidentRecord",
    "MinorsDecision",
    "Sanction",
    "SanctionOutcome",
    "UsageRecord",
]


class AgeBand(StrEnum):
    ADULT = "adult"
    UNDER_16 = "under_16"
    AGE_16_17 = "16_17"


class Sanction(StrEnum):
    """Sanction ladder of Interim Measures Art. 14 (warn, restrict, suspend, terminate)."""

    NORMAL = "normal"
    WARNED = "warned"
    RESTRICTED = "restricted"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class AccountView:
    """The account behind an API key, as the gateway needs it on every request."""

    account_id: str
    pseudonym: str  # keyed HMAC of the account id: the only identifier written to usage records
    age_band: AgeBand
    agreement_version: str | None  # version the user accepted, None if never
    sanction: Sanction
    sanction_until: datetime | None
    sanction_reason: str | None
    training_opt_out: bool
    key_id: str


@dataclass(frozen=True, slots=True)
class Agreement:
    version: str
    url: str


@dataclass(frozen=True, slots=True)
class MinorsDecision:
    """Whether a minor may be served now, and whether to add a rest reminder.

    An allowed decision holds ``reservation`` (``reserved_seconds`` of today's budget) until the
    request ends and :meth:`GatewayBackend.minors_add_usage` settles it, so requests running at
    the same time cannot spend the same remaining minutes.
    """

    allowed: bool
    reason: str | None = None  # 'curfew' | 'daily_limit'
    remind_rest: bool = False
    minutes_used_today: float = 0.0
    reservation: str | None = None
    reserved_seconds: float = 0.0


@dataclass(slots=True)
class UsageRecord:
    """One served (or refused) request. No content unless the policy asks to keep it."""

    pseudonym: str
    key_id: str | None
    model: str
    endpoint: str
    decision: str  # allow | flag | redact | refuse | block | failed | error
    risk_codes: list[str] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    status: int = 200
    incident_id: str | None = None
    created_at: datetime | None = None
    content: str | None = None  # stored encrypted (AES-GCM) only when policy says so
    record_id: str | None = None  # unique per request: replaying the journal never duplicates
    request_id: str | None = None  # the request's x-request-id (set by the gateway's logging)


@dataclass(slots=True)
class IncidentRecord:
    """Prohibited content found at the moment of service (Art. 14: stop, record, report)."""

    pseudonym: str
    direction: str  # input | output
    stage: str  # 'prompt' | 'completion' | 'stream'
    action: str  # refuse | block | failed
    risk_codes: list[str]
    model: str
    evidence: str | None = None  # encrypted at rest
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SanctionOutcome:
    sanction: Sanction
    changed: bool
    reason: str | None = None
    until: datetime | None = None


class GatewayBackend(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def ready(self) -> bool: ...
    async def authenticate(self, api_key: str, client: str | None = None) -> AccountView | None: ...
    async def current_agreement(self) -> Agreement | None: ...
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
