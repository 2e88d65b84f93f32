"""Label Studio's JSON task format, both ways, without loss.

An export is a JSON array of tasks: ``{"id", "data": {...}, "annotations": [{"id",
"completed_by", "result": [{"id", "from_name", "to_name", "type": "choices", "value":
{"choices": [...]}}], "was_cancelled", "created_at", "lead_time", ...}], "predictions": [...],
...}``. hegui models one thing per annotation, the ``choices`` result of the project's
``from_name`` control (its labels), plus who made it, when, and whether it was cancelled. Every
other field (task ids, timestamps, predictions, drafts, reviews, other controls' results, fields
of later Label Studio versions) is kept verbatim, so an import followed by an export gives back
an equal document.

The task id in hegui is ``data[<id field>]`` when the data has it (a task that went out from
hegui and came back), else Label Studio's own task ``id``. Label Studio users become roster
people through a user map (``{"10": "alice"}``: user id or e-mail → annotator id); unmapped users
are looked up on the roster by their id or e-mail as given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from hegui.annotation.jsonlines import bulk, loads
from hegui.annotation.labels import join_labels, normalise_labels, split_labels
from hegui.annotation.projects import Project
from hegui.annotation.records import (
    AnnotationIn,
    AnnotationOut,
    TaskIn,
    TaskOut,
    iso,
    parse_ext_id,
    parse_seconds,
    parse_time,
)
from hegui.errors import InputError

__all__ = ["parse_label_studio", "render_label_studio"]

_MODELLED_TASK_KEYS = ("data", "annotations")


def _person(value: Any, user_map: Mapping[str, str], where: str) -> str:
    if isinstance(value, dict):
        keys = [str(value[k]) for k in ("id", "email") if value.get(k) not in (None, "")]
    elif isinstance(value, int | str) and not isinstance(value, bool) and value != "":
        keys = [str(value)]
    else:
        raise InputError(f"{where}: 'completed_by' must name the Label Studio user who annotated")
    if not keys:
        raise InputError(f"{where}: 'completed_by' has neither an id nor an e-mail")
    for key in keys:
        if key in user_map:
            return user_map[key]
    return keys[-1] if isinstance(value, dict) and value.get("email") else keys[0]


def _choices_at(result: list[Any], from_name: str, where: str) -> int | None:
    """Position of the project's ``choices`` result in ``result`` (None when absent)."""
    positions = [
        i for i, r in enumerate(result) if isinstance(r, dict) and r.get("from_name") == from_name
    ]
    if len(positions) > 1:
        raise InputError(f"{where}: {len(positions)} results from {from_name!r}; expected one")
    if not positions:
        return None
    item = result[positions[0]]
    value = item.get("value")
    if item.get("type") != "choices" or not isinstance(value, dict):
        raise InputError(f"{where}: the result from {from_name!r} is not a 'choices' result")
    if not isinstance(value.get("choices"), list):
        raise InputError(f"{where}: the result from {from_name!r} has no 'value.choices' list")
    return positions[0]


def _without_choices(ann: dict[str, Any], pos: int) -> dict[str, Any]:
    """A copy of the annotation without its modelled ``value.choices`` (the rest shared).

    The choices stay in the copy only when their order or repeats differ from the canonical
    label set, so that the export can give them back exactly as Label Studio wrote them.
    """
    skeleton = dict(ann)
    result = list(ann["result"])
    item = dict(result[pos])
    value = dict(item["value"])
    choices = value["choices"]
    if all(isinstance(c, str) for c in choices) and choices == split_labels(join_labels(choices)):
        del value["choices"]
    item["value"] = value
    result[pos] = item
    skeleton["result"] = result
    return skeleton


def _annotation(
    ann: Any, project: Project, user_map: Mapping[str, str], where: str
) -> AnnotationIn:
    if not isinstance(ann, dict):
        raise InputError(f"{where}: an annotation must be a JSON object")
    result = ann.get("result", [])
    if not isinstance(result, list):
        raise InputError(f"{where}: 'result' must be a list")
    cancelled = ann.get("was_cancelled", False)
    if not isinstance(cancelled, bool):
        raise InputError(f"{where}: 'was_cancelled' must be true or false")
    pos = _choices_at(result, project.from_name, where)
    if pos is None and not cancelled:
        used = sorted({str(r.get("from_name")) for r in result if isinstance(r, dict)})
        raise InputError(
            f"{where}: no 'choices' result from {project.from_name!r} (the project's from_name); "
            f"results use: {', '.join(used) or 'nothing'}"
        )
    labels = result[pos]["value"]["choices"] if pos is not None else None
    return AnnotationIn(
        annotator=_person(ann.get("completed_by"), user_map, where),
        labels=labels,
        where=where,
        cancelled=cancelled,
        created_at=parse_time(ann.get("created_at"), where),
        lead_time=parse_seconds(ann.get("lead_time"), where),
        origin="label-studio",
        extra={"ls": _without_choices(ann, pos) if pos is not None else ann, "choice_at": pos},
    )


