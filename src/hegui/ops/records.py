"""The compliance domain's records: accounts as the gateway sees them, sanctions, minors'
decisions, agreements, usage and incident records.

They belong to ``ops`` (the domain), not to the gateway that happens to produce most of them: the
gateway, the console and the CLI import them from here, and ``ops`` imports nothing from the
gateway (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

__all__ = [
    "AccountView",
    "AgeBand",
    "Agreement",
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
    # Set for an end user behind an app's key: the app's account id (see ops.end_users).
    app_account_id: str | None = None


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
