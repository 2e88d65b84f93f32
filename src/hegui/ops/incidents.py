"""Incidents: prohibited content met while serving (Art. 14: stop, keep records, report).

Written synchronously by the gateway, so a database outage turns into a 503 instead of an
unrecorded refusal. Evidence is encrypted, bound to the incident id, and kept only when
``store_content`` is not ``none``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from hegui.errors import InputError
from hegui.ops.records import IncidentRecord
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.crypto import Keyring
from hegui.store.schema import incidents, utcnow

__all__ = ["StoredIncident", "get_incident", "record_incident"]


def _context(incident_id: str) -> str:
    return f"incident:{incident_id}"


@dataclass(frozen=True, slots=True)
class StoredIncident:
    id: str
    at: datetime
    pseudonym: str
    direction: str
    stage: str
    action: str
    risk_codes: list[str]
    model: str
    evidence: str | None
    detail: dict[str, Any]
    status: str


def record_incident(
    conn: Connection,
    incident: IncidentRecord,
    *,
    keyring: Keyring,
    policy: str,
    now: datetime | None = None,
) -> str:
    """Store one incident with its audit event; returns the new incident id."""
    now = now or utcnow()
    incident_id = "inc_" + secrets.token_hex(8)
    evidence = None
    if incident.evidence is not None and policy != "none":
        evidence = keyring.encrypt(incident.evidence, _context(incident_id))
    codes = sorted(incident.risk_codes)
    conn.execute(
        insert(incidents).values(
            id=incident_id,
            at=now,
            pseudonym=incident.pseudonym,
            direction=incident.direction,
            stage=incident.stage,
            action=incident.action,
            risk_codes=codes,
            model=incident.model.replace("\x00", "")[:512],  # a client's choice: fit the column
            evidence=evidence,
            detail=dict(incident.detail),
            status="open",
        )
    )
    audit.append(
        conn,
        actor="gateway",
        action="incident.record",
        subject=f"incident:{incident_id}",
        after={
            "pseudonym": incident.pseudonym,
            "action": incident.action,
            "risk_codes": codes,
            "evidence": audit.digest(incident.evidence),
        },
        detail={
            "action": incident.action,
            "stage": incident.stage,
            "risk_codes": codes,
            "rows": seal(conn, "incidents", incident_id),
        },
        at=now,
    )
    return incident_id


def get_incident(conn: Connection, incident_id: str, *, keyring: Keyring) -> StoredIncident:
    """One incident with its evidence decrypted (tampered evidence raises StoreError)."""
    row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).one_or_none()
    if row is None:
        raise InputError(f"no incident {incident_id!r}")
    evidence = None
    if row.evidence is not None:
        evidence = keyring.decrypt_text(row.evidence, _context(incident_id))
    return StoredIncident(
        id=row.id,
        at=row.at,
        pseudonym=row.pseudonym,
        direction=row.direction,
        stage=row.stage,
        action=row.action,
        risk_codes=list(row.risk_codes),
        model=row.model,
        evidence=evidence,
        detail=dict(row.detail),
        status=row.status,
    )
