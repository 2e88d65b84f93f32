"""Handing out tasks: eligible people only, two different people on double tasks, balanced load.

Assignment is what makes annotation blind and the roles separate: each person's work file holds
only their own tasks and never anyone else's labels, and a person who annotates a task can never
be its adjudicator or verifier (one row per task and person, see ``annotation_assignments``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert

from hegui.annotation.exams import Eligibility
from hegui.annotation.projects import get_project
from hegui.annotation.records import TaskOut
from hegui.annotation.tasks import load_tasks
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import annotation_assignments, utcnow

__all__ = ["AssignReport", "assign_tasks", "unassign", "work_for"]


@dataclass(slots=True)
class AssignReport:
    project: str
    assigned: dict[str, int] = field(default_factory=dict)
    tasks: int = 0
    short: list[str] = field(default_factory=list)  # tasks that still lack enough people

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def assign_tasks(
    conn: Connection,
    project_id: str,
    people: Sequence[str],
    *,
    actor: str,
    now: datetime | None = None,
) -> AssignReport:
    """Give every task that lacks annotators enough of ``people`` (2 on double tasks, else 1).

    Every person must be eligible (active annotator who passed the exam of the project's rules
    version); the least loaded free person is picked first, ties in the order given.
    """
    project = get_project(conn, project_id)
    now = now or utcnow()
    if not people:
        raise InputError("name the annotators to assign (at least one)")
    if len(set(people)) != len(people):
        raise InputError("an annotator is named twice")
    eligible = Eligibility(conn, project.rules_version, now=now)
    for person in people:
        eligible.require(person, "annotate", where=f"project {project.id}")
    tasks = load_tasks(conn, project.id)
    if len(people) < 2 and any(t.double_annotation for t in tasks):
        raise InputError(
            f"project {project.id} has double-annotated tasks: name at least two annotators"
        )
    load: Counter[str] = Counter(
        {p: sum(t.assignments.get(p) == "annotate" for t in tasks) for p in people}
    )
    order = {p: i for i, p in enumerate(people)}
    report = AssignReport(project.id, {p: 0 for p in people})
    rows = []
    for task in tasks:
        have = task.annotators() | {p for p, r in task.assignments.items() if r == "annotate"}
        missing = task.required() - len(have)
        if missing <= 0:
            continue
        free = [p for p in people if p not in have and p not in task.assignments]
        free.sort(key=lambda p: (load[p], order[p]))
        chosen = free[:missing]
        if len(chosen) < missing:
            report.short.append(task.ext_id)
        for person in chosen:
            rows.append(
                {"task_id": task.id, "person_id": person, "role": "annotate", "assigned_at": now}
            )
            load[person] += 1
            report.assigned[person] += 1
        report.tasks += bool(chosen)
    if rows:
        conn.execute(insert(annotation_assignments), rows)
    audit.append(
        conn,
        actor=actor,
        action="annotation.assign",
        subject=f"annotation_project:{project.id}",
        after=report.as_dict(),
        at=now,
    )
    return report


def unassign(
    conn: Connection, project_id: str, person: str, *, actor: str, now: datetime | None = None
) -> int:
    """Take back a person's annotation tasks they have not done yet (e.g. after a suspension)."""
    project = get_project(conn, project_id)
    open_ids = [
        t.id
        for t in load_tasks(conn, project.id)
        if t.assignments.get(person) == "annotate" and person not in t.annotators()
    ]
    for start in range(0, len(open_ids), 500):
        conn.execute(
            delete(annotation_assignments).where(
                annotation_assignments.c.person_id == person,
                annotation_assignments.c.task_id.in_(open_ids[start : start + 500]),
            )
        )
    audit.append(
        conn,
        actor=actor,
        action="annotation.unassign",
        subject=f"annotation_project:{project.id}",
        detail={"person": person, "tasks": len(open_ids)},
        at=now or utcnow(),
    )
    return len(open_ids)


def work_for(conn: Connection, project_id: str, person: str) -> list[TaskOut]:
    """The tasks ``person`` is assigned to annotate and has not annotated yet."""
    return [
        t
        for t in load_tasks(conn, project_id)
        if t.assignments.get(person) == "annotate" and person not in t.annotators()
    ]
