"""Complaints and reports (Interim Measures Art. 15): file, track, assign, answer, escalate.

A member of the public files with a category, the text, an optional reference (the answer's id or
the label's ProduceID when reporting generated content) and an optional contact; they get back a
tracking number and a deadline counted in working days (``console.complaint_working_days``).
Text and contact are stored encrypted. Staff assign, answer (which closes the item) and escalate;
items past their deadline are flagged overdue whenever they are read (:func:`is_overdue`) and
escalated by :func:`escalate_overdue`. Every write has its audit event in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, select, update

from hegui.config import ConsoleSettings
from hegui.errors import InputError
from hegui.ops.deadlines import due_after, parse_holidays
from hegui.ops.forms import hash_tracking, new_tracking, optional_text, required_text
from hegui.store import audit
from hegui.store.crypto import Keyring
from hegui.store.schema import complaints, utcnow

__all__ = [
    "CATEGORIES",
    "Complaint",
    "PublicStatus",
    "answer_complaint",
    "assign_complaint",
    "complaint_counts",
    "escalate_overdue",
    "file_complaint",
    "get_complaint",
    "is_overdue",
    "list_complaints",
    "public_status",
]

# category → (中文, English)
CATEGORIES: dict[str, tuple[str, str]] = {
    "generated_content": ("举报生成内容", "Report generated content"),
    "service": ("服务投诉", "Complaint about the service"),
    "personal_info": ("个人信息保护", "Personal information"),
    "minors": ("未成年人保护", "Protection of minors"),
    "other": ("其他", "Other"),
}
OPEN_STATES = ("open", "assigned")
_CONTEXT = "complaint"


@dataclass(frozen=True, slots=True)
class Complaint:
    id: str
    category: str
    reference: str | None
    content: str
    contact: str | None
    account_id: str | None
    status: str
    assignee: str | None
    answer: str | None
    filed_at: datetime
    due_at: datetime
    answered_at: datetime | None
    escalated_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.status in OPEN_STATES and now > self.due_at


@dataclass(frozen=True, slots=True)
class PublicStatus:
    """What the holder of a tracking number sees: no internal ids, no assignee."""

    category: str
    status: str
    filed_at: datetime
    due_at: datetime
    answer: str | None
    answered_at: datetime | None


def _ctx(complaint_id: str) -> str:
    return f"{_CONTEXT}:{complaint_id}"


def file_complaint(
    conn: Connection,
    *,
    category: str,
    content: str,
    keyring: Keyring,
    settings: ConsoleSettings,
    reference: str | None = None,
    contact: str | None = None,
    account_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Complaint, str]:
    """Store one complaint; returns it with its tracking number (shown once, stored hashed)."""
    if category not in CATEGORIES:
        raise InputError(f"unknown category {category!r} (choose {', '.join(CATEGORIES)})")
    limit = settings.max_field_chars
    text = required_text(content, "content", limit)
    ref = optional_text(reference, "reference", 200)
    reach = optional_text(contact, "contact", 200)
    now = now or utcnow()
    due = due_after(
        now, settings.complaint_working_days, settings.timezone, parse_holidays(settings.holidays)
    )
    complaint_id = "cmp_" + secrets.token_hex(8)
    tracking = new_tracking("C")
    conn.execute(
        insert(complaints).values(
            id=complaint_id,
            tracking_hash=hash_tracking(tracking),
            category=category,
            reference=ref,
            content=keyring.encrypt(text, _ctx(complaint_id)),
            contact=None if reach is None else keyring.encrypt(reach, _ctx(complaint_id)),
            account_id=account_id,
            status="open",
            filed_at=now,
            due_at=due,
        )
    )
    audit.append(
        conn,
        actor="public",
        action="complaint.file",
        subject=f"complaint:{complaint_id}",
        after={"category": category, "content": text, "contact": reach, "reference": ref},
        detail={"category": category, "due_at": due.isoformat()},
        at=now,
    )
    return get_complaint(conn, complaint_id, keyring=keyring), tracking


def _from_row(row: Row[Any], keyring: Keyring) -> Complaint:
    ctx = _ctx(row.id)
    return Complaint(
        id=row.id,
        category=row.category,
        reference=row.reference,
        content=keyring.decrypt_text(row.content, ctx),
        contact=None if row.contact is None else keyring.decrypt_text(row.contact, ctx),
        account_id=row.account_id,
        status=row.status,
        assignee=row.assignee,
        answer=row.answer,
        filed_at=row.filed_at,
        due_at=row.due_at,
        answered_at=row.answered_at,
        escalated_at=row.escalated_at,
    )


def get_complaint(conn: Connection, complaint_id: str, *, keyring: Keyring) -> Complaint:
    row = conn.execute(select(complaints).where(complaints.c.id == complaint_id)).one_or_none()
    if row is None:
        raise InputError(f"no complaint {complaint_id!r}")
    return _from_row(row, keyring)


def public_status(conn: Connection, tracking: str) -> PublicStatus | None:
    """The status behind a tracking number, or None (same answer for malformed and unknown)."""
    row = conn.execute(
        select(complaints).where(complaints.c.tracking_hash == hash_tracking(tracking))
    ).one_or_none()
    if row is None:
        return None
    return PublicStatus(
        category=row.category,
        status=row.status,
        filed_at=row.filed_at,
        due_at=row.due_at,
        answer=row.answer,
        answered_at=row.answered_at,
    )


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status in OPEN_STATES and now > due_at


def list_complaints(
    conn: Connection,
    *,
    keyring: Keyring,
    now: datetime | None = None,
    state: str = "open",
    limit: int = 50,
    offset: int = 0,
) -> list[Complaint]:
    """A page of the queue: ``open`` (earliest deadline first), ``overdue``, ``closed`` or ``all``."""
    now = now or utcnow()
    c = complaints.c
    stmt = select(complaints)
    if state == "open":
        stmt = stmt.where(c.status.in_(OPEN_STATES)).order_by(c.due_at, c.id)
    elif state == "overdue":
        stmt = stmt.where(c.status.in_(OPEN_STATES), c.due_at < now).order_by(c.due_at, c.id)
    elif state == "closed":
        stmt = stmt.where(c.status == "answered").order_by(c.answered_at.desc(), c.id)
    elif state == "all":
        stmt = stmt.order_by(c.filed_at.desc(), c.id)
    else:
        raise InputError(f"unknown queue {state!r} (open, overdue, closed, all)")
    rows = conn.execute(stmt.limit(max(1, min(limit, 500))).offset(max(0, offset)))
    return [_from_row(r, keyring) for r in rows]


def complaint_counts(conn: Connection, now: datetime | None = None) -> dict[str, int]:
    """Open, overdue and answered counts (the dashboard's and the queue's headline)."""
    now = now or utcnow()
    c = complaints.c
    open_n, overdue_n, answered_n = conn.execute(
        select(
            func.count().filter(c.status.in_(OPEN_STATES)),
            func.count().filter(and_(c.status.in_(OPEN_STATES), c.due_at < now)),
            func.count().filter(c.status == "answered"),
        ).select_from(complaints)
    ).one()
    return {"open": open_n, "overdue": overdue_n, "answered": answered_n}


def _open_complaint(conn: Connection, complaint_id: str) -> Row[Any]:
    row = conn.execute(select(complaints).where(complaints.c.id == complaint_id)).one_or_none()
    if row is None:
        raise InputError(f"no complaint {complaint_id!r}")
    if row.status not in OPEN_STATES:
        raise InputError(f"complaint {complaint_id} is already answered")
    return row


def assign_complaint(
    conn: Connection, complaint_id: str, assignee: str, *, actor: str, now: datetime | None = None
) -> None:
    """Give an open complaint to a member of staff (re-assigning is allowed)."""
    assignee = required_text(assignee, "assignee", 64)
    row = _open_complaint(conn, complaint_id)
    now = now or utcnow()
    conn.execute(
        update(complaints)
        .where(complaints.c.id == complaint_id)
        .values(assignee=assignee, status="assigned")
    )
    audit.append(
        conn,
        actor=actor,
        action="complaint.assign",
        subject=f"complaint:{complaint_id}",
        before={"assignee": row.assignee, "status": row.status},
        after={"assignee": assignee, "status": "assigned"},
        detail={"assignee": assignee},
        at=now,
    )


def answer_complaint(
    conn: Connection,
    complaint_id: str,
    answer: str,
    *,
    actor: str,
    settings: ConsoleSettings,
    now: datetime | None = None,
) -> None:
    """Record the answer the complainant will see on the status page; closes the complaint."""
    text = required_text(answer, "answer", settings.max_field_chars)
    row = _open_complaint(conn, complaint_id)
    now = now or utcnow()
    conn.execute(
        update(complaints)
        .where(complaints.c.id == complaint_id, complaints.c.status.in_(OPEN_STATES))
        .values(answer=text, status="answered", answered_at=now)
    )
    audit.append(
        conn,
        actor=actor,
        action="complaint.answer",
        subject=f"complaint:{complaint_id}",
        before={"status": row.status},
        after={"status": "answered", "answer": text},
        detail={"late": now > row.due_at},
        at=now,
    )


def escalate_overdue(conn: Connection, *, actor: str, now: datetime | None = None) -> list[str]:
    """Mark every open complaint past its deadline as escalated (once); returns their ids."""
    now = now or utcnow()
    c = complaints.c
    due = list(
        conn.execute(
            select(c.id).where(c.status.in_(OPEN_STATES), c.due_at < now, c.escalated_at.is_(None))
        ).scalars()
    )
    for complaint_id in due:
        conn.execute(update(complaints).where(c.id == complaint_id).values(escalated_at=now))
        audit.append(
            conn,
            actor=actor,
            action="complaint.escalate",
            subject=f"complaint:{complaint_id}",
            detail={"reason": "past its deadline"},
            at=now,
        )
    return due
