"""Assignment, blind work files, adjudication, verification samples and the QA report."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from hegui.annotation.assign import assign_tasks, unassign, work_for
from hegui.annotation.jsonl import render_jsonl
from hegui.annotation.quality import qa_report
from hegui.annotation.report import render_html
from hegui.annotation.review import (
    Decision,
    disputes,
    draw_verification_sample,
    record_reviews,
)
from hegui.annotation.roster import add_annotator, set_status
from hegui.annotation.tasks import ImportReport, load_tasks
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.db import Store
from tests.annotation.helpers import ACTOR, Setup, import_jsonl, sklearn_kappa, task_rows


def _import(store: Store, rows: list[dict[str, Any]], annotator: str | None = None) -> ImportReport:
    return import_jsonl(store, rows, annotator=annotator, source="f.jsonl")


def _adjudicate(store: Store, ext_id: str, labels: list[str], reviewer: str) -> None:
    store.write(
        lambda c: record_reviews(
            c,
            "p1",
            [Decision(ext_id, labels, None, "adj.jsonl line 1")],
            kind="adjudication",
            reviewer=reviewer,
            actor=ACTOR,
        )
    )


def _label(person: str, ext_id: str) -> list[str]:
    """A deterministic annotator: most tasks agree, some differ by person."""
    n = int(ext_id[1:])
    if person == "bob" and n % 5 == 0:
        return ["A.2.e"]
    if person == "dan" and n % 7 == 0:
        return ["none"]
    return ["A.2.d"] if n % 3 == 0 else ["none"]


def _annotate_all(store: Store, people: list[str]) -> None:
    for person in people:
        with store.read() as conn:
            todo = work_for(conn, "p1", person)
        lines = [orjson.loads(line) for line in render_jsonl(todo, blind=True).splitlines()]
        for line in lines:
            line["labels"] = _label(person, line["id"])
        _import(store, lines, annotator=person)


def test_assignment_is_balanced_blind_and_double_tasks_get_two_people(
    ready: Setup, store: Store
) -> None:
    _import(store, task_rows(40))
    report = store.write(lambda c: assign_tasks(c, "p1", ["alice", "bob", "dan"], actor=ACTOR))
    assert report.tasks == 40 and report.short == []
    assert sum(report.assigned.values()) == 60  # 20 double + 20 single
    assert max(report.assigned.values()) - min(report.assigned.values()) <= 1
    with store.read() as conn:
        tasks = load_tasks(conn, "p1")
        alice_work = work_for(conn, "p1", "alice")
    for t in tasks:
        people = [p for p, r in t.assignments.items() if r == "annotate"]
        assert len(people) == (2 if t.double_annotation else 1) and len(set(people)) == len(people)
    blind = [orjson.loads(line) for line in render_jsonl(alice_work, blind=True).splitlines()]
    assert all(
        set(line) == {"id", "text", "source_id", "labels"} and line["labels"] is None
        for line in blind
    )
    again = store.write(lambda c: assign_tasks(c, "p1", ["alice", "bob", "dan"], actor=ACTOR))
    assert again.tasks == 0  # everything already has its people


def test_only_eligible_people_are_assigned_and_double_tasks_need_two(
    ready: Setup, store: Store
) -> None:
    _import(store, task_rows(4))
    store.write(lambda c: add_annotator(c, "fay", "Fay", actor=ACTOR))
    with pytest.raises(InputError, match="project p1: 'fay' has not taken the exam for rules r1"):
        store.write(lambda c: assign_tasks(c, "p1", ["alice", "fay"], actor=ACTOR))
    with pytest.raises(InputError, match="'carol' does not hold the annotator role"):
        store.write(lambda c: assign_tasks(c, "p1", ["alice", "carol"], actor=ACTOR))
    with pytest.raises(InputError, match="name at least two annotators"):
        store.write(lambda c: assign_tasks(c, "p1", ["alice"], actor=ACTOR))


def test_someone_else_cannot_annotate_an_assigned_task(ready: Setup, store: Store) -> None:
    _import(store, task_rows(4))
    store.write(lambda c: assign_tasks(c, "p1", ["alice", "bob"], actor=ACTOR))
    with store.read() as conn:
        task = next(t for t in load_tasks(conn, "p1") if not t.double_annotation)
    owner = next(iter(task.assignments))
    other = "bob" if owner == "alice" else "alice"
    with pytest.raises(
        InputError, match=f"task '{task.ext_id}' is assigned to {owner}, not '{other}'"
    ):
        _import(store, [{"id": task.ext_id, "labels": ["none"]}], annotator=other)


def test_suspended_people_are_unassigned_and_refused(ready: Setup, store: Store) -> None:
    _import(store, task_rows(6))
    store.write(lambda c: assign_tasks(c, "p1", ["alice", "bob"], actor=ACTOR))
    store.write(lambda c: set_status(c, "bob", "suspended", reason="quality", actor=ACTOR))
    with store.read() as conn:
        first = work_for(conn, "p1", "bob")[0].ext_id
    with pytest.raises(InputError, match="'bob' is suspended"):
        _import(store, [{"id": first, "labels": ["none"]}], annotator="bob")
    taken = store.write(lambda c: unassign(c, "p1", "bob", actor=ACTOR))
    assert taken > 0
    with store.read() as conn:
        assert work_for(conn, "p1", "bob") == []
    report = store.write(lambda c: assign_tasks(c, "p1", ["alice", "dan"], actor=ACTOR))
    assert report.tasks == taken


def _finished_project(store: Store) -> None:
    _import(store, task_rows(60))
    store.write(lambda c: assign_tasks(c, "p1", ["alice", "bob", "dan"], actor=ACTOR))
    _annotate_all(store, ["alice", "bob", "dan"])


def test_adjudication_settles_disputes_by_someone_who_did_not_annotate(
    ready: Setup, store: Store
) -> None:
    _finished_project(store)
    with store.read() as conn:
        open_disputes = disputes(conn, "p1")
    assert open_disputes and all(t.state() == "disputed" for t in open_disputes)
    decisions = [
        Decision(t.ext_id, ["A.2.d"], "rule 6 A.2.d", f"adj line {i}")
        for i, t in enumerate(open_disputes, 1)
    ]
    with pytest.raises(InputError, match="'alice' does not hold the reviewer role"):
        store.write(
            lambda c: record_reviews(
                c, "p1", decisions, kind="adjudication", reviewer="alice", actor=ACTOR
            )
        )
    report = store.write(
        lambda c: record_reviews(
            c, "p1", decisions, kind="adjudication", reviewer="carol", actor=ACTOR
        )
    )
    assert report.recorded == len(open_disputes)
    with store.read() as conn:
        assert disputes(conn, "p1") == []
        settled = {t.ext_id: t for t in load_tasks(conn, "p1")}
    assert all(
        settled[d.ext_id].final() == "A.2.d" and settled[d.ext_id].state() == "done"
        for d in decisions
    )
    undisputed = next(t for t in settled.values() if t.review("adjudication") is None)
    with pytest.raises(
        InputError, match=f"task '{undisputed.ext_id}' has no disagreement to adjudicate"
    ):
        _adjudicate(store, undisputed.ext_id, ["none"], "erin")
    with pytest.raises(InputError, match="already has a adjudication by 'carol'"):
        _adjudicate(store, decisions[0].ext_id, ["none"], "erin")


def test_an_annotator_of_a_task_cannot_review_it(ready: Setup, store: Store) -> None:
    _import(store, task_rows(2))
    store.write(lambda c: assign_tasks(c, "p1", ["erin", "alice"], actor=ACTOR))
    _annotate_all_as(store, "erin")
    with store.read() as conn:
        mine = [t for t in load_tasks(conn, "p1") if "erin" in t.annotators()]
    with pytest.raises(
        InputError, match=f"'erin' annotated task '{mine[0].ext_id}' and cannot review it"
    ):
        _adjudicate(store, mine[0].ext_id, ["none"], "erin")


def _annotate_all_as(store: Store, person: str) -> None:
    with store.read() as conn:
        todo = work_for(conn, "p1", person)
    _import(store, [{"id": t.ext_id, "labels": ["none"]} for t in todo], annotator=person)


def test_verification_sample_is_blind_random_and_only_drawn_tasks_are_verified(
    ready: Setup, store: Store
) -> None:
    _finished_project(store)
    with store.read() as conn:
        open_disputes = disputes(conn, "p1")
    store.write(
        lambda c: record_reviews(
            c,
            "p1",
            [Decision(t.ext_id, ["A.2.d"], None, "x") for t in open_disputes],
            kind="adjudication",
            reviewer="erin",
            actor=ACTOR,
        )
    )
    drawn = store.write(
        lambda c: draw_verification_sample(c, "p1", reviewer="carol", size=20, seed=3, actor=ACTOR)
    )
    assert len(drawn) == 20 and len({t.ext_id for t in drawn}) == 20
    blind = [orjson.loads(line) for line in render_jsonl(drawn, blind=True).splitlines()]
    assert all("annotations" not in line and line["labels"] is None for line in blind)
    more = store.write(
        lambda c: draw_verification_sample(c, "p1", reviewer="carol", size=100, seed=3, actor=ACTOR)
    )
    assert len(more) == 40 and not {t.ext_id for t in more} & {t.ext_id for t in drawn}
    truth = [
        Decision(t.ext_id, _label("alice", t.ext_id), None, f"v{i}") for i, t in enumerate(drawn)
    ]
    with pytest.raises(InputError, match="was not drawn for verification by 'erin'"):
        store.write(
            lambda c: record_reviews(
                c, "p1", truth[:1], kind="verification", reviewer="erin", actor=ACTOR
            )
        )
    store.write(
        lambda c: record_reviews(c, "p1", truth, kind="verification", reviewer="carol", actor=ACTOR)
    )
    with store.read() as conn:
        report = qa_report(conn, "p1")
    acc = report["verification"]
    assert acc["verified"] == 20 and acc["drawn"] == 60
    # the expected accuracies, recomputed here from the label rules and the stored annotations
    with store.read() as conn:
        verified = [t for t in load_tasks(conn, "p1") if t.review("verification")]
    for person in ("alice", "bob", "dan"):
        mine = [(t, a) for t in verified for a in t.live() if a.annotator == person]
        correct = sum(a.labels == ",".join(_label("alice", t.ext_id)) for t, a in mine)
        assert acc["per_annotator"].get(person, {"correct": 0, "n": 0})["correct"] == correct
        assert acc["per_annotator"].get(person, {"n": 0})["n"] == len(mine)
    assert acc["per_annotator"]["alice"]["rate"] == 1.0
    low, high = acc["per_annotator"]["alice"]["ci95"]
    assert high == 1.0 and 0.6 < low < 1.0


def test_qa_agreement_matches_scikit_learn_on_the_project_data(ready: Setup, store: Store) -> None:
    _finished_project(store)
    with store.read() as conn:
        report = qa_report(conn, "p1")
        tasks = load_tasks(conn, "p1")
    pairs = [t.live() for t in tasks if len(t.live()) == 2]
    a = [p[0].labels for p in pairs]
    b = [p[1].labels for p in pairs]
    overall = report["agreement"]["overall"]
    assert overall["pairs"] == len(pairs) == 30
    assert overall["kappa"] == pytest.approx(sklearn_kappa(a, b), abs=1e-9)
    row = next(r for r in report["agreement"]["per_label"] if r["label"] == "A.2.e")
    yes_a = ["A.2.e" in x for x in a]
    yes_b = ["A.2.e" in x for x in b]
    assert row["positives"] == sum(yes_a) + sum(yes_b) > 0
    assert row["kappa"] == pytest.approx(sklearn_kappa(yes_a, yes_b), abs=1e-9)
    unused = next(r for r in report["agreement"]["per_label"] if r["label"] == "A.5.b")
    assert (unused["positives"], unused["kappa"], unused["alpha"]) == (0, None, None)
    assert {(p["a"], p["b"]) for p in report["agreement"]["pairs"]} <= {
        ("alice", "bob"),
        ("alice", "dan"),
        ("bob", "dan"),
    }
    assert report["tasks"]["total"] == 60 and report["tasks"]["disputed"] > 0
    people = {p["id"]: p for p in report["annotators"]}
    assert people["alice"]["may_annotate"] and not people["alice"]["may_review"]
    assert people["carol"]["exam"]["passed"] and people["carol"]["annotations"] == 0


def test_the_html_report_escapes_names(ready: Setup, store: Store) -> None:
    store.write(lambda c: add_annotator(c, "mallory", "<script>alert(1)</script>", actor=ACTOR))
    _finished_project(store)
    with store.read() as conn:
        html = render_html(qa_report(conn, "p1"))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "Krippendorff" in html and "A.2.d" in html


def test_every_step_left_an_intact_audit_trail(ready: Setup, store: Store) -> None:
    _finished_project(store)
    with store.read() as conn:
        report = audit.verify(conn)
        from sqlalchemy import select

        from hegui.store.schema import audit_events

        actions = [
            r.action
            for r in conn.execute(select(audit_events.c.action).order_by(audit_events.c.seq))
        ]
    assert report.ok
    for action in (
        "annotation.rules.publish",
        "annotation.exam.set",
        "annotation.annotator.add",
        "annotation.exam.attempt",
        "annotation.project.create",
        "annotation.import",
        "annotation.assign",
    ):
        assert action in actions


def test_a_verifier_cannot_also_annotate_the_task(ready: Setup, store: Store) -> None:
    _finished_project(store)
    drawn = store.write(
        lambda c: draw_verification_sample(c, "p1", reviewer="erin", size=1, actor=ACTOR)
    )
    with pytest.raises(
        InputError, match=f"'erin' holds the 'verify' role in task '{drawn[0].ext_id}'"
    ):
        _import(store, [{"id": drawn[0].ext_id, "labels": ["none"]}], annotator="erin")
