"""Plain JSON Lines, both ways: one task a line, its own fields kept as they came.

A task line is any object with the project's id and text fields (``id``, ``text``; a corpus
sample works as it is, and ``source_id`` is recorded when present). Reserved keys carry hegui's
part and never count as task data:

- ``labels`` (with ``annotator``, or ``--annotator`` on the command line): one annotation;
  ``null`` or absent means "not annotated yet" (that is how blind work files come back);
- ``annotations``: a list of ``{"annotator", "labels", "cancelled"?, "created_at"?,
  "lead_time"?}`` (other keys are kept with the annotation);
- ``reviews``, ``final``, ``state``: written by the export for reading; ignored on import
  (reviews enter only through ``hegui annotate adjudicate`` and ``verify``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from hegui.annotation.jsonlines import bulk, read_jsonl
from hegui.annotation.labels import split_labels
from hegui.annotation.projects import Project
from hegui.annotation.records import (
    AnnotationIn,
    TaskIn,
    TaskOut,
    iso,
    parse_ext_id,
    parse_seconds,
    parse_time,
)
from hegui.errors import InputError

__all__ = ["RESERVED", "parse_jsonl", "render_jsonl"]

RESERVED = ("annotations", "annotator", "final", "labels", "reviews", "state")
_ANNOTATION_KEYS = ("annotator", "cancelled", "created_at", "labels", "lead_time")


def _annotator(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: 'annotator' must be the annotator's roster id")
    return value


def _annotation(obj: Any, where: str) -> AnnotationIn:
    if not isinstance(obj, dict):
        raise InputError(f"{where}: an annotation must be a JSON object")
    cancelled = obj.get("cancelled", False)
    if not isinstance(cancelled, bool):
        raise InputError(f"{where}: 'cancelled' must be true or false")
    extra = {k: v for k, v in obj.items() if k not in _ANNOTATION_KEYS}
    return AnnotationIn(
        annotator=_annotator(obj.get("annotator"), where),
        labels=obj.get("labels"),
        where=where,
        cancelled=cancelled,
        created_at=parse_time(obj.get("created_at"), where),
        lead_time=parse_seconds(obj.get("lead_time"), where),
        origin="jsonl",
        extra={"jsonl": extra} if extra else None,
    )


@bulk()
def parse_jsonl(
    raw: bytes, project: Project, *, source: str, annotator: str | None = None
) -> list[TaskIn]:
    """Records from JSON Lines (see the module); an :class:`InputError` names the bad line."""
    out: list[TaskIn] = []
    for number, obj in read_jsonl(raw, source=source):
        where = f"{source} line {number}"
        ext_id = parse_ext_id(obj.get(project.id_field), where, f"an {project.id_field!r}")
        where += f" (id {ext_id})"
        data = {k: v for k, v in obj.items() if k not in RESERVED}
        annotations: list[AnnotationIn] = []
        listed = obj.get("annotations")
        if listed is not None:
            if not isinstance(listed, list):
                raise InputError(f"{where}: 'annotations' must be a list")
            annotations.extend(
                _annotation(a, f"{where} annotation #{j}") for j, a in enumerate(listed, 1)
            )
        if obj.get("labels") is not None:
            who = obj.get("annotator", annotator)
            if who is None:
                raise InputError(
                    f'{where}: labels without an annotator (add "annotator" or --annotator)'
                )
            annotations.append(AnnotationIn(_annotator(who, where), obj["labels"], where))
        out.append(TaskIn(ext_id, data, where, None, annotations))
    return out


@bulk()
def render_jsonl(tasks: Iterable[TaskOut], *, id_field: str = "id", blind: bool = False) -> bytes:
    """One line per task: its data plus, unless blind, annotations, reviews, final labels, state.

    Blind lines carry only the task's own fields and ``"labels": null`` for the annotator to fill.
    A task whose data has no ``id_field`` (a Label Studio task known by its Label Studio id) gets
    its id there, so every line can be imported again.
    """
    lines = []
    for task in tasks:
        obj = dict(task.data)
        obj.setdefault(id_field, task.ext_id)
        if blind:
            obj["labels"] = None
        else:
            annotations = []
            for a in task.annotations:
                entry: dict[str, Any] = {"annotator": a.annotator, "labels": split_labels(a.labels)}
                if a.cancelled:
                    entry["cancelled"] = True
                entry["created_at"] = iso(a.created_at)
                if a.lead_time is not None:
                    entry["lead_time"] = a.lead_time
                entry.update((a.extra or {}).get("jsonl", {}))
                annotations.append(entry)
            obj["annotations"] = annotations
            obj["reviews"] = [
                {
                    "kind": r.kind,
                    "reviewer": r.reviewer,
                    "labels": split_labels(r.labels),
                    "note": r.note,
                    "at": iso(r.at),
                }
                for r in task.reviews
            ]
            final = task.final()
            obj["final"] = split_labels(final) if final is not None else None
            obj["state"] = task.state()
        lines.append(orjson.dumps(obj, option=orjson.OPT_APPEND_NEWLINE))
    return b"".join(lines)
