"""Usage records: pseudonymous, batched, content only when the policy keeps it (encrypted).

A record travels as a journal frame (:mod:`hegui.ops.journal`): :func:`record_meta` and
:func:`kept_content` on the serving side (content dropped or encrypted there, so text the policy
will not store never leaves the request), :func:`row_from_frame` and :func:`insert_rows` in the
writer. Rows are cleaned on the way in (NULs removed, strings cut to their column's width), so
no value a client chose (a 300-character model name) can make the database refuse a batch, and
a record id already in the table is skipped, so replaying a journal never duplicates a row.

``store_content`` is ``none`` (never), ``violations`` (only refused, blocked or failed requests,
kept as evidence, and requests sent to ``review``, which a person has to read) or ``all``. A batch is one transaction with one audit event whose
``after_hash`` digests the rows it wrote and whose ``detail`` names them (ids and a short digest
per row), so ``hegui audit verify --records`` can recompute them (:mod:`hegui.store.audit_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select

from hegui.errors import ConfigError
from hegui.ops.records import UsageRecord
from hegui.store import audit, audit_records
from hegui.store.crypto import Keyring
from hegui.store.schema import usage_quarantine, usage_records, utcnow

__all__ = [
    "CONTENT_POLICIES",
    "VIOLATION_DECISIONS",
    "insert_rows",
    "insert_usage",
    "keeps_content",
    "kept_content",
    "quarantine",
    "record_meta",
    "review_queue",
    "row_from_frame",
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


# Widths of the usage_records columns a value may come from outside (migration 0006).
_WIDTHS = {
    "pseudonym": 64,
    "key_id": 32,
    "model": 512,
    "endpoint": 100,
    "decision": 32,
    "incident_id": 32,
    "record_id": 32,
    "request_id": 64,
}


def _clean(value: Any, width: int | None = None) -> str | None:
    """A string the database accepts: no NUL (PostgreSQL refuses it), no longer than its column."""
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    return text[:width] if width is not None else text


def kept_content(record: UsageRecord, keyring: Keyring, policy: str) -> bytes | None:
    """The record's content encrypted, when the policy keeps it for this decision; else None."""
    if record.content is None or not keeps_content(record.decision, policy):
        return None
    return keyring.encrypt(record.content, USAGE_CONTEXT)


def record_meta(record: UsageRecord, number: int, *, final: bool = True) -> dict[str, Any]:
    """A record's fields as a journal frame's meta (``number``: its place in the journal)."""
    return {
        "n": number,
        "final": final,
        "record_id": record.record_id,
        "request_id": record.request_id,
        "pseudonym": record.pseudonym,
        "key_id": record.key_id,
        "at": (record.created_at or utcnow()).isoformat(),
        "model": record.model,
        "endpoint": record.endpoint,
        "decision": record.decision,
        "risk_codes": list(record.risk_codes),
        "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens,
        "latency_ms": record.latency_ms,
        "status": record.status,
        "incident_id": record.incident_id,
    }


def row_from_frame(meta: dict[str, Any], content: bytes | None) -> dict[str, Any]:
    """The usage_records row for a journal frame, cleaned to fit its columns."""
    at = datetime.fromisoformat(str(meta["at"]))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    row: dict[str, Any] = {k: _clean(meta.get(k), w) for k, w in _WIDTHS.items()}
    row["pseudonym"] = row["pseudonym"] or "anonymous"
    row["model"] = row["model"] or ""
    row["endpoint"] = row["endpoint"] or ""
    row["decision"] = row["decision"] or ""
    row.update(
        at=at,
        risk_codes=sorted(_clean(c, 32) or "" for c in meta.get("risk_codes") or []),
        prompt_tokens=int(meta.get("prompt_tokens") or 0),
        completion_tokens=int(meta.get("completion_tokens") or 0),
        latency_ms=float(meta.get("latency_ms") or 0.0),
        status=int(meta.get("status") or 0),
        content=content,
    )
    return row


def _row(record: UsageRecord, keyring: Keyring, policy: str, now: datetime) -> dict[str, Any]:
    meta = record_meta(replace(record, created_at=record.created_at or now), 0)
    return row_from_frame(meta, kept_content(record, keyring, policy))


def insert_usage(
    conn: Connection,
    records: Sequence[UsageRecord],
    *,
    keyring: Keyring,
    policy: str,
    now: datetime | None = None,
) -> int:
    """Write ``records`` and their audit event in the caller's transaction; returns the count."""
    now = now or utcnow()
    return insert_rows(conn, [_row(r, keyring, policy, now) for r in records], now=now)


def insert_rows(
    conn: Connection, rows: Sequence[dict[str, Any]], *, now: datetime | None = None
) -> int:
    """Insert rows (from :func:`row_from_frame`) not already present by record id, with their
    audit event, in the caller's transaction; returns how many were inserted."""
    ids_given = [r["record_id"] for r in rows if r.get("record_id")]
    if ids_given:
        present = set(
            conn.execute(
                select(usage_records.c.record_id).where(usage_records.c.record_id.in_(ids_given))
            ).scalars()
        )
        seen: set[str] = set()
        fresh = []
        for r in rows:
            rid = r.get("record_id")
            if rid and (rid in present or rid in seen):
                continue
            if rid:
                seen.add(rid)
            fresh.append(r)
        rows = fresh
    if not rows:
        return 0
    now = now or utcnow()
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


def quarantine(
    conn: Connection, meta: dict[str, Any], content: bytes | None, reason: str, *, now: datetime
) -> None:
    """Keep a record the database refused, as it was journaled, for a person to look at."""
    conn.execute(
        insert(usage_quarantine).values(
            record_id=_clean(meta.get("record_id"), 32),
            at=now,
            reason=reason[:200],
            meta=orjson.dumps(meta),
            content=content,
        )
    )
