"""Exams per rules version, attempts, and the eligibility rule that gates every task.

An exam is a gold set (texts with the right labels under one rules version) and a pass mark. An
attempt scores exact label-set matches. A person may annotate, adjudicate or verify a task only
while active, holding the role, and with a passed latest attempt at the exam of the task's rules
version that has not expired (``valid_days``; TC260-003 asks for periodic re-examination).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from hegui.annotation.jsonlines import dumps, read_jsonl
from hegui.annotation.labels import NONE, normalise_labels, split_labels
from hegui.annotation.roster import get_annotator
from hegui.annotation.rules import get_rules
from hegui.errors import InputError
from hegui.stats import wilson_interval
from hegui.store import audit
from hegui.store.schema import (
    annotation_exam_attempts,
    annotation_exam_items,
    annotation_exams,
    annotators,
    utcnow,
)

__all__ = [
    "MIN_EXAM_ITEMS",
    "ROLE_NEEDED",
    "Eligibility",
    "Exam",
    "ExamItem",
    "ExamResult",
    "get_exam",
    "latest_attempts",
    "parse_answers",
    "parse_exam_items",
    "set_exam",
    "take_exam",
]

MIN_EXAM_ITEMS = 10
# task role -> roster role needed
ROLE_NEEDED = {"annotate": "annotator", "adjudicate": "reviewer", "verify": "reviewer"}


@dataclass(frozen=True, slots=True)
class ExamItem:
    id: str
    text: str
    labels: str  # canonical joined form


@dataclass(frozen=True, slots=True)
class Exam:
    rules_version: str
    pass_mark: float
    valid_days: int | None
    items: tuple[ExamItem, ...]
    items_sha256: str


@dataclass(frozen=True, slots=True)
class ExamResult:
    annotator_id: str
    rules_version: str
    at: datetime
    correct: int
    total: int
    score: float
    passed: bool
    wrong: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        low, high = wilson_interval(self.correct, self.total)
        return {
            "annotator": self.annotator_id,
            "rules_version": self.rules_version,
            "at": self.at.isoformat(),
            "correct": self.correct,
            "total": self.total,
            "score": self.score,
            "ci95": [low, high],
            "passed": self.passed,
            "wrong": self.wrong,
        }


def parse_exam_items(raw: bytes, allowed: Iterable[str], *, source: str) -> list[ExamItem]:
    """Gold items from JSON Lines ``{"id", "text", "labels": [...]}``; errors name the line."""
    allowed = tuple(allowed)
    items: list[ExamItem] = []
    seen: dict[str, int] = {}
    for number, obj in read_jsonl(raw, source=source):
        where = f"{source} line {number}"
        item_id = obj.get("id")
        if not isinstance(item_id, str | int) or isinstance(item_id, bool) or str(item_id) == "":
            raise InputError(f"{where}: exam item needs an 'id' (string or integer)")
        item_id = str(item_id)
        if item_id in seen:
            raise InputError(f"{where}: item id {item_id!r} already used on line {seen[item_id]}")
        seen[item_id] = number
        text = obj.get("text")
        if not isinstance(text, str) or not text.strip():
            raise InputError(f"{where}: exam item {item_id!r} needs a non-empty 'text'")
        labels = normalise_labels(obj.get("labels"), allowed, where=f"{where} (item {item_id})")
        items.append(ExamItem(item_id, text, labels))
    return items


def set_exam(
    conn: Connection,
    rules_version: str,
    items: list[ExamItem],
    *,
    pass_mark: float,
    actor: str,
    valid_days: int | None = None,
    now: datetime | None = None,
) -> Exam:
    """Set the exam of a rules version, once: attempts refer to it, so it never changes."""
    rules = get_rules(conn, rules_version)
    if not 0.0 < pass_mark <= 1.0:
        raise InputError(
            f"pass mark must be a share above 0 and at most 1 (e.g. 0.9), not {pass_mark}"
        )
    if valid_days is not None and valid_days <= 0:
        raise InputError("valid days must be positive (or omitted for no expiry)")
    if len(items) < MIN_EXAM_ITEMS:
        raise InputError(f"an exam needs at least {MIN_EXAM_ITEMS} items, got {len(items)}")
    for item in items:
        for code in split_labels(item.labels):
            if code not in rules.labels:
                raise InputError(
                    f"exam item {item.id!r}: label {code!r} is not in rules {rules_version}"
                )
    golds = {item.labels for item in items}
    if NONE not in golds or golds == {NONE}:
        raise InputError("an exam needs items labelled 'none' and items with risk codes")
    if conn.execute(
        select(annotation_exams.c.rules_version).where(
            annotation_exams.c.rules_version == rules_version
        )
    ).first():
        raise InputError(f"rules {rules_version} already have an exam (exams never change)")
    now = now or utcnow()
    sha = hashlib.sha256(
        dumps([[i.id, i.text, i.labels] for i in items]).encode("utf-8")
    ).hexdigest()
    conn.execute(
        insert(annotation_exams).values(
            rules_version=rules_version,
            pass_mark=pass_mark,
            valid_days=valid_days,
            items_sha256=sha,
            created_at=now,
        )
    )
    conn.execute(
        insert(annotation_exam_items),
        [
            {
                "rules_version": rules_version,
                "item_id": item.id,
                "position": pos,
                "text": item.text,
                "labels": item.labels,
            }
            for pos, item in enumerate(items)
        ],
    )
    exam = Exam(rules_version, pass_mark, valid_days, tuple(items), sha)
    audit.append(
        conn,
        actor=actor,
        action="annotation.exam.set",
        subject=f"annotation_exam:{rules_version}",
        after={
            "rules_version": rules_version,
            "pass_mark": pass_mark,
            "valid_days": valid_days,
            "items": len(items),
            "items_sha256": sha,
        },
        at=now,
    )
    return exam


def get_exam(conn: Connection, rules_version: str) -> Exam:
    """The exam of ``rules_version``; an :class:`InputError` when none was set."""
    row = conn.execute(
        select(annotation_exams).where(annotation_exams.c.rules_version == rules_version)
    ).one_or_none()
    if row is None:
        raise InputError(f"rules {rules_version} have no exam yet (hegui annotate exam set)")
    items = conn.execute(
        select(annotation_exam_items)
        .where(annotation_exam_items.c.rules_version == rules_version)
        .order_by(annotation_exam_items.c.position)
    )
    return Exam(
        rules_version=rules_version,
        pass_mark=row.pass_mark,
        valid_days=row.valid_days,
        items=tuple(ExamItem(r.item_id, r.text, r.labels) for r in items),
        items_sha256=row.items_sha256,
    )


def parse_answers(raw: bytes, *, source: str) -> dict[str, Any]:
    """Answers from JSON Lines ``{"id": item, "labels": [...]}`` (labels checked when scored)."""
    answers: dict[str, Any] = {}
    for number, obj in read_jsonl(raw, source=source):
        item_id = obj.get("id")
        if item_id is None or isinstance(item_id, bool | dict | list):
            raise InputError(f"{source} line {number}: answer needs the item 'id'")
        if str(item_id) in answers:
            raise InputError(f"{source} line {number}: item {item_id!r} answered twice")
        answers[str(item_id)] = obj.get("labels")
    return answers


def take_exam(
    conn: Connection,
    annotator_id: str,
    rules_version: str,
    answers: Mapping[str, Any],
    *,
    actor: str,
    now: datetime | None = None,
) -> ExamResult:
    """Score one attempt (exact label-set match per item; unanswered items are wrong) and keep it."""
    person = get_annotator(conn, annotator_id)
    if person.status != "active":
        raise InputError(f"annotator {annotator_id!r} is {person.status}; reinstate them first")
    exam = get_exam(conn, rules_version)
    rules = get_rules(conn, rules_version)
    gold = {item.id: item.labels for item in exam.items}
    unknown = [key for key in answers if key not in gold]
    if unknown:
        raise InputError(
            f"answers name items not in the exam of {rules_version}: {', '.join(unknown[:5])}"
        )
    given = {
        key: normalise_labels(value, rules.labels, where=f"answer to item {key!r}")
        for key, value in answers.items()
    }
    wrong = [item.id for item in exam.items if given.get(item.id) != item.labels]
    total = len(exam.items)
    correct = total - len(wrong)
    score = correct / total
    now = now or utcnow()
    result = ExamResult(
        annotator_id, rules_version, now, correct, total, score, score >= exam.pass_mark, wrong
    )
    conn.execute(
        insert(annotation_exam_attempts).values(
            annotator_id=annotator_id,
            rules_version=rules_version,
            at=now,
            correct=correct,
            total=total,
            score=score,
            passed=result.passed,
            answers=dumps(given),
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="annotation.exam.attempt",
        subject=f"annotator:{annotator_id}",
        after={k: v for k, v in result.as_dict().items() if k != "wrong"},
        detail={"pass_mark": exam.pass_mark, "items_sha256": exam.items_sha256},
        at=now,
    )
    return result


def latest_attempts(conn: Connection, rules_version: str) -> dict[str, ExamResult]:
    """Each person's most recent attempt at the exam of ``rules_version``."""
    rows = conn.execute(
        select(annotation_exam_attempts)
        .where(annotation_exam_attempts.c.rules_version == rules_version)
        .order_by(annotation_exam_attempts.c.at, annotation_exam_attempts.c.id)
    )
    latest: dict[str, ExamResult] = {}
    for r in rows:
        latest[r.annotator_id] = ExamResult(
            r.annotator_id, r.rules_version, r.at, r.correct, r.total, r.score, r.passed
        )
    return latest


