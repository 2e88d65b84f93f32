"""The annotator roster: people, their roles, their status, and their training records.

TC260-003 §5.3 asks providers to train annotators in-house (task rules, tools, quality checks,
data security), to examine and certify them, and to suspend or revoke them when needed; GB/T 45674
asks for the records. Roles are ``annotator`` (labels tasks) and ``reviewer`` (adjudicates and
verifies); a person may hold both, but never two roles in one task (see :mod:`.assign`).
Only an id and a display name are kept: no contact data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from hegui.annotation.rules import get_rules
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import annotator_trainings, annotators, utcnow

__all__ = [
    "ROLES",
    "STATUSES",
    "Annotator",
    "Training",
    "add_annotator",
    "get_annotator",
    "list_annotators",
    "parse_roles",
    "record_training",
    "set_status",
    "training_hours",
    "trainings",
]

ROLES = ("annotator", "reviewer")
STATUSES = ("active", "suspended", "revoked")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Annotator:
    id: str
    name: str
    roles: tuple[str, ...]
    status: str
    status_reason: str | None
    created_at: datetime
    updated_at: datetime

    def state(self) -> dict[str, Any]:
        out = asdict(self)
        out["roles"] = list(self.roles)
        out["created_at"] = self.created_at.isoformat()
        out["updated_at"] = self.updated_at.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Training:
    id: int
    annotator_id: str
    rules_version: str | None
    topic: str
    hours: float
    trainer: str
    held_on: str
    recorded_at: datetime


def parse_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Validate roles (annotator, reviewer); at least one."""
    out = sorted({r.strip() for r in roles if r.strip()})
    if not out:
        raise InputError(f"give at least one role ({' or '.join(ROLES)})")
    for role in out:
        if role not in ROLES:
            raise InputError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    return tuple(out)


def _row(m: Any) -> Annotator:
    return Annotator(
        id=m["id"],
        name=m["name"],
        roles=tuple(m["roles"].split(",")),
        status=m["status"],
        status_reason=m["status_reason"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def add_annotator(
    conn: Connection,
    annotator_id: str,
    name: str,
    roles: Iterable[str] = ("annotator",),
    *,
    actor: str,
    now: datetime | None = None,
) -> Annotator:
    """Put a person on the roster (active). Ids are short handles, not e-mail addresses."""
    annotator_id = annotator_id.strip()
    if not _ID.match(annotator_id):
        raise InputError(
            f"annotator id {annotator_id!r}: use 1–64 letters, digits, '.', '_', '-' or '@'"
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("annotator name must be 1–200 characters")
    role_set = parse_roles(roles)
    if conn.execute(select(annotators.c.id).where(annotators.c.id == annotator_id)).first():
        raise InputError(f"annotator {annotator_id!r} is already on the roster")
    now = now or utcnow()
    values = {
        "id": annotator_id,
        "name": name,
        "roles": ",".join(role_set),
        "status": "active",
        "status_reason": None,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(insert(annotators).values(**values))
    person = _row(values)
    audit.append(
        conn,
        actor=actor,
        action="annotation.annotator.add",
        subject=f"annotator:{annotator_id}",
        after=person.state(),
        at=now,
    )
    return person


def get_annotator(conn: Connection, annotator_id: str) -> Annotator:
    """The person ``annotator_id``; an :class:`InputError` naming the id when not on the roster."""
    row = conn.execute(select(annotators).where(annotators.c.id == annotator_id)).one_or_none()
    if row is None:
        raise InputError(f"{annotator_id!r} is not on the annotator roster")
    return _row(row._mapping)


def list_annotators(conn: Connection) -> list[Annotator]:
    """The whole roster, by id."""
    return [_row(r._mapping) for r in conn.execute(select(annotators).order_by(annotators.c.id))]


def set_status(
    conn: Connection,
    annotator_id: str,
    status: str,
    *,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> Annotator:
    """Suspend, reinstate (active) or revoke a person; revoked is final. Audited with the reason."""
    if status not in STATUSES:
        raise InputError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if not reason.strip():
        raise InputError("a status change needs a reason")
    before = get_annotator(conn, annotator_id)
    if before.status == "revoked":
        raise InputError(f"annotator {annotator_id!r} was revoked; add them again under a new id")
    now = now or utcnow()
    conn.execute(
        update(annotators)
        .where(annotators.c.id == annotator_id)
        .values(status=status, status_reason=reason.strip(), updated_at=now)
    )
    after = get_annotator(conn, annotator_id)
    audit.append(
        conn,
        actor=actor,
        action=f"annotation.annotator.{status}",
        subject=f"annotator:{annotator_id}",
        before=before.state(),
        after=after.state(),
        detail={"reason": reason.strip()},
        at=now,
    )
    return after


def record_training(
    conn: Connection,
    annotator_id: str,
    *,
    topic: str,
    hours: float,
    trainer: str,
    held_on: str,
    actor: str,
    rules_version: str | None = None,
    now: datetime | None = None,
) -> Training:
    """Record one training session a person attended (on a rules version, or general)."""
    get_annotator(conn, annotator_id)
    if rules_version is not None:
        get_rules(conn, rules_version)
    topic, trainer = topic.strip(), trainer.strip()
    if not topic or len(topic) > 200:
        raise InputError("training topic must be 1–200 characters")
    if not trainer or len(trainer) > 200:
        raise InputError("trainer must be 1–200 characters")
    if not 0 < hours <= 24:
        raise InputError(f"training hours must be more than 0 and at most 24, not {hours}")
    try:
        held = date.fromisoformat(held_on).isoformat()
    except ValueError:
        raise InputError(f"training date {held_on!r} is not YYYY-MM-DD") from None
    now = now or utcnow()
    values = {
        "annotator_id": annotator_id,
        "rules_version": rules_version,
        "topic": topic,
        "hours": float(hours),
        "trainer": trainer,
        "held_on": held,
        "recorded_at": now,
    }
    key = conn.execute(insert(annotator_trainings).values(**values)).inserted_primary_key
    assert key is not None
    audit.append(
        conn,
        actor=actor,
        action="annotation.annotator.train",
        subject=f"annotator:{annotator_id}",
        after={**values, "recorded_at": now.isoformat()},
        at=now,
    )
    return Training(
        int(key[0]), annotator_id, rules_version, topic, float(hours), trainer, held, now
    )


def trainings(conn: Connection, annotator_id: str | None = None) -> list[Training]:
    """Training records, oldest first (one person's, or everyone's)."""
    query = select(annotator_trainings).order_by(annotator_trainings.c.id)
    if annotator_id is not None:
        query = query.where(annotator_trainings.c.annotator_id == annotator_id)
    return [Training(**r._mapping) for r in conn.execute(query)]


def training_hours(conn: Connection) -> dict[str, float]:
    """Total training hours per person."""
    rows = conn.execute(
        select(annotator_trainings.c.annotator_id, func.sum(annotator_trainings.c.hours)).group_by(
            annotator_trainings.c.annotator_id
        )
    )
    return {r[0]: float(r[1]) for r in rows}
