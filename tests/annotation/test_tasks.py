"""Tasks from JSON Lines: all or nothing, errors naming the item, double draw, re-import."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from hegui.annotation.jsonl import parse_jsonl, render_jsonl
from hegui.annotation.projects import Project, create_project, get_project
from hegui.annotation.records import TaskIn
from hegui.annotation.tasks import ImportReport, double_draw, load_tasks
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.db import Store
from hegui.store.schema import annotation_tasks, task_annotations
from tests.annotation.helpers import ACTOR, Setup, import_jsonl, jsonl, task_rows


def _import(
    store: Store, raw: bytes, *, project: str = "p1", annotator: str | None = None
) -> ImportReport:
    return import_jsonl(store, raw, project=project, annotator=annotator)


def _counts(store: Store) -> tuple[int, int, int]:
    with store.read() as conn:
        tasks = conn.execute(select(func.count()).select_from(annotation_tasks)).scalar_one()
        anns = conn.execute(select(func.count()).select_from(task_annotations)).scalar_one()
        return tasks, anns, audit.verify(conn).events


def test_tasks_from_jsonl_keep_their_fields_and_pin_the_rules(ready: Setup, store: Store) -> None:
    rows = task_rows(20)
    rows[0]["extra"] = {"nested": [1, 2.5, None, "字"]}
    report = _import(store, jsonl(rows))
    assert (report.tasks_added, report.double_selected, report.annotations_added) == (20, 10, 0)
    with store.read() as conn:
        tasks = load_tasks(conn, "p1")
    assert [t.data for t in tasks] == rows
    assert {t.rules_version for t in tasks} == {"r1"}
    assert {t.source_id for t in tasks} == {"cold-dev"}
    assert sum(t.double_annotation for t in tasks) == 10
    assert {t.state() for t in tasks} == {"pending"}


def test_the_double_draw_is_exact_seeded_and_independent_of_order() -> None:
    ids = [f"t{i}" for i in range(1000)]
    drawn = double_draw(7, ids, 0.2)
    assert len(drawn) == 200
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert double_draw(7, shuffled, 0.2) == drawn
    assert double_draw(8, ids, 0.2) != drawn
    assert double_draw(7, ids, 0.0) == set() and double_draw(7, ids, 1.0) == set(ids)


def test_a_corpus_sample_imports_with_its_own_field_names(ready: Setup, store: Store) -> None:
    store.write(
        lambda c: create_project(
            c, "sample", id_field="sample_id", source_field="source", actor=ACTOR, double_share=0
        )
    )
    lines = [  # the shape of `hegui corpus scan`'s sample.jsonl (issue 17)
        {
            "sample_id": 0,
            "source": "weibo-2025",
            "file": "a.jsonl",
            "line": 3,
            "id": None,
            "text": "一",
            "verdict": None,
        },
        {
            "sample_id": 1,
            "source": "weibo-2025",
            "file": "a.jsonl",
            "line": 9,
            "id": "x9",
            "text": "二",
            "verdict": None,
        },
    ]
    assert _import(store, jsonl(lines), project="sample").tasks_added == 2
    with store.read() as conn:
        tasks = load_tasks(conn, "sample")
    assert [(t.ext_id, t.source_id) for t in tasks] == [("0", "weibo-2025"), ("1", "weibo-2025")]
    assert render_jsonl(tasks, blind=True).splitlines()[0] == orjson.dumps(
        {**lines[0], "labels": None}
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            {"id": "t9", "text": "x", "labels": ["A.2.q"], "annotator": "alice"},
            r"line 10 \(id t9\): unknown label 'A.2.q'",
        ),
        (
            {"id": "t9", "text": "x", "labels": ["none"], "annotator": "zoe"},
            r"line 10 \(id t9\): 'zoe' is not on the annotator roster",
        ),
        (
            {"id": "t9", "text": "x", "labels": ["none"], "annotator": "carol"},
            "'carol' does not hold the annotator role",
        ),
        (
            {"id": "t9", "text": "x", "labels": ["none"]},
            r"line 10 \(id t9\): labels without an annotator",
        ),
        ({"id": "t9", "text": "x", "labels": [], "annotator": "alice"}, "non-empty list"),
        (
            {"id": "t0", "text": "x"},
            r"line 10 \(id t0\): task id 't0' already appeared at tasks.jsonl line 1",
        ),
        ({"id": "t9"}, r"task 't9' needs a non-empty 'text' string"),
        ({"id": "t9", "text": "   "}, "needs a non-empty 'text'"),
        ({"text": "no id"}, r"line 10: needs an 'id'"),
        ({"id": True, "text": "x"}, r"line 10: needs an 'id'"),
        ({"id": "t9", "text": "x", "source_id": ["a"]}, "source id must be a string"),
        (
            {
                "id": "t9",
                "text": "x",
                "annotations": [
                    {"annotator": "alice", "labels": ["none"]},
                    {"annotator": "alice", "labels": ["none"]},
                ],
            },
            "'alice' annotated task 't9' twice",
        ),
        (
            {"id": "t9", "text": "x", "annotations": [{"labels": ["none"]}]},
            r"annotation #1: 'annotator' must be",
        ),
        (
            {
                "id": "t9",
                "text": "x",
                "annotations": [
                    {"annotator": "bob", "labels": ["none"], "created_at": "yesterday"}
                ],
            },
            "timestamp 'yesterday' is not ISO 8601",
        ),
    ],
)
def test_bad_lines_name_the_item_and_nothing_is_half_imported(
    ready: Setup, store: Store, line: dict[str, Any], message: str
) -> None:
    before = _counts(store)
    rows: list[dict[str, Any]] = task_rows(9)
    rows[2] = {**rows[2], "labels": ["A.2.e"], "annotator": "alice"}
    rows.append(line)
    with pytest.raises(InputError, match=message):
        _import(store, jsonl(rows))
    assert _counts(store) == before


def test_an_annotator_without_a_passed_exam_gets_no_task(ready: Setup, store: Store) -> None:
    from hegui.annotation.exams import take_exam
    from hegui.annotation.roster import add_annotator

    store.write(lambda c: add_annotator(c, "fay", "Fay", actor=ACTOR))
    rows = [*task_rows(3), {"id": "t3", "text": "x", "labels": ["none"], "annotator": "fay"}]
    with pytest.raises(
        InputError,
        match=r"line 4 \(id t3\): 'fay' has not taken the exam for rules r1; only people who passed the exam",
    ):
        _import(store, jsonl(rows))
    store.write(lambda c: take_exam(c, "fay", "r1", {"e0": ["A.2.e"]}, actor=ACTOR))
    with pytest.raises(
        InputError, match=r"'fay' did not pass the exam for rules r1 \(latest score 8%\)"
    ):
        _import(store, jsonl(rows))
    assert _counts(store)[0] == 0


def test_reimport_is_idempotent_and_annotations_are_never_overwritten(
    ready: Setup, store: Store
) -> None:
    rows = task_rows(4)
    rows[1]["labels"] = ["A.2.d"]
    first = _import(store, jsonl(rows), annotator="alice")
    again = _import(store, jsonl(rows), annotator="alice")
    assert (first.tasks_added, first.annotations_added) == (4, 1)
    assert (
        again.tasks_added,
        again.tasks_matched,
        again.annotations_added,
        again.annotations_unchanged,
    ) == (0, 4, 0, 1)
    rows[1]["labels"] = ["none"]
    with pytest.raises(
        InputError,
        match=r"'alice' already annotated task 't1' as A.2.d; annotations are not overwritten",
    ):
        _import(store, jsonl(rows), annotator="alice")
    rows[1] = {"id": "t1", "text": "another text", "labels": None}
    with pytest.raises(InputError, match="already in project p1 with a different 'text'"):
        _import(store, jsonl(rows))
    # a work file may leave the text out: the id finds the task
    assert (
        _import(store, jsonl([{"id": "t2", "labels": ["none"]}]), annotator="bob").annotations_added
        == 1
    )


def test_jsonl_export_and_reimport_reproduce_tasks_and_annotations(
    ready: Setup, store: Store
) -> None:
    rows = task_rows(6)
    rows[0]["annotations"] = [
        {
            "annotator": "alice",
            "labels": ["A.2.e", "A.1.g"],
            "created_at": "2026-12-01T08:00:00Z",
            "lead_time": 12.5,
            "tool": "sheet",
        },
        {"annotator": "bob", "labels": ["none"], "created_at": "2026-12-01T09:00:00+08:00"},
        {
            "annotator": "dan",
            "labels": None,
            "cancelled": True,
            "created_at": "2026-12-01T10:00:00Z",
        },
    ]
    _import(store, jsonl(rows))
    store.write(lambda c: create_project(c, "p2", double_share=0.5, seed=7, actor=ACTOR))
    with store.read() as conn:
        first = render_jsonl(load_tasks(conn, "p1"))
    _import(store, first, project="p2")
    with store.read() as conn:
        second = render_jsonl(load_tasks(conn, "p2"))
    assert second == first
    line = orjson.loads(first.splitlines()[0])
    assert line["annotations"][0] == {
        "annotator": "alice",
        "labels": ["A.1.g", "A.2.e"],
        "created_at": "2026-12-01T08:00:00Z",
        "lead_time": 12.5,
        "tool": "sheet",
    }
    assert line["annotations"][1]["created_at"] == "2026-12-01T01:00:00Z"
    assert line["annotations"][2] == {
        "annotator": "dan",
        "labels": [],
        "cancelled": True,
        "created_at": "2026-12-01T10:00:00Z",
    }
    assert (line["state"], line["final"]) == ("disputed", None)


def test_parse_records_are_plain_values(ready: Setup, store: Store) -> None:
    with store.read() as conn:
        project: Project = get_project(conn, "p1")
    items = parse_jsonl(
        b'{"id": 5, "text": "x", "labels": ["none"]}\n\n', project, source="f", annotator="alice"
    )
    assert items == [
        TaskIn("5", {"id": 5, "text": "x"}, "f line 1 (id 5)", None, items[0].annotations)
    ]
    assert items[0].annotations[0].annotator == "alice"
