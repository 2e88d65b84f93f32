"""Usage records: pseudonymous, batched, content only when the policy keeps it (encrypted).

``store_content`` is ``none`` (never), ``violations`` (only refused, blocked or failed requests,
kept as evidence, and requests sent to ``review``, which a person has to read) or ``all``. A batch is one transaction with one audit event whose
``after_hash`` digests the rows it wrote and whose ``detail`` names them (ids and a short digest
per row), so ``hegui audit verify --records`` can recompute them (:mod:`hegui.store.audit_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from hegui.errors import ConfigError
from hegui.gateway.backend import UsageRecord
from hegui.store import audit, audit_records
from hegui.store.crypto import Keyring
from hegui.store.schema import usage_records, utcnow

__all__ = [
    "CONTENT_POLICIES",
    "VIOLATION_DECISIONS",
    "insert_usage",
    "keeps_content",
    "review_queue",
]

CONTENT_POLICIES = ("none", "violations", "all")
VIOLATION_DECISIONS = frozenset({"refuse", "block", "failed"})
_EVIDENCE_DECISIONS = VIOLATION_DECISIONS | {"review"}
USAGE_CONTEXT = "usage"


def keeps_content(decision: str, policy: str) -> bool:
    """Whether a record with this decision keeps its content under ``policy``."""
    if policy not in CONTENT_POLICIES:
        raise ConfigError(f"store.store_content must be one of {', '.join(CONTENT_POLICIES)}")
    return policy == "all" or (policy == "violations" and decision in _EVIDENCE_DECISIONS)


def _row(record: UsageRecord, keyring: Keyring, policy: str, now: datetime) -> dict[str, Any]:
    content = None
    if record.content is not None and keeps_content(record.decision, policy):
        content = keyring.encrypt(record.content, USAGE_CONTEXT)
    return {
        "pseudonym": record.pseudonym,
        "key_id": record.key_id,
        "at": record.created_at or now,
        "model": record.model,
        "endpoint": record.endpoint,
        "decision": record.decision,
        "risk_codes": sorted(record.risk_codes),
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "latency_ms": record.latency_ms,
        "status": record.status,
        "incident_id": record.incident_id,
        "content": content,
    }


def insert_usage(
    conn: Connection,
    records: Sequence[UsageRecord],
    *,
    keyring: Keyring,
    policy: str,
    now: datetime | None = None,
) -> int:
    """Write ``records`` and their audit event in the caller's transaction; returns the count."""
    if not records:
        return 0
    now = now or utcnow()
    rows = [_row(r, keyring, policy, now) for r in records]
    returning = insert(usage_records).returning(usage_records.c.id, sort_by_parameter_order=True)
    ids = [int(i) for i in conn.execute(returning, rows).scalars()]
    entries = [audit_records.usage_entry(i, r) for i, r in zip(ids, rows, strict=True)]
    decisions: dict[str, int] = {}
    for r in rows:
        decisions[r["decision"]] = decisions.get(r["decision"], 0) + 1
    audit.append(
        conn,
        actor="gateway",
        action="usage.batch",
        subject="usage_records",
        after=entries,
        detail={
            "count": len(rows),
            "decisions": decisions,
            **audit_records.usage_seal(ids, entries),
        },
        at=now,
    )
    return len(rows)


def review_queue(
    conn: Connection, *, limit: int = 100, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Usage records the policy sent to ``review`` (served, waiting for a person), newest first;
    the console's review queue reads this. Content stays encrypted here."""
    query = select(usage_records).where(usage_records.c.decision == "review")
    if since is not None:
        query = query.where(usage_records.c.at >= since)
    query = query.order_by(usage_records.c.at.desc(), usage_records.c.id.desc()).limit(limit)
    return [dict(row._mapping) for row in conn.execute(query)]
