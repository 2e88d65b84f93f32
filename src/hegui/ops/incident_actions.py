"""Disposal of incidents (Interim Measures Art. 14) and the report for the competent authority.

Staff list incidents the gateway recorded or open one themselves, then record what was done:
stop generation, stop transmission, eliminate (erases the stored content of the usage records
linked to the incident — the incident's own evidence stays for the report), lexicon or policy
change, model rectification (tracked until closed), report to the authority. An incident can be
closed only when none of its actions is still open. :func:`incident_report` gathers the incident,
its decrypted evidence, its actions and its audit trail as one JSON-ready document.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hegui.errors import InputError
from hegui.ops.forms import required_text
from hegui.ops.incidents import get_incident, record_incident
from hegui.ops.records import IncidentRecord
from hegui.store import audit
from hegui.store.audit_records import id_ranges, seal
from hegui.store.crypto import Keyring
from hegui.store.schema import audit_events, incident_actions, incidents, usage_records, utcnow

__all__ = [
    "ACTION_KINDS",
    "add_action",
    "close_action",
    "close_incident",
    "incident_counts",
    "incident_report",
    "list_actions",
    "list_incidents",
    "open_incident",
]

# kind → (中文, English)
ACTION_KINDS: dict[str, tuple[str, str]] = {
    "stop_generation": ("停止生成", "Stop generation"),
    "stop_transmission": ("停止传输", "Stop transmission"),
    "eliminate": ("消除（删除已存内容）", "Eliminate (erase stored content)"),
    "lexicon": ("更新词库或策略", "Lexicon or policy change"),
    "rectify": ("模型优化整改", "Model rectification"),
    "report": ("向主管部门报告", "Report to the competent authority"),
}
# kinds that stay open until someone closes them (the rest are done when recorded)
_TRACKED = ("rectify", "report", "lexicon")


def list_incidents(
    conn: Connection, *, state: str = "open", limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """A page of incidents (no evidence): ``open``, ``closed`` or ``all``, newest first."""
    c = incidents.c
    stmt = select(c.id, c.at, c.direction, c.stage, c.action, c.risk_codes, c.model, c.status)
    if state in ("open", "closed"):
        stmt = stmt.where(c.status == state)
    elif state != "all":
        raise InputError(f"unknown list {state!r} (open, closed, all)")
    stmt = stmt.order_by(c.at.desc(), c.id).limit(max(1, min(limit, 500))).offset(max(0, offset))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def incident_counts(conn: Connection) -> dict[str, int]:
    c = incidents.c
    open_n, total = conn.execute(
        select(func.count().filter(c.status == "open"), func.count()).select_from(incidents)
    ).one()
    return {"open": open_n, "total": total}


def open_incident(
    conn: Connection,
    *,
    risk_codes: list[str],
    description: str,
    keyring: Keyring,
    actor: str,
    model: str = "",
    now: datetime | None = None,
) -> str:
    """An incident found by staff (a report, an inspection) rather than by the gateway."""
    from hegui import taxonomy

    codes = sorted({c.strip() for c in risk_codes if c.strip()})
    if not codes:
        raise InputError("name at least one risk code")
    for code in codes:
        try:
            taxonomy.get(code)
        except taxonomy.UnknownRiskCodeError:
            raise InputError(f"unknown risk code {code!r}") from None
    text = required_text(description, "description", 5000)
    record = IncidentRecord(
        pseudonym="staff",
        direction="output",
        stage="report",
        action="refuse",
        risk_codes=codes,
        model=model[:200],
        evidence=text,
        detail={"opened_by": actor},
    )
    return record_incident(conn, record, keyring=keyring, policy="violations", now=now)


def list_actions(conn: Connection, incident_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(incident_actions)
        .where(incident_actions.c.incident_id == incident_id)
        .order_by(incident_actions.c.id)
    )
    return [dict(r._mapping) for r in rows]


def add_action(
    conn: Connection,
    incident_id: str,
    kind: str,
    note: str,
    *,
    actor: str,
    now: datetime | None = None,
) -> int:
    """Record one disposal action; ``eliminate`` erases the linked stored content right away."""
    if kind not in ACTION_KINDS:
        raise InputError(f"unknown action {kind!r} (choose {', '.join(ACTION_KINDS)})")
    text = required_text(note, "note", 5000)
    status = conn.execute(select(incidents.c.status).where(incidents.c.id == incident_id)).scalar()
    if status is None:
        raise InputError(f"no incident {incident_id!r}")
    if status != "open":
        raise InputError(f"incident {incident_id} is closed")
    now = now or utcnow()
    detail: dict[str, Any] = {"kind": kind}
    if kind == "eliminate":
        u = usage_records.c
        erased = list(
            conn.execute(
                select(u.id)
                .where(u.incident_id == incident_id, u.content.is_not(None))
                .order_by(u.id)
            ).scalars()
        )
        conn.execute(update(usage_records).where(u.id.in_(erased)).values(content=None))
        detail["usage_content_erased_ids"] = id_ranges(erased)
        text = f"{text} ({len(erased)} stored records erased)"
    action_id = conn.execute(
        insert(incident_actions)
        .values(
            incident_id=incident_id,
            kind=kind,
            note=text,
            status="open" if kind in _TRACKED else "done",
            actor=actor[:100],
            at=now,
            closed_at=None if kind in _TRACKED else now,
        )
        .returning(incident_actions.c.id)
    ).scalar_one()
    audit.append(
        conn,
        actor=actor,
        action="incident.eliminate" if kind == "eliminate" else "incident.action",
        subject=f"incident:{incident_id}",
        after={"kind": kind, "note": text},
        detail={**detail, "action_id": action_id, "rows": {}},
        at=now,
    )
    return int(action_id)


def close_action(
    conn: Connection, action_id: int, note: str, *, actor: str, now: datetime | None = None
) -> None:
    """Close a tracked action (rectification done, report filed), saying how."""
    text = required_text(note, "note", 5000)
    row = conn.execute(
        select(incident_actions).where(incident_actions.c.id == action_id)
    ).one_or_none()
    if row is None:
        raise InputError(f"no action {action_id}")
    if row.status != "open":
        raise InputError(f"action {action_id} is already closed")
    now = now or utcnow()
    conn.execute(
        update(incident_actions)
        .where(incident_actions.c.id == action_id)
        .values(status="done", closed_at=now, note=f"{row.note}\n— {text}")
    )
    audit.append(
        conn,
        actor=actor,
        action="incident.action_close",
        subject=f"incident:{row.incident_id}",
        after={"action_id": action_id, "note": text},
        detail={"action_id": action_id, "rows": {}},
        at=now,
    )


def close_incident(
    conn: Connection, incident_id: str, *, actor: str, now: datetime | None = None
) -> None:
    """Close an incident whose every action is done (rectification tracked to closure)."""
    status = conn.execute(select(incidents.c.status).where(incidents.c.id == incident_id)).scalar()
    if status is None:
        raise InputError(f"no incident {incident_id!r}")
    if status != "open":
        raise InputError(f"incident {incident_id} is already closed")
    actions = list_actions(conn, incident_id)
    if not actions:
        raise InputError("record at least one disposal action before closing")
    still = [a["id"] for a in actions if a["status"] == "open"]
    if still:
        raise InputError(f"actions still open: {', '.join(map(str, still))}")
    now = now or utcnow()
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(status="closed"))
    audit.append(
        conn,
        actor=actor,
        action="incident.close",
        subject=f"incident:{incident_id}",
        before={"status": "open"},
        after={"status": "closed"},
        detail={"rows": seal(conn, "incidents", incident_id)},
        at=now,
    )


def incident_report(conn: Connection, incident_id: str, *, keyring: Keyring) -> dict[str, Any]:
    """The report for the competent authority: incident, evidence, actions, audit trail."""
    inc = get_incident(conn, incident_id, keyring=keyring)
    trail = conn.execute(
        select(audit_events)
        .where(audit_events.c.subject == f"incident:{incident_id}")
        .order_by(audit_events.c.seq)
    )
    return {
        "incident": {
            "id": inc.id,
            "at": inc.at.isoformat(),
            "direction": inc.direction,
            "stage": inc.stage,
            "action": inc.action,
            "risk_codes": inc.risk_codes,
            "model": inc.model,
            "status": inc.status,
            "detail": inc.detail,
        },
        "evidence": inc.evidence,
        "actions": [
            {k: v.isoformat() if isinstance(v, datetime) else v for k, v in a.items()}
            for a in list_actions(conn, incident_id)
        ],
        "audit": [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "hash": e.hash,
                "detail": json.loads(e.detail),
            }
            for e in trail
        ],
    }
