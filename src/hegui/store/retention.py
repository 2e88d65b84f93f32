"""Retention and purge: keep logs ≥ 6 months (Cybersecurity Law Art. 21), evidence longer.

- usage records older than ``log_retention_days`` are deleted, except those still holding
  evidence (content) younger than ``evidence_retention_days``;
- content (usage) and evidence (incidents) older than ``evidence_retention_days`` is erased;
  the incident itself stays as the record of the measures taken;
- minors' daily counters older than ``log_retention_days`` are deleted;
- end users with no activity and nothing to keep for ``log_retention_days`` are deleted
  (:mod:`hegui.store.end_user_retention`; needs the store's key).

The purge writes its own audit event with the counts, in the same transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, func, or_, select, update

from hegui.config import StoreSettings
from hegui.errors import ConfigError
from hegui.store import audit
from hegui.store.audit_records import id_ranges, seal
from hegui.store.crypto import Keyring
from hegui.store.end_user_retention import delete_end_users, stale_end_users
from hegui.store.schema import incidents, minors_usage, usage_records, utcnow

__all__ = ["MIN_LOG_RETENTION_DAYS", "PurgeReport", "purge"]

MIN_LOG_RETENTION_DAYS = 183


@dataclass(frozen=True, slots=True)
class PurgeReport:
    dry_run: bool
    log_cutoff: str
    evidence_cutoff: str
    usage_records_deleted: int
    usage_content_erased: int
    incident_evidence_erased: int
    minors_days_deleted: int
    end_users_deleted: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _count(conn: Connection, table: object, where: object) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())  # type: ignore[arg-type]


def purge(
    conn: Connection,
    settings: StoreSettings,
    *,
    actor: str,
    dry_run: bool = False,
    now: datetime | None = None,
    keyring: Keyring | None = None,
) -> PurgeReport:
    """Delete what is past its retention period (or only count it, with ``dry_run``); end
    users only with ``keyring`` (their usage records are found by pseudonym)."""
    if settings.log_retention_days < MIN_LOG_RETENTION_DAYS:
        raise ConfigError(
            f"store.log_retention_days must be at least {MIN_LOG_RETENTION_DAYS} (6 months)"
        )
    if settings.evidence_retention_days < 1:
        raise ConfigError("store.evidence_retention_days must be at least 1")
    now = now or utcnow()
    log_cutoff = now - timedelta(days=settings.log_retention_days)
    evidence_cutoff = now - timedelta(days=settings.evidence_retention_days)
    u = usage_records.c
    old_usage = and_(u.at < log_cutoff, or_(u.content.is_(None), u.at < evidence_cutoff))
    old_content = and_(u.at < evidence_cutoff, u.content.is_not(None), u.at >= log_cutoff)
    old_evidence = and_(incidents.c.at < evidence_cutoff, incidents.c.evidence.is_not(None))
    old_minors = minors_usage.c.last_at < log_cutoff
    stale = (
        []
        if keyring is None
        else stale_end_users(
            conn, keyring, log_cutoff, usage_purged=old_usage, minors_purged=old_minors
        )
    )
    report = PurgeReport(
        dry_run=dry_run,
        log_cutoff=log_cutoff.isoformat(),
        evidence_cutoff=evidence_cutoff.isoformat(),
        usage_records_deleted=_count(conn, usage_records, old_usage),
        usage_content_erased=_count(conn, usage_records, old_content),
        incident_evidence_erased=_count(conn, incidents, old_evidence),
        minors_days_deleted=_count(conn, minors_usage, old_minors),
        end_users_deleted=len(stale),
    )
    if dry_run:
        return report
    # What the purge removes is named in its audit event, so record verification can tell a
    # retention deletion from a quiet one (hegui.store.audit_records).
    deleted = _ids(conn, usage_records.c.id, old_usage)
    erased = _ids(conn, usage_records.c.id, old_content)
    evidence = [str(i) for i in _ids(conn, incidents.c.id, old_evidence)]
    conn.execute(delete(usage_records).where(old_usage))
    conn.execute(update(usage_records).where(old_content).values(content=None))
    conn.execute(update(incidents).where(old_evidence).values(evidence=None))
    conn.execute(delete(minors_usage).where(old_minors))
    rows: dict[str, str | None] = {}
    for incident_id in evidence:
        rows.update(seal(conn, "incidents", incident_id))
    rows.update(delete_end_users(conn, stale))
    audit.append(
        conn,
        actor=actor,
        action="retention.purge",
        subject="store",
        detail={
            **report.as_dict(),
            "usage_deleted_ids": id_ranges(deleted),
            "usage_content_erased_ids": id_ranges(erased),
            "rows": rows,
        },
        at=now,
    )
    return report


def _ids(conn: Connection, column: Any, where: Any) -> list[Any]:
    return list(conn.execute(select(column).where(where).order_by(column)).scalars())
