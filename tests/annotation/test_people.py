"""The roster, training records, exams, and the eligibility rule that gates every task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hegui.annotation.default_rules import default_rules_markdown
from hegui.annotation.exams import (
    Eligibility,
    ExamItem,
    get_exam,
    latest_attempts,
    parse_answers,
    parse_exam_items,
    set_exam,
    take_exam,
)
from hegui.annotation.labels import default_label_set
from hegui.annotation.roster import (
    add_annotator,
    get_annotator,
    list_annotators,
    record_training,
    set_status,
    training_hours,
    trainings,
)
from hegui.annotation.rules import publish_rules
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.db import Store
from hegui.store.schema import utcnow
from tests.annotation.helpers import ACTOR, GOLD, Setup, exam_items, jsonl, right_answers


def test_roster_training_and_status_changes_are_recorded(ready: Setup, store: Store) -> None:
    store.write(
        lambda c: record_training(
            c,
            "alice",
            topic="Rules r1 walkthrough",
            hours=2,
            trainer="Lead",
            held_on="2026-12-01",
            rules_version="r1",
            actor=ACTOR,
        )
    )
    store.write(
        lambda c: record_training(
            c,
            "alice",
            topic="Data security",
            hours=1.5,
            trainer="DPO",
            held_on="2026-12-02",
            actor=ACTOR,
        )
    )
    person = store.write(
        lambda c: set_status(c, "bob", "suspended", reason="left the team", actor=ACTOR)
    )
    assert person.status == "suspended" and person.status_reason == "left the team"
    with store.read() as conn:
        assert training_hours(conn) == {"alice": 3.5}
        assert [t.topic for t in trainings(conn, "alice")] == [
            "Rules r1 walkthrough",
            "Data security",
        ]
        assert [p.id for p in list_annotators(conn)] == ["alice", "bob", "carol", "dan", "erin"]
        assert get_annotator(conn, "carol").roles == ("reviewer",)
        assert audit.verify(conn).ok


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: add_annotator(c, "alice", "Again", actor=ACTOR), "already on the roster"),
        (lambda c: add_annotator(c, "a b", "Space", actor=ACTOR), "annotator id 'a b'"),
        (lambda c: add_annotator(c, "x", "X", ["boss"], actor=ACTOR), "unknown role 'boss'"),
        (
            lambda c: set_status(c, "alice", "fired", reason="r", actor=ACTOR),
            "status must be one of",
        ),
        (lambda c: set_status(c, "alice", "suspended", reason=" ", actor=ACTOR), "needs a reason"),
        (lambda c: set_status(c, "zoe", "suspended", reason="r", actor=ACTOR), "'zoe' is not on"),
        (
            lambda c: record_training(
                c, "alice", topic="t", hours=0, trainer="x", held_on="2026-12-01", actor=ACTOR
            ),
            "hours must be more than 0",
        ),
        (
            lambda c: record_training(
                c, "alice", topic="t", hours=1, trainer="x", held_on="1 Dec", actor=ACTOR
            ),
            "not YYYY-MM-DD",
        ),
    ],
)
def test_bad_roster_input_is_refused(
    ready: Setup, store: Store, call: object, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        store.write(call)  # type: ignore[arg-type]


def test_revoked_is_final(ready: Setup, store: Store) -> None:
    store.write(lambda c: set_status(c, "dan", "revoked", reason="breach", actor=ACTOR))
    with pytest.raises(InputError, match="was revoked"):
        store.write(lambda c: set_status(c, "dan", "active", reason="sorry", actor=ACTOR))


def test_exam_scoring_pass_fail_and_wrong_items(ready: Setup, store: Store) -> None:
    answers = right_answers()
    answers["e0"] = ["A.2.d"]  # wrong code
    del answers["e4"]  # unanswered counts as wrong
    result = store.write(lambda c: take_exam(c, "dan", "r1", answers, actor=ACTOR))
    assert (result.correct, result.total, result.passed) == (10, 12, False)
    assert result.wrong == ["e0", "e4"]
    assert result.score == pytest.approx(10 / 12)
    with store.read() as conn:
        assert latest_attempts(conn, "r1")["dan"].passed is False
        eligible = Eligibility(conn, "r1")
        assert "did not pass the exam for rules r1 (latest score 83%)" in (
            eligible.reason("dan", "annotate") or ""
        )
        assert eligible.reason("alice", "annotate") is None


def test_eligibility_reasons(ready: Setup, store: Store) -> None:
    store.write(lambda c: add_annotator(c, "fay", "Fay", actor=ACTOR))
    store.write(lambda c: set_status(c, "bob", "suspended", reason="audit", actor=ACTOR))
    with store.read() as conn:
        eligible = Eligibility(conn, "r1")
        assert eligible.reason("alice", "annotate") is None
        assert (
            eligible.reason("erin", "annotate") is None
            and eligible.reason("erin", "verify") is None
        )
        assert "not on the annotator roster" in (eligible.reason("zoe", "annotate") or "")
        assert "has not taken the exam" in (eligible.reason("fay", "annotate") or "")
        assert "is suspended" in (eligible.reason("bob", "annotate") or "")
        assert "does not hold the reviewer role" in (eligible.reason("alice", "adjudicate") or "")
        assert "does not hold the annotator role" in (eligible.reason("carol", "annotate") or "")
        with pytest.raises(InputError, match=r"^tasks\.jsonl line 3: 'fay' has not taken the exam"):
            eligible.require("fay", "annotate", where="tasks.jsonl line 3")


def test_a_pass_expires_after_valid_days_and_a_new_rules_version_needs_a_new_exam(
    store: Store,
) -> None:
    start = utcnow() - timedelta(days=400)

    def setup(c: object) -> None:
        publish_rules(c, "r1", default_rules_markdown("r1"), actor=ACTOR, now=start)  # type: ignore[arg-type]
        set_exam(c, "r1", exam_items(), pass_mark=0.9, valid_days=365, actor=ACTOR, now=start)  # type: ignore[arg-type]
        add_annotator(c, "alice", "Alice", actor=ACTOR, now=start)  # type: ignore[arg-type]
        take_exam(c, "alice", "r1", right_answers(), actor=ACTOR, now=start)  # type: ignore[arg-type]
        publish_rules(c, "r2", default_rules_markdown("r2"), actor=ACTOR)  # type: ignore[arg-type]

    store.write(setup)
    with store.read() as conn:
        assert (
            Eligibility(conn, "r1", now=start + timedelta(days=30)).reason("alice", "annotate")
            is None
        )
        expired = Eligibility(conn, "r1").reason("alice", "annotate") or ""
        assert "expired after 365 days" in expired
        assert "rules r2 have no exam yet" in (
            Eligibility(conn, "r2").reason("alice", "annotate") or ""
        )


def test_exam_set_rules(ready: Setup, store: Store) -> None:
    with pytest.raises(InputError, match="already have an exam"):
        store.write(lambda c: set_exam(c, "r1", exam_items(), pass_mark=0.8, actor=ACTOR))
    store.write(lambda c: publish_rules(c, "r2", default_rules_markdown("r2"), actor=ACTOR))
    too_few = exam_items()[:9]
    with pytest.raises(InputError, match="at least 10 items"):
        store.write(lambda c: set_exam(c, "r2", too_few, pass_mark=0.8, actor=ACTOR))
    all_none = [ExamItem(f"n{i}", "text", "none") for i in range(10)]
    with pytest.raises(InputError, match="items labelled 'none' and items with risk codes"):
        store.write(lambda c: set_exam(c, "r2", all_none, pass_mark=0.8, actor=ACTOR))
    with pytest.raises(InputError, match="pass mark"):
        store.write(lambda c: set_exam(c, "r2", exam_items(), pass_mark=90, actor=ACTOR))
    with store.read() as conn:
        exam = get_exam(conn, "r1")
        assert [i.id for i in exam.items] == [g[0] for g in GOLD]
        with pytest.raises(InputError, match="rules r2 have no exam yet"):
            get_exam(conn, "r2")


def test_exam_files_are_parsed_with_errors_naming_the_line() -> None:
    rows = [{"id": g[0], "text": "t", "labels": g[1].split(",")} for g in GOLD]
    assert [
        i.labels for i in parse_exam_items(jsonl(rows), default_label_set(), source="exam.jsonl")
    ] == [g[1] for g in GOLD]
    rows[3]["labels"] = ["A.7.q"]
    with pytest.raises(InputError, match=r"^exam.jsonl line 4 \(item e3\): unknown label 'A.7.q'"):
        parse_exam_items(jsonl(rows), default_label_set(), source="exam.jsonl")
    rows[3] = {"id": "e0", "text": "dup", "labels": ["none"]}
    with pytest.raises(InputError, match="line 4: item id 'e0' already used on line 1"):
        parse_exam_items(jsonl(rows), default_label_set(), source="exam.jsonl")
    with pytest.raises(InputError, match=r"exam.jsonl line 2: not valid JSON"):
        parse_exam_items(
            b'{"id": 1, "text": "a", "labels": ["none"]}\n{oops\n',
            default_label_set(),
            source="exam.jsonl",
        )
    with pytest.raises(InputError, match="answered twice"):
        parse_answers(
            b'{"id": "e1", "labels": ["none"]}\n{"id": "e1", "labels": ["none"]}\n',
            source="a.jsonl",
        )


def test_answers_to_unknown_items_or_with_unknown_labels_are_refused(
    ready: Setup, store: Store
) -> None:
    with pytest.raises(InputError, match="not in the exam of r1: e99"):
        store.write(lambda c: take_exam(c, "dan", "r1", {"e99": ["none"]}, actor=ACTOR))
    with pytest.raises(InputError, match=r"answer to item 'e1': unknown label 'A\.0\.x'"):
        store.write(lambda c: take_exam(c, "dan", "r1", {"e1": ["A.0.x"]}, actor=ACTOR))