def _check_predictions(preds: Any, project: Project, allowed: Iterable[str], where: str) -> None:
    if not isinstance(preds, list):
        raise InputError(f"{where}: 'predictions' must be a list")
    for j, pred in enumerate(preds, 1):
        pwhere = f"{where} prediction #{j}"
        result = pred.get("result", []) if isinstance(pred, dict) else None
        if not isinstance(result, list):
            raise InputError(f"{pwhere}: must be an object with a 'result' list")
        pos = _choices_at(result, project.from_name, pwhere)
        if pos is not None:
            normalise_labels(result[pos]["value"]["choices"], allowed, where=pwhere)


@bulk()
def parse_label_studio(
    raw: bytes,
    project: Project,
    *,
    allowed: Iterable[str],
    source: str,
    user_map: Mapping[str, str] | None = None,
) -> list[TaskIn]:
    """Records from a Label Studio JSON export; an :class:`InputError` names the first bad item."""
    doc = loads(raw, source=source)
    if not isinstance(doc, list):
        raise InputError(f"{source}: a Label Studio export is a JSON array of tasks")
    allowed = tuple(allowed)
    users = dict(user_map or {})
    out: list[TaskIn] = []
    for index, task in enumerate(doc, 1):
        where = f"{source} task #{index}"
        if not isinstance(task, dict):
            raise InputError(f"{where}: a task must be a JSON object")
        if "id" in task:
            where += f" (id {task['id']})"
        if "completions" in task:
            raise InputError(
                f"{where}: uses the pre-1.0 'completions' key; export again from Label Studio 1.0+"
            )
        data = task.get("data")
        if not isinstance(data, dict):
            raise InputError(f"{where}: no 'data' object")
        ext_id = parse_ext_id(
            data.get(project.id_field, task.get("id")),
            where,
            f"an id (data.{project.id_field} or the task 'id')",
        )
        anns = task.get("annotations", [])
        if not isinstance(anns, list):
            raise InputError(f"{where}: 'annotations' must be a list")
        _check_predictions(task.get("predictions", []), project, allowed, where)
        annotations = [
            _annotation(
                ann,
                project,
                users,
                f"{where} annotation #{j}"
                + (f" (id {ann['id']})" if isinstance(ann, dict) and "id" in ann else ""),
            )
            for j, ann in enumerate(anns, 1)
        ]
        extra = {k: v for k, v in task.items() if k not in _MODELLED_TASK_KEYS}
        out.append(TaskIn(ext_id, data, where, extra, annotations))
    return out


def _render_annotation(
    a: AnnotationOut, project: Project, users: Mapping[str, Any]
) -> dict[str, Any]:
    stored = (a.extra or {}).get("ls")
    if stored is not None:  # came from Label Studio: its fields back, our labels in place
        doc = dict(stored)
        pos = (a.extra or {}).get("choice_at")
        if pos is not None:
            result = list(doc["result"])
            item = dict(result[pos])
            kept = item["value"].get("choices")
            if kept is None or join_labels(kept) != a.labels:
                item["value"] = {**item["value"], "choices": split_labels(a.labels)}
            result[pos] = item
            doc["result"] = result
        return doc
    result = []
    if a.labels:
        result.append(
            {
                "id": f"hegui-{a.id}",
                "from_name": project.from_name,
                "to_name": project.to_name,
                "type": "choices",
                "origin": "manual",
                "value": {"choices": split_labels(a.labels)},
            }
        )
    stamp = iso(a.created_at)
    doc = {
        "id": a.id,
        "completed_by": users.get(a.annotator, a.annotator),
        "result": result,
        "was_cancelled": a.cancelled,
        "ground_truth": False,
        "created_at": stamp,
        "updated_at": stamp,
    }
    if a.lead_time is not None:
        doc["lead_time"] = a.lead_time
    return doc


@bulk()
def render_label_studio(
    tasks: Iterable[TaskOut], project: Project, *, user_map: Mapping[str, str] | None = None
) -> bytes:
    """A Label Studio JSON export of ``tasks`` (the user map is applied in reverse)."""
    users: dict[str, Any] = {}
    for ls_user, person in (user_map or {}).items():
        users[person] = int(ls_user) if ls_user.isdigit() else ls_user
    docs = []
    for task in tasks:
        doc: dict[str, Any] = dict(task.extra) if task.extra is not None else {"predictions": []}
        doc["data"] = task.data
        doc["annotations"] = [_render_annotation(a, project, users) for a in task.annotations]
        docs.append(doc)
    return orjson.dumps(docs)
