"""Read-only views for the console: dashboard figures, people and their sanctions, audit log.

Kept apart from the workflows because they only read; each query is bounded (a time window or a
page) so pages stay fast with hundreds of thousands of records.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Text, cast, func, or_, select

from hegui.ops.complaints import complaint_counts
from hegui.ops.incident_actions import incident_counts
from hegui.ops.pi_requests import request_counts
from hegui.store.audit import verify
from hegui.store.schema import accounts, audit_events, sanction_events, usage_records, utcnow

__all__ = ["audit_page", "dashboard", "find_accounts", "sanction_history"]

_FLAGGED = ("refuse", "block", "failed", "flag", "redact", "review")


def dashboard(
    conn: Connection, *, tz: str, days: int = 14, now: datetime | None = None
) -> dict[str, Any]:
    """Per-day decisions and risk codes over the last ``days`` local days, plus open work."""
    now = now or utcnow()
    zone = ZoneInfo(tz)
    first = (now.astimezone(zone) - timedelta(days=days - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    day_list = [(first + timedelta(days=i)).date().isoformat() for i in range(days)]
    u = usage_records.c
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    # One range query per local day: each is an index range scan with no per-row function, the
    # same on SQLite and PostgreSQL (measured in benchmarks/console.py).
    for i, day in enumerate(day_list):
        start = first + timedelta(days=i)
        end = first + timedelta(days=i + 1)
        for decision, n in conn.execute(
            select(u.decision, func.count()).where(u.at >= start, u.at < end).group_by(u.decision)
        ):
            totals[day][decision] += n
    codes: dict[str, Counter[str]] = defaultdict(Counter)
    # Risk codes are a JSON list per record: grouped by the list's text in SQL (a handful of
    # distinct lists per day), expanded here.
    listed = cast(u.risk_codes, Text)
    for i, day in enumerate(day_list):
        start = first + timedelta(days=i)
        end = first + timedelta(days=i + 1)
        for text, n in conn.execute(
            select(listed, func.count())
            .where(u.at >= start, u.at < end, u.decision.in_(_FLAGGED))
            .group_by(listed)
        ):
            for code in json.loads(text or "[]"):
                codes[day][code] += n
    all_requests = sum(sum(c.values()) for c in totals.values())
    refused = sum(c["refuse"] + c["block"] for c in totals.values())
    return {
        "days": day_list,
        "decisions": {d: dict(totals.get(d, {})) for d in day_list},
        "risk_codes": {d: dict(codes.get(d, {})) for d in day_list},
        "requests": all_requests,
        "refusal_rate": refused / all_requests if all_requests else 0.0,
        "complaints": complaint_counts(conn, now),
        "pi_requests": request_counts(conn, now),
        "incidents": incident_counts(conn),
    }


def find_accounts(conn: Connection, query: str = "", limit: int = 50) -> list[dict[str, Any]]:
    """Accounts whose id starts with, or name contains, ``query`` (all when empty)."""
    c = accounts.c
    stmt = select(c.id, c.name, c.age_band, c.sanction, c.sanction_until, c.created_at)
    query = query.strip()[:100]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(
            or_(c.id.like(escaped + "%", escape="\\"), c.name.like(f"%{escaped}%", escape="\\"))
        )
    rows = conn.execute(stmt.order_by(c.created_at.desc(), c.id).limit(max(1, min(limit, 500))))
    return [dict(r._mapping) for r in rows]


def sanction_history(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    s = sanction_events.c
    rows = conn.execute(
        select(s.at, s.actor, s.from_state, s.to_state, s.reason, s.until)
        .where(s.account_id == account_id)
        .order_by(s.id.desc())
    )
    return [dict(r._mapping) for r in rows]


def audit_page(
    conn: Connection, *, limit: int = 50, before: int | None = None, check: bool = False
) -> dict[str, Any]:
    """The newest events (or those before ``before``), and, with ``check``, the chain's state."""
    stmt = select(audit_events).order_by(audit_events.c.seq.desc())
    if before is not None:
        stmt = stmt.where(audit_events.c.seq < before)
    events = [dict(r._mapping) for r in conn.execute(stmt.limit(max(1, min(limit, 500))))]
    return {"events": events, "verify": verify(conn).as_dict() if check else None}
