"""Label Studio JSON in and out: round trips without loss; malformed exports name the item."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hegui.annotation.jsonl import render_jsonl
from hegui.annotation.labels import default_label_set, join_labels
from hegui.annotation.labelstudio import parse_label_studio, render_label_studio
from hegui.annotation.projects import Project, create_project, get_project
from hegui.annotation.records import AnnotationOut, TaskOut
from hegui.annotation.tasks import ImportReport, import_tasks, load_tasks
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.db import Store
from hegui.store.schema import annotation_tasks, task_annotations, utcnow
from tests.annotation.helpers import ACTOR, Setup, import_jsonl, task_rows
from tests.annotation.labelstudio_docs import USER_MAP, label_studio_export


def _import(
    store: Store, doc: Any, *, project: str = "p1", user_map: dict[str, str] | None = None
) -> ImportReport:
    raw = doc if isinstance(doc, bytes) else orjson.dumps(doc)

    def run(c: Any) -> ImportReport:
        items = parse_label_studio(
            raw,
            get_project(c, project),
            allowed=default_label_set(),
            source="export.json",
            user_map=USER_MAP if user_map is None else user_map,
        )
        return import_tasks(
            c,
            project,
            items,
            actor=ACTOR,
            fmt="label-studio",
            source="export.json",
            sha256="0" * 64,
        )

    return store.write(run)


def _export(store: Store, project: str = "p1", user_map: dict[str, str] | None = None) -> list[Any]:
    with store.read() as conn:
        p = get_project(conn, project)
        return orjson.loads(render_label_studio(load_tasks(conn, p.id), p, user_map=user_map))


def test_a_label_studio_export_round_trips_without_loss(ready: Setup, store: Store) -> None:
    original = label_studio_export()
    report = _import(store, original)
    assert (report.tasks_added, report.annotations_added) == (4, 6)
    assert _export(store) == original
    with store.read() as conn:
        tasks = load_tasks(conn, "p1")
    assert [t.ext_id for t in tasks] == ["1", "2", "3", "4"]
    first, second, third, fourth = tasks
    assert [(a.annotator, a.labels) for a in first.annotations] == [
        ("alice", "A.2.d"),
        ("bob", "A.2.d,A.4.c"),
    ]
    assert first.state() == "disputed" and first.double_annotation
    assert [(a.annotator, a.cancelled) for a in second.annotations] == [
        ("alice", False),
        ("dan", False),
        ("bob", True),
    ]
    assert second.consensus() == "none" and second.double_annotation
    assert third.annotations[0].labels == "A.1.g,A.2.e"
    assert first.annotations[0].created_at.isoformat() == "2026-11-01T01:15:08.728353+00:00"
    assert first.annotations[1].lead_time == pytest.approx(1006.288)
    assert fourth.state() == "pending"


def test_importing_the_same_export_again_changes_nothing(ready: Setup, store: Store) -> None:
    _import(store, label_studio_export())
    again = _import(store, label_studio_export())
    assert (
        again.tasks_added,
        again.tasks_matched,
        again.annotations_added,
        again.annotations_unchanged,
    ) == (0, 4, 0, 6)
    assert _export(store) == label_studio_export()


def test_hegui_tasks_go_to_label_studio_and_come_back(ready: Setup, store: Store) -> None:
    """hegui → Label Studio JSON → a new project → the same JSON (and the same JSONL)."""
    rows = task_rows(5)
    rows[0]["annotations"] = [
        {
            "annotator": "alice",
            "labels": ["A.2.e"],
            "created_at": "2026-12-01T08:00:00Z",
            "lead_time": 3.0,
        },
        {"annotator": "bob", "labels": ["none"]},
    ]
    rows[1]["labels"], rows[1]["annotator"] = ["A.1.g", "A.2.d"], "dan"

    import_jsonl(store, rows)
    store.write(lambda c: create_project(c, "p2", double_share=0.5, seed=7, actor=ACTOR))
    exported = _export(store, user_map={})
    assert exported[0]["data"] == {k: v for k, v in rows[0].items() if k != "annotations"}
    assert exported[0]["annotations"][0]["result"] == [
        {
            "id": exported[0]["annotations"][0]["result"][0]["id"],
            "from_name": "risk",
            "to_name": "text",
            "type": "choices",
            "origin": "manual",
            "value": {"choices": ["A.2.e"]},
        }
    ]
    assert exported[0]["annotations"][0]["completed_by"] == "alice"
    _import(store, exported, project="p2", user_map={})
    assert _export(store, "p2", user_map={}) == exported
    with store.read() as conn:
        one, two = load_tasks(conn, "p1"), load_tasks(conn, "p2")
    assert render_jsonl(two) == render_jsonl(one)


def test_the_user_map_turns_annotators_back_into_label_studio_users(
    ready: Setup, store: Store
) -> None:
    import_jsonl(store, [{"id": "t0", "text": "x", "labels": ["none"], "annotator": "alice"}])
    assert _export(store, user_map={"10": "alice"})[0]["annotations"][0]["completed_by"] == 10


def _counts(store: Store) -> tuple[int, int, int]:
    with store.read() as conn:
        return (
            conn.execute(select(func.count()).select_from(annotation_tasks)).scalar_one(),
            conn.execute(select(func.count()).select_from(task_annotations)).scalar_one(),
            audit.verify(conn).events,
        )


def _break(path: str, value: Any) -> Any:
    doc: Any = label_studio_export()
    target = doc
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is _DELETE:
        del target[int(last) if last.isdigit() else last]
    elif last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"data": {"text": "x"}}, r"^export\.json: a Label Studio export is a JSON array of tasks"),
        (b'[{"id": 1, "data": {"text": "x"}', r"^export\.json: not valid JSON"),
        (_break("2", "text"), r"task #3: a task must be a JSON object"),
        (_break("1.data", _DELETE), r"task #2 \(id 2\): no 'data' object"),
        (_break("1.completions", []), "pre-1.0 'completions' key"),
        (
            _break("0.annotations.1.result.0.value.choices", ["A.2.d", "B.1"]),
            r"task #1 \(id 1\) annotation #2 \(id 1002\): unknown label 'B.1'",
        ),
        (
            _break("0.annotations.0.result.0.from_name", "sentiment"),
            r"task #1 \(id 1\) annotation #1 \(id 1001\): no 'choices' result from 'risk' .*results use: sentiment",
        ),
        (_break("0.annotations.0.result.0.type", "labels"), "is not a 'choices' result"),
        (_break("0.annotations.0.result.0.value", {"text": ["x"]}), "has no 'value.choices' list"),
        (
            _break("0.annotations.0.completed_by", 99),
            r"annotation #1 \(id 1001\): '99' is not on the annotator roster",
        ),
        (
            _break("0.annotations.0.completed_by", None),
            r"annotation #1 \(id 1001\): 'completed_by' must name",
        ),
        (_break("0.annotations.0.was_cancelled", "no"), "'was_cancelled' must be true or false"),
        (
            _break("0.annotations.0.created_at", "09/03/2021"),
            "timestamp '09/03/2021' is not ISO 8601",
        ),
        (_break("0.annotations.0.lead_time", "4s"), "lead_time '4s' is not a number"),
        (_break("0.annotations", {}), "'annotations' must be a list"),
        (
            _break("0.predictions.0.result.0.value.choices", ["A.2.x"]),
            r"task #1 \(id 1\) prediction #1: unknown label 'A.2.x'",
        ),
        (
            _break("1.annotations.0.completed_by", "carol"),
            "'carol' does not hold the annotator role",
        ),
        (
            _break("3.id", 1),
            r"task #4 \(id 1\): task id '1' already appeared at export\.json task #1",
        ),
        (
            _break("1.annotations.1.completed_by", 10),
            r"task #2 \(id 2\) annotation #2 \(id 1004\): 'alice' annotated task '2' twice",
        ),
        (_break("3.data.text", ""), r"task #4 \(id 4\): task '4' needs a non-empty 'text' string"),
    ],
)
def test_malformed_exports_name_the_item_and_import_nothing(
    ready: Setup, store: Store, doc: Any, message: str
) -> None:
    before = _counts(store)
    with pytest.raises(InputError, match=message):
        _import(store, doc)
    assert _counts(store) == before


def test_an_unknown_from_name_is_configurable_per_project(ready: Setup, store: Store) -> None:
    doc = label_studio_export()
    for task in doc:
        for ann in task["annotations"]:
            for item in ann["result"]:
                if item["from_name"] == "risk":
                    item["from_name"] = "风险"
        for pred in task["predictions"]:
            for item in pred["result"]:
                item["from_name"] = "风险"
    store.write(lambda c: create_project(c, "zh", from_name="风险", actor=ACTOR))
    _import(store, doc, project="zh")
    assert _export(store, "zh") == doc


# --- the format module alone, on generated documents (no database) --------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
_CODES = ["A.1.a", "A.2.e", "A.2.d", "A.4.f", "A.5.b"]


@st.composite
def _exports(draw: st.DrawFn) -> list[dict[str, Any]]:
    tasks = []
    for n in range(draw(st.integers(1, 4))):
        extra = draw(
            st.dictionaries(
                st.sampled_from(["meta", "project", "inner_id", "x-new"]), _JSON, max_size=3
            )
        )
        data = {"text": draw(st.text(min_size=1, max_size=10).filter(str.strip))}
        data.update(
            draw(st.dictionaries(st.sampled_from(["ref", "图", "meta_info"]), _JSON, max_size=2))
        )
        anns = []
        for j, user in enumerate(
            draw(st.lists(st.sampled_from(["10", "11", "12"]), unique=True, max_size=3))
        ):
            labels = draw(
                st.one_of(
                    st.just(["none"]), st.lists(st.sampled_from(_CODES), min_size=1, max_size=3)
                )
            )
            result = [
                {
                    "id": f"r{j}",
                    "from_name": "risk",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": labels},
                }
            ]
            if draw(st.booleans()):
                result.insert(
                    0,
                    {
                        "id": "o",
                        "from_name": "other",
                        "type": "rating",
                        "value": {"rating": draw(_JSON)},
                    },
                )
            ann = {"id": 100 * n + j, "completed_by": int(user), "result": result}
            optional = {
                "ground_truth": st.booleans(),
                "lead_time": st.floats(0, 1e4) | st.integers(0, 10**6),
                "reviews": _JSON,
                "y-new": _JSON,
            }
            ann.update(draw(st.fixed_dictionaries({}, optional=optional)))
            anns.append(ann)
        tasks.append({"id": n + 1, **extra, "data": data, "annotations": anns})
    return tasks


def _as_stored(tasks: list[Any], project: Project) -> list[TaskOut]:
    """What import_tasks + load_tasks make of parsed records, without a database."""
    items = parse_label_studio(
        orjson.dumps(tasks),
        project,
        allowed=default_label_set(),
        source="x",
        user_map={"10": "alice", "11": "bob", "12": "dan"},
    )
    out = []
    for i, item in enumerate(items):
        stored = TaskOut(
            i,
            item.ext_id,
            None,
            "r1",
            False,
            orjson.loads(orjson.dumps(item.data)),
            orjson.loads(orjson.dumps(item.extra)),
        )
        for k, a in enumerate(item.annotations):
            stored.annotations.append(
                AnnotationOut(
                    k,
                    a.annotator,
                    join_labels(a.labels),
                    a.cancelled,
                    a.created_at or utcnow(),
                    a.lead_time,
                    a.origin,
                    orjson.loads(orjson.dumps(a.extra)),
                )
            )
        out.append(stored)
    return out


_PROJECT = Project("p", "p", "r1", 0.0, 0, "id", "text", "source_id", "risk", "text", utcnow(), "t")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_exports())
def test_any_export_survives_parse_store_and_render(doc: list[dict[str, Any]]) -> None:
    original = copy.deepcopy(doc)
    rendered = orjson.loads(render_label_studio(_as_stored(doc, _PROJECT), _PROJECT))
    assert rendered == original
    assert doc == original  # parsing does not mutate its input


def test_label_studio_tasks_known_by_their_label_studio_id_export_to_importable_jsonl(
    ready: Setup, store: Store
) -> None:
    """Found by the benchmark: such tasks lost their id in JSONL and could not come back."""

    _import(store, label_studio_export())
    with store.read() as conn:
        lines = render_jsonl(load_tasks(conn, "p1"), id_field="id")
    assert [orjson.loads(line)["id"] for line in lines.splitlines()] == ["1", "2", "3", "4"]
    store.write(lambda c: create_project(c, "p2", double_share=0.5, seed=7, actor=ACTOR))

    assert import_jsonl(store, lines, project="p2").annotations_added == 6
    with store.read() as conn:
        assert render_jsonl(load_tasks(conn, "p2")) == lines
