"""Tasks and annotations in and out of the store: validate everything, then write in one go.

:func:`import_tasks` takes parsed records (any format) and either writes all of them or raises an
:class:`InputError` naming the first bad item, with nothing written: unknown labels, an annotator
who has not passed the exam of the task's rules version, a person holding two roles in a task, the
same id twice, a known id with a different text. New tasks pin the project's rules version; a
seeded, order-independent draw marks the project's share of them for double annotation. Records
whose id is already in the project add annotations to the stored task (an identical annotation is
skipped, so re-importing a file changes nothing).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, String, select, type_coerce

from hegui.annotation.exams import Eligibility
from hegui.annotation.fastsql import insert_many, utc
from hegui.annotation.jsonlines import bulk, dumps
from hegui.annotation.labels import LabelChecker
from hegui.annotation.projects import Project, get_project
from hegui.annotation.records import AnnotationIn, AnnotationOut, ReviewOut, TaskIn, TaskOut
from hegui.annotation.rules import get_rules
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import (
    annotation_assignments,
    annotation_reviews,
    annotation_tasks,
    task_annotations,
    utcnow,
)

__all__ = ["ImportReport", "double_draw", "import_tasks", "load_tasks"]

_CHUNK = 500


@dataclass(slots=True)
class ImportReport:
    project: str
    format: str
    source: str
    sha256: str
    tasks_added: int = 0
    tasks_matched: int = 0
    double_selected: int = 0
    annotations_added: int = 0
    annotations_unchanged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def double_draw(seed: int, ext_ids: Sequence[str], share: float) -> set[str]:
    """The ``round(share · n)`` ids with the smallest sha256(seed:id): seeded, order-free."""
    count = round(share * len(ext_ids))
    if count <= 0:
        return set()
    ranked = sorted(ext_ids, key=lambda i: hashlib.sha256(f"{seed}:{i}".encode()).digest())
    return set(ranked[:count])


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


@dataclass(slots=True)
class _Known:
    """What the store already holds about the tasks a file names."""

    ids: dict[str, tuple[int, str]]  # ext_id -> (task id, rules version)
    texts: dict[int, Any]
    annotations: dict[tuple[int, str], tuple[str, bool]]
    roles: dict[int, dict[str, str]]
    reviewers: dict[int, set[str]]


def _load_known(conn: Connection, project: Project, ext_ids: list[str]) -> _Known:
    ids = {
        r.ext_id: (r.id, r.rules_version)
        for r in conn.execute(
            select(
                annotation_tasks.c.id, annotation_tasks.c.ext_id, annotation_tasks.c.rules_version
            ).where(annotation_tasks.c.project_id == project.id)
        )
    }
    matched = [ids[e][0] for e in ext_ids if e in ids]
    known = _Known(ids, {}, {}, defaultdict(dict), defaultdict(set))
    for chunk in _chunks(matched):
        for task_id, data in conn.execute(
            select(annotation_tasks.c.id, annotation_tasks.c.data).where(
                annotation_tasks.c.id.in_(chunk)
            )
        ):
            known.texts[task_id] = orjson.loads(data).get(project.text_field)
        for task_id, person, labels, cancelled in conn.execute(
            select(
                task_annotations.c.task_id,
                task_annotations.c.annotator_id,
                task_annotations.c.labels,
                task_annotations.c.cancelled,
            ).where(task_annotations.c.task_id.in_(chunk))
        ):
            known.annotations[(task_id, person)] = (labels, bool(cancelled))
        for task_id, person, role in conn.execute(
            select(
                annotation_assignments.c.task_id,
                annotation_assignments.c.person_id,
                annotation_assignments.c.role,
            ).where(annotation_assignments.c.task_id.in_(chunk))
        ):
            known.roles[task_id][person] = role
        for task_id, person in conn.execute(
            select(annotation_reviews.c.task_id, annotation_reviews.c.reviewer_id).where(
                annotation_reviews.c.task_id.in_(chunk)
            )
        ):
            known.reviewers[task_id].add(person)
    return known


def _source_id(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"{where}: source id must be a string or an integer")
    text = str(value)
    if len(text) > 64:
        raise InputError(f"{where}: source id longer than 64 characters")
    return text or None


@bulk()
def import_tasks(
    conn: Connection,
    project_id: str,
    items: Sequence[TaskIn],
    *,
    actor: str,
    fmt: str,
    source: str,
    sha256: str,
    now: datetime | None = None,
) -> ImportReport:
    """Validate every record against the store, then insert tasks and annotations (see module)."""
    project = get_project(conn, project_id)
    now = now or utcnow()
    report = ImportReport(project.id, fmt, source, sha256)
    known = _load_known(conn, project, [item.ext_id for item in items])
    label_sets: dict[str, LabelChecker] = {}
    eligibility: dict[str, Eligibility] = {}

    def checks(version: str) -> tuple[LabelChecker, Eligibility]:
        if version not in label_sets:
            label_sets[version] = LabelChecker(get_rules(conn, version).labels)
            eligibility[version] = Eligibility(conn, version, now=now)
        return label_sets[version], eligibility[version]

    seen: dict[str, str] = {}
    new_tasks: list[dict[str, Any]] = []
    new_annotations: list[tuple[str, AnnotationIn, str]] = []
    multi: set[str] = set()
    for item in items:
        ext_id = item.ext_id
        if not ext_id or len(ext_id) > 200:
            raise InputError(f"{item.where}: task id must be 1–200 characters")
        if ext_id in seen:
            raise InputError(f"{item.where}: task id {ext_id!r} already appeared at {seen[ext_id]}")
        seen[ext_id] = item.where
        stored = known.ids.get(ext_id)
        version = stored[1] if stored else project.rules_version
        check_labels, eligible = checks(version)
        if stored is None:
            text = item.data.get(project.text_field)
            if not isinstance(text, str) or not text.strip():
                raise InputError(
                    f"{item.where}: task {ext_id!r} needs a non-empty {project.text_field!r} string"
                )
            new_tasks.append(
                {
                    "project_id": project.id,
                    "ext_id": ext_id,
                    "source_id": _source_id(item.data.get(project.source_field), item.where),
                    "rules_version": version,
                    "double_annotation": False,
                    "data": dumps(item.data),
                    "extra": dumps(item.extra) if item.extra is not None else None,
                    "created_at": now,
                }
            )
        else:
            report.tasks_matched += 1
            if project.text_field in item.data and item.data[project.text_field] != known.texts.get(
                stored[0]
            ):
                raise InputError(
                    f"{item.where}: task {ext_id!r} is already in project {project.id} with a "
                    f"different {project.text_field!r} (same id, different content?)"
                )
        people: set[str] = set()
        live = 0
        for ann in item.annotations:
            if ann.annotator in people:
                raise InputError(f"{ann.where}: {ann.annotator!r} annotated task {ext_id!r} twice")
            people.add(ann.annotator)
            if ann.cancelled and ann.labels in (None, []):
                labels = ""
            else:
                labels = check_labels(ann.labels, where=ann.where)
            eligible.require(ann.annotator, "annotate", where=ann.where)
            live += not ann.cancelled
            if stored is not None:
                task_id = stored[0]
                roles = known.roles.get(task_id, {})
                role = roles.get(ann.annotator)
                if role is not None and role != "annotate":
                    raise InputError(
                        f"{ann.where}: {ann.annotator!r} holds the {role!r} role in task "
                        f"{ext_id!r} and cannot also annotate it"
                    )
                if ann.annotator in known.reviewers.get(task_id, set()):
                    raise InputError(
                        f"{ann.where}: {ann.annotator!r} reviewed task {ext_id!r} and cannot annotate it"
                    )
                annotating = {p for p, r in roles.items() if r == "annotate"}
                if annotating and ann.annotator not in annotating:
                    raise InputError(
                        f"{ann.where}: task {ext_id!r} is assigned to {', '.join(sorted(annotating))}, "
                        f"not {ann.annotator!r}"
                    )
                previous = known.annotations.get((task_id, ann.annotator))
                if previous is not None:
                    if previous == (labels, ann.cancelled):
                        report.annotations_unchanged += 1
                        continue
                    raise InputError(
                        f"{ann.where}: {ann.annotator!r} already annotated task {ext_id!r} as "
                        f"{previous[0] or 'cancelled'}; annotations are not overwritten"
                    )
            new_annotations.append((ext_id, ann, labels))
        if stored is None and live >= 2:
            multi.add(ext_id)

    drawn = double_draw(project.seed, [t["ext_id"] for t in new_tasks], project.double_share)
    for task in new_tasks:
        task["double_annotation"] = task["ext_id"] in drawn or task["ext_id"] in multi
    report.double_selected = sum(t["double_annotation"] for t in new_tasks)
    if new_tasks:
        insert_many(conn, annotation_tasks, new_tasks)
        known.ids.update(
            (r.ext_id, (r.id, r.rules_version))
            for r in conn.execute(
                select(
                    annotation_tasks.c.id,
                    annotation_tasks.c.ext_id,
                    annotation_tasks.c.rules_version,
                ).where(annotation_tasks.c.project_id == project.id)
            )
        )
    if new_annotations:
        insert_many(
            conn,
            task_annotations,
            [
                {
                    "task_id": known.ids[ext_id][0],
                    "annotator_id": ann.annotator,
                    "labels": labels,
                    "cancelled": ann.cancelled,
                    "created_at": ann.created_at or now,
                    "lead_time": ann.lead_time,
                    "origin": ann.origin,
                    "extra": dumps(ann.extra) if ann.extra is not None else None,
                }
                for ext_id, ann, labels in new_annotations
            ],
        )
    report.tasks_added = len(new_tasks)
    report.annotations_added = len(new_annotations)
    audit.append(
        conn,
        actor=actor,
        action="annotation.import",
        subject=f"annotation_project:{project.id}",
        after=report.as_dict(),
        at=now,
    )
    return report


@bulk()
def load_tasks(
    conn: Connection, project_id: str, *, ext_ids: Sequence[str] | None = None
) -> list[TaskOut]:
    """The project's tasks (or those named) with annotations and reviews, in import order."""
    project = get_project(conn, project_id)
    t = annotation_tasks.c
    rows = conn.execute(
        select(t.id, t.ext_id, t.source_id, t.rules_version, t.double_annotation, t.data, t.extra)
        .where(t.project_id == project.id)
        .order_by(t.id)
    )
    wanted = set(ext_ids) if ext_ids is not None else None
    loads = orjson.loads
    tasks = {
        task_id: TaskOut(
            task_id,
            ext_id,
            source_id,
            rules_version,
            bool(double),
            loads(data),
            loads(extra) if extra is not None else None,
        )
        for task_id, ext_id, source_id, rules_version, double, data, extra in rows
        if wanted is None or ext_id in wanted
    }
    if not tasks:
        return []
    in_project = select(t.id).where(t.project_id == project.id)
    a = task_annotations.c
    raw_time = type_coerce(a.created_at, String)
    for task_id, *fields in conn.execute(
        select(
            a.task_id,
            a.id,
            a.annotator_id,
            a.labels,
            a.cancelled,
            raw_time,
            a.lead_time,
            a.origin,
            a.extra,
        )
        .where(a.task_id.in_(in_project))
        .order_by(a.id)
    ):
        task = tasks.get(task_id)
        if task is not None:
            ann_id, annotator, labels, cancelled, created_at, lead_time, origin, extra = fields
            task.annotations.append(
                AnnotationOut(
                    ann_id,
                    annotator,
                    labels,
                    bool(cancelled),
                    utc(created_at),
                    lead_time,
                    origin,
                    loads(extra) if extra is not None else None,
                )
            )
    for r in conn.execute(
        select(annotation_reviews)
        .where(annotation_reviews.c.task_id.in_(in_project))
        .order_by(annotation_reviews.c.id)
    ):
        task = tasks.get(r.task_id)
        if task is not None:
            task.reviews.append(ReviewOut(r.kind, r.reviewer_id, r.labels, r.note, r.at))
    for r in conn.execute(
        select(annotation_assignments).where(annotation_assignments.c.task_id.in_(in_project))
    ):
        task = tasks.get(r.task_id)
        if task is not None:
            task.assignments[r.person_id] = r.role
    return list(tasks.values())
