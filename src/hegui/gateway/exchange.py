"""Per-request state: who asked, what was decided, what to record. One object per request."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hegui.ops.records import AccountView, UsageRecord

__all__ = ["Exchange"]


@dataclass(slots=True)
class Exchange:
    """Everything one request accumulates on its way through the gateway.

    Lives inside the ASGI ``__call__`` (never shared between requests) and becomes exactly one
    :class:`UsageRecord` when the request ends, whatever the outcome.
    """

    endpoint: str
    started: float = field(default_factory=time.perf_counter)
    account: AccountView | None = None
    model: str = ""
    decision: str = "allow"
    status: int = 200
    codes: list[str] = field(default_factory=list)
    incident_id: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    remind_rest: bool = False
    content: str | None = None
    hegui: dict[str, Any] = field(default_factory=dict)  # added to every ``hegui`` object sent
    record_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request_id: str | None = None
    recorded: bool = False  # the final usage record is durable (written before release)

    def add_codes(self, codes: list[str]) -> None:
        for c in codes:
            if c not in self.codes:
                self.codes.append(c)

    def usage_record(self) -> UsageRecord:
        acct = self.account
        return UsageRecord(
            pseudonym=acct.pseudonym if acct else "anonymous",
            key_id=acct.key_id if acct else None,
            model=self.model,
            endpoint=self.endpoint,
            decision=self.decision,
            risk_codes=list(self.codes),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            latency_ms=(time.perf_counter() - self.started) * 1000.0,
            status=self.status,
            incident_id=self.incident_id,
            created_at=datetime.now(UTC),  # set here: the backend need not copy the record
            content=self.content,
            record_id=self.record_id,
            request_id=self.request_id,
        )
