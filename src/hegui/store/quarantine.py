"""Usage records the database refused, kept in ``usage_quarantine`` (never lost), read back."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, select

from hegui.store.schema import usage_quarantine

__all__ = ["list_quarantine"]


def list_quarantine(conn: Connection, *, limit: int = 100) -> list[dict[str, Any]]:
    """Quarantined usage records, newest first: id, record id, time, reason and the journaled
    fields (content stays encrypted and is not returned)."""
    query = select(usage_quarantine).order_by(usage_quarantine.c.id.desc()).limit(limit)
    out = []
    for row in conn.execute(query):
        out.append(
            {
                "id": row.id,
                "record_id": row.record_id,
                "at": row.at,
                "reason": row.reason,
                "record": orjson.loads(row.meta),
                "has_content": row.content is not None,
            }
        )
    return out
