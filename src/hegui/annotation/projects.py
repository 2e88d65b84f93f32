"""Annotation projects: a batch of tasks under one rules version, with its double-annotation share.

A project pins the rules version current when it is created (each of its tasks records it too),
says which share of tasks two annotators label independently, and names the fields of its task
records (id, text, source) and the Label Studio control (``from_name``/``to_name``) its
annotations use.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from hegui.annotation.rules import check_version_name, current_rules, get_rules
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import annotation_projects, utcnow

__all__ = ["Project", "create_project", "get_project", "list_projects"]


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str
    rules_version: str
    double_share: float
    seed: int
    id_field: str
    text_field: str
    source_field: str
    from_name: str
    to_name: str
    created_at: datetime
    created_by: str

    def state(self) -> dict[str, Any]:
        out = asdict(self)
        out["created_at"] = self.created_at.isoformat()
        return out


def _field_name(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > 100:
        raise InputError(f"{what} must be 1–100 characters")
    return value


def create_project(
    conn: Connection,
    project_id: str,
    *,
    actor: str,
    name: str | None = None,
    rules_version: str | None = None,
    double_share: float = 0.2,
    seed: int = 0,
    id_field: str = "id",
    text_field: str = "text",
    source_field: str = "source_id",
    from_name: str = "risk",
    to_name: str = "text",
    now: datetime | None = None,
) -> Project:
    """Create a project on ``rules_version`` (default: the current security rules)."""
    project_id = check_version_name(project_id, "project id")
    if not 0.0 <= double_share <= 1.0:
        raise InputError(f"double-annotation share must be between 0 and 1, not {double_share}")
    if rules_version is None:
        rules = current_rules(conn, "security")
        if rules is None:
            raise InputError("no security rules published yet (hegui annotate rules publish)")
    else:
        rules = get_rules(conn, rules_version)
    if conn.execute(
        select(annotation_projects.c.id).where(annotation_projects.c.id == project_id)
    ).first():
        raise InputError(f"project {project_id!r} already exists")
    now = now or utcnow()
    project = Project(
        id=project_id,
        name=(name or project_id).strip()[:200] or project_id,
        rules_version=rules.version,
        double_share=float(double_share),
        seed=int(seed),
        id_field=_field_name(id_field, "id field"),
        text_field=_field_name(text_field, "text field"),
        source_field=_field_name(source_field, "source field"),
        from_name=_field_name(from_name, "Label Studio from_name"),
        to_name=_field_name(to_name, "Label Studio to_name"),
        created_at=now,
        created_by=actor,
    )
    conn.execute(insert(annotation_projects).values(**asdict(project)))
    audit.append(
        conn,
        actor=actor,
        action="annotation.project.create",
        subject=f"annotation_project:{project_id}",
        after=project.state(),
        at=now,
    )
    return project


def get_project(conn: Connection, project_id: str) -> Project:
    """The project ``project_id``; an :class:`InputError` naming it when unknown."""
    row = conn.execute(
        select(annotation_projects).where(annotation_projects.c.id == project_id)
    ).one_or_none()
    if row is None:
        raise InputError(f"no annotation project {project_id!r} (see: hegui annotate project list)")
    return Project(**row._mapping)


def list_projects(conn: Connection) -> list[Project]:
    """Every project, oldest first."""
    rows = conn.execute(
        select(annotation_projects).order_by(
            annotation_projects.c.created_at, annotation_projects.c.id
        )
    )
    return [Project(**r._mapping) for r in rows]
