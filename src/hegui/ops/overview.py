"""Read-only views for the console: dashboard figures, people and their sanctions, audit log.

Kept apart from the workflows because they only read; each query is bounded (a time window or a
page) so pages stay fast with hundreds of thousands of records.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
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
    hour = _hour(conn, u.at)
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    codes: dict[str, Counter[str]] = defaultdict(Counter)
    # One pass over the window, counted per UTC hour, decision and risk-code list (a JSON list
    # per record, grouped by its text: a handful of distinct lists per hour) in SQL, then folded
    # into local days here (zones with half-hour offsets fold to the hour they start in).
    listed = cast(u.risk_codes, Text)
    for stamp, decision, text, n in conn.execute(
        select(hour, u.decision, listed, func.count())
        .where(u.at >= first)
        .group_by(hour, u.decision, listed)
    ):
        day = _local_day(stamp, zone)
        totals[day][decision] += n
        if decision in _FLAGGED:
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


def _hour(conn: Connection, column: Any) -> Any:
    """The UTC hour of a stored time, as the database can group by it cheaply."""
    if conn.dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.substr(column, 1, 13)  # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)


def _local_day(stamp: Any, zone: ZoneInfo) -> str:
    if isinstance(stamp, datetime):
        moment = stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp
    else:
        moment = datetime.fromisoformat(str(stamp) + ":00:00").replace(tzinfo=UTC)
    return moment.astimezone(zone).date().isoformat()


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