class Eligibility:
    """Who may take a role on tasks of one rules version, checked once per person and cached.

    ``reason(person, role)`` is None when allowed, else a sentence saying why not;
    ``require(person, role, where)`` raises an :class:`InputError` naming the item.
    """

    def __init__(self, conn: Connection, rules_version: str, *, now: datetime | None = None):
        self.rules_version = rules_version
        self.now = now or utcnow()
        exam_row = conn.execute(
            select(annotation_exams.c.valid_days).where(
                annotation_exams.c.rules_version == rules_version
            )
        ).one_or_none()
        self.has_exam = exam_row is not None
        self.valid_days: int | None = exam_row.valid_days if exam_row is not None else None
        self.people = {
            r.id: (tuple(r.roles.split(",")), r.status)
            for r in conn.execute(select(annotators.c.id, annotators.c.roles, annotators.c.status))
        }
        self.attempts = latest_attempts(conn, rules_version) if self.has_exam else {}
        self._cache: dict[tuple[str, str], str | None] = {}

    def reason(self, person: str, role: str) -> str | None:
        key = (person, role)
        if key not in self._cache:
            self._cache[key] = self._reason(person, role)
        return self._cache[key]

    def _reason(self, person: str, role: str) -> str | None:
        if person not in self.people:
            return f"{person!r} is not on the annotator roster"
        roles, status = self.people[person]
        needed = ROLE_NEEDED[role]
        if needed not in roles:
            return f"{person!r} does not hold the {needed} role"
        if status != "active":
            return f"{person!r} is {status}"
        only = "only people who passed the exam of a task's rules version get tasks"
        if not self.has_exam:
            return f"rules {self.rules_version} have no exam yet, so nobody has passed it; {only}"
        attempt = self.attempts.get(person)
        if attempt is None:
            return f"{person!r} has not taken the exam for rules {self.rules_version}; {only}"
        if not attempt.passed:
            return (
                f"{person!r} did not pass the exam for rules {self.rules_version} "
                f"(latest score {attempt.score:.0%}); {only}"
            )
        if self.valid_days is not None and attempt.at + timedelta(days=self.valid_days) < self.now:
            return (
                f"{person!r} passed the exam for rules {self.rules_version} on "
                f"{attempt.at.date()}, which expired after {self.valid_days} days; {only}"
            )
        return None

    def require(self, person: str, role: str, *, where: str) -> None:
        why = self.reason(person, role)
        if why is not None:
            raise InputError(f"{where}: {why}")
