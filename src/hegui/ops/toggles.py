"""Withdrawing and restoring a staff-managed row (safe answers, lexicon terms), audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Table, select, update

from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import utcnow

__all__ = ["set_row_active"]


def set_row_active(
    conn: Connection,
    table: Table,
    row_id: int,
    active: bool,
    *,
    kind: str,
    subject: str,
    missing: str,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Set ``active`` on row ``row_id`` of ``table`` and audit it as ``{kind}.enable|disable``
    on ``subject``; ``missing`` is the error when there is no such row."""
    found = conn.execute(select(table.c.active).where(table.c.id == row_id)).scalar()
    if found is None:
        raise InputError(missing)
    now = now or utcnow()
    conn.execute(update(table).where(table.c.id == row_id).values(active=active, updated_at=now))
    audit.append(
        conn,
        actor=actor,
        action=f"{kind}.enable" if active else f"{kind}.disable",
        subject=subject,
        before={"active": bool(found)},
        after={"active": active},
        at=now,
    )
