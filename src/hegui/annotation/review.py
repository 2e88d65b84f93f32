"""The reviewer's two jobs: adjudicate disagreements, and verify a random sample (Art. 8).

- **Adjudication**: a double-annotated task whose annotations differ is *disputed*; a reviewer who
  did not annotate it decides the final labels.
- **Verification**: a seeded random sample of finished tasks goes to a reviewer, who labels them
  without seeing the annotations (the work file is blind). Comparing the annotations and the
  final labels with the verifier's labels gives each annotator's accuracy and the accuracy of the
  final labels (see :mod:`.quality`).

Decisions come as JSON Lines ``{"id": task, "labels": [...], "note"?: "..."}``; a line whose
labels are ``null`` is a task not decided yet and is skipped.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from hegui.annotation.exams import Eligibility
from hegui.annotation.jsonlines import read_jsonl
from hegui.annotation.labels import normalise_labels
from hegui.annotation.projects import Project, get_project
from hegui.annotation.records import TaskOut, parse_ext_id
from hegui.annotation.rules import get_rules
from hegui.annotation.tasks import load_tasks
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import annotation_assignments, annotation_reviews, utcnow

__all__ = [
    "ROLE_OF",
    "Decision",
    "ReviewReport",
    "disputes",
    "draw_verification_sample",
    "parse_decisions",
    "record_reviews",
]

ROLE_OF = {"adjudication": "adjudicate", "verification": "verify"}  # review kind -> task role


@dataclass(frozen=True, slots=True)
class Decision:
    ext_id: str
    labels: Any
    note: str | None
    where: str


@dataclass(slots=True)
class ReviewReport:
    project: str
    kind: str
    reviewer: str
    recorded: int = 0
    unchanged: int = 0
    undecided: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_decisions(raw: bytes, project: Project, *, source: str) -> list[Decision]:
    """Decisions from JSON Lines (ids in the project's id field)."""
    out = []
    for number, obj in read_jsonl(raw, source=source):
        where = f"{source} line {number}"
        ext_id = parse_ext_id(obj.get(project.id_field), where, f"the task {project.id_field!r}")
        note = obj.get("note")
        if note is not None and not isinstance(note, str):
            raise InputError(f"{where}: 'note' must be text")
        out.append(Decision(ext_id, obj.get("labels"), note, f"{where} (id {ext_id})"))
    return out


def disputes(conn: Connection, project_id: str) -> list[TaskOut]:
    """Tasks whose annotations differ and that no reviewer has adjudicated yet."""
    return [t for t in load_tasks(conn, project_id) if t.state() == "disputed"]


def record_reviews(
    conn: Connection,
    project_id: str,
    decisions: Sequence[Decision],
    *,
    kind: str,
    reviewer: str,
    actor: str,
    now: datetime | None = None,
) -> ReviewReport:
    """Record a reviewer's labels, all or nothing: ``adjudication`` of disputed tasks, or
    ``verification`` of the tasks drawn for them by :func:`draw_verification_sample`."""
    if kind not in ROLE_OF:
        raise InputError(f"review kind must be one of {', '.join(ROLE_OF)}, not {kind!r}")
    role = ROLE_OF[kind]
    project = get_project(conn, project_id)
    now = now or utcnow()
    Eligibility(conn, project.rules_version, now=now).require(
        reviewer, role, where=f"{kind} by {reviewer!r}"
    )
    allowed = get_rules(conn, project.rules_version).labels
    tasks = {
        t.ext_id: t for t in load_tasks(conn, project.id, ext_ids=[d.ext_id for d in decisions])
    }
    report = ReviewReport(project.id, kind, reviewer)
    reviews, assignments, seen = [], [], set()
    for d in decisions:
        if d.ext_id in seen:
            raise InputError(f"{d.where}: task {d.ext_id!r} is decided twice in the file")
        seen.add(d.ext_id)
        task = tasks.get(d.ext_id)
        if task is None:
            raise InputError(f"{d.where}: no task {d.ext_id!r} in project {project.id}")
        if d.labels is None:
            report.undecided += 1
            continue
        labels = normalise_labels(d.labels, allowed, where=d.where)
        if reviewer in task.annotators():
            raise InputError(
                f"{d.where}: {reviewer!r} annotated task {d.ext_id!r} and cannot review it"
            )
        held = task.assignments.get(reviewer)
        if held is not None and held != role:
            raise InputError(
                f"{d.where}: {reviewer!r} already holds the {held!r} role in task {d.ext_id!r}"
            )
        previous = task.review(kind)
        if previous is not None:
            if previous.labels == labels and previous.reviewer == reviewer:
                report.unchanged += 1
                continue
            raise InputError(
                f"{d.where}: task {d.ext_id!r} already has a {kind} by {previous.reviewer!r}"
            )
        if kind == "adjudication" and task.state() != "disputed":
            raise InputError(
                f"{d.where}: task {d.ext_id!r} has no disagreement to adjudicate (it is {task.state()})"
            )
        if kind == "verification" and held != role:
            raise InputError(
                f"{d.where}: task {d.ext_id!r} was not drawn for verification by {reviewer!r} "
                "(hegui annotate sample draws the sample)"
            )
        reviews.append(
            {
                "task_id": task.id,
                "reviewer_id": reviewer,
                "kind": kind,
                "labels": labels,
                "note": d.note,
                "at": now,
            }
        )
        if held is None:
            assignments.append(
                {"task_id": task.id, "person_id": reviewer, "role": role, "assigned_at": now}
            )
    if reviews:
        conn.execute(insert(annotation_reviews), reviews)
    if assignments:
        conn.execute(insert(annotation_assignments), assignments)
    report.recorded = len(reviews)
    audit.append(
        conn,
        actor=actor,
        action=f"annotation.{kind}",
        subject=f"annotation_project:{project.id}",
        after=report.as_dict(),
        detail={"tasks": sorted(r["task_id"] for r in reviews)},
        at=now,
    )
    return report


def draw_verification_sample(
    conn: Connection,
    project_id: str,
    *,
    reviewer: str,
    actor: str,
    size: int | None = None,
    share: float | None = None,
    seed: int = 0,
    now: datetime | None = None,
) -> list[TaskOut]:
    """Draw ``size`` (or ``share`` of the finished) tasks for ``reviewer`` to verify blind.

    Candidates are finished tasks (with final labels) that are not verified or drawn yet and that
    the reviewer neither annotated nor adjudicated. The draw ranks candidates by
    sha256(seed:id), so it is reproducible and independent of task order.
    """
    project = get_project(conn, project_id)
    now = now or utcnow()
    if (size is None) == (share is None):
        raise InputError("give either a sample size or a share")
    Eligibility(conn, project.rules_version, now=now).require(
        reviewer, "verify", where=f"verification by {reviewer!r}"
    )
    tasks = load_tasks(conn, project.id)
    finished = [t for t in tasks if t.consensus() is not None]
    if share is not None:
        if not 0.0 < share <= 1.0:
            raise InputError(f"sample share must be above 0 and at most 1, not {share}")
        size = math.ceil(share * len(finished))
    assert size is not None
    if size <= 0:
        raise InputError("sample size must be positive")
    candidates = [
        t
        for t in finished
        if t.review("verification") is None
        and "verify" not in t.assignments.values()
        and reviewer not in t.annotators()
        and reviewer not in t.assignments
    ]
    candidates.sort(key=lambda t: hashlib.sha256(f"verify:{seed}:{t.ext_id}".encode()).digest())
    drawn = candidates[:size]
    if drawn:
        conn.execute(
            insert(annotation_assignments),
            [
                {"task_id": t.id, "person_id": reviewer, "role": "verify", "assigned_at": now}
                for t in drawn
            ],
        )
    audit.append(
        conn,
        actor=actor,
        action="annotation.sample",
        subject=f"annotation_project:{project.id}",
        after={"reviewer": reviewer, "drawn": len(drawn), "asked": size, "seed": seed},
        detail={"tasks": [t.ext_id for t in drawn]},
        at=now,
    )
    return drawn
