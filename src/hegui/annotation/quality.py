"""The QA report of a project: progress, agreement per label, verified accuracy, the people.

Agreement is measured on tasks with two or more (non-cancelled) annotations. The whole label set
of an annotation is one nominal value; per label, each annotation says yes or no to that code.
Cohen's κ is computed on tasks with exactly two annotations (first and second by time), and
Krippendorff's α on all of them (it takes any number of annotators and missing ones). Accuracy
compares annotations and final labels with the verifier's labels on the verification sample, with
Wilson 95 % intervals. All formulas are in :mod:`hegui.stats`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import combinations
from typing import Any

from sqlalchemy import Connection, select

from hegui.annotation.exams import Eligibility, latest_attempts
from hegui.annotation.labels import display_name, split_labels
from hegui.annotation.projects import get_project
from hegui.annotation.records import TaskOut
from hegui.annotation.roster import list_annotators, training_hours
from hegui.annotation.rules import get_rules
from hegui.annotation.tasks import load_tasks
from hegui.stats import cohen_kappa, krippendorff_alpha, percent_agreement, wilson_interval
from hegui.store.schema import annotation_exams, utcnow

__all__ = ["accuracy", "agreement", "proportion", "qa_report"]


def proportion(correct: int, n: int) -> dict[str, Any]:
    """``{"correct", "n", "rate", "ci95"}`` with the Wilson 95 % interval (None when n is 0)."""
    if n == 0:
        return {"correct": 0, "n": 0, "rate": None, "ci95": None}
    low, high = wilson_interval(correct, n)
    return {"correct": correct, "n": n, "rate": correct / n, "ci95": [low, high]}


def _pair_stats(a: Sequence[Any], b: Sequence[Any]) -> dict[str, Any]:
    return {
        "kappa": cohen_kappa(a, b),
        "percent": percent_agreement(a, b),
    }


def agreement(tasks: Sequence[TaskOut], labels: Sequence[str]) -> dict[str, Any]:
    """Agreement overall, per label and per annotator pair (see the module docstring)."""
    multi = [[a for a in t.live()] for t in tasks if len(t.live()) >= 2]
    pairs = [m for m in multi if len(m) == 2]
    first = [m[0].labels for m in pairs]
    second = [m[1].labels for m in pairs]
    overall = {
        "tasks": len(multi),
        "pairs": len(pairs),
        **_pair_stats(first, second),
        "alpha": krippendorff_alpha([a.labels for a in m] for m in multi),
    }
    per_label = []
    for code in labels:
        positives = sum(code in split_labels(a.labels) for m in multi for a in m)
        row: dict[str, Any] = {"label": code, "name": display_name(code), "positives": positives}
        if positives:
            yes = [[code in split_labels(a.labels) for a in m] for m in multi]
            row.update(
                _pair_stats([y[0] for y in yes if len(y) == 2], [y[1] for y in yes if len(y) == 2])
            )
            row["alpha"] = krippendorff_alpha(yes)
        else:
            row.update({"kappa": None, "percent": None, "alpha": None})
        per_label.append(row)
    shared: dict[tuple[str, str], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for m in multi:
        for x, y in combinations(sorted(m, key=lambda a: a.annotator), 2):
            lists = shared[(x.annotator, y.annotator)]
            lists[0].append(x.labels)
            lists[1].append(y.labels)
    by_pair = [
        {"a": a, "b": b, "tasks": len(xs), **_pair_stats(xs, ys)}
        for (a, b), (xs, ys) in sorted(shared.items())
    ]
    return {"overall": overall, "per_label": per_label, "pairs": by_pair}


def accuracy(tasks: Sequence[TaskOut]) -> dict[str, Any]:
    """Accuracy against the verification sample: per annotator, all annotations, final labels."""
    verified = [t for t in tasks if t.review("verification") is not None]
    per_person: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    final_ok = final_n = 0
    for task in verified:
        truth = task.review("verification").labels  # type: ignore[union-attr]
        for a in task.live():
            per_person[a.annotator][0] += a.labels == truth
            per_person[a.annotator][1] += 1
        consensus = task.consensus()
        if consensus is not None:
            final_ok += consensus == truth
            final_n += 1
    total_ok = sum(v[0] for v in per_person.values())
    total_n = sum(v[1] for v in per_person.values())
    drawn = sum("verify" in t.assignments.values() for t in tasks)
    return {
        "drawn": drawn,
        "verified": len(verified),
        "final_labels": proportion(final_ok, final_n),
        "annotations": proportion(total_ok, total_n),
        "per_annotator": {p: proportion(ok, n) for p, (ok, n) in sorted(per_person.items())},
    }


def _people(
    conn: Connection, tasks: Sequence[TaskOut], rules_version: str, now: datetime
) -> list[dict[str, Any]]:
    hours = training_hours(conn)
    attempts = latest_attempts(conn, rules_version)
    eligible = Eligibility(conn, rules_version, now=now)
    valid_days = conn.execute(
        select(annotation_exams.c.valid_days).where(
            annotation_exams.c.rules_version == rules_version
        )
    ).scalar_one_or_none()
    done: dict[str, int] = defaultdict(int)
    reviewed: dict[str, int] = defaultdict(int)
    for t in tasks:
        for a in t.live():
            done[a.annotator] += 1
        for r in t.reviews:
            reviewed[r.reviewer] += 1
    out = []
    for person in list_annotators(conn):
        attempt = attempts.get(person.id)
        exam = None
        if attempt is not None:
            low, high = wilson_interval(attempt.correct, attempt.total)
            expires = attempt.at + timedelta(days=valid_days) if valid_days else None
            exam = {
                "score": attempt.score,
                "correct": attempt.correct,
                "total": attempt.total,
                "ci95": [low, high],
                "passed": attempt.passed,
                "at": attempt.at.isoformat(),
                "expires": expires.isoformat() if expires else None,
            }
        out.append(
            {
                "id": person.id,
                "name": person.name,
                "roles": list(person.roles),
                "status": person.status,
                "training_hours": hours.get(person.id, 0.0),
                "exam": exam,
                "may_annotate": eligible.reason(person.id, "annotate") is None,
                "may_review": eligible.reason(person.id, "verify") is None,
                "annotations": done[person.id],
                "reviews": reviewed[person.id],
            }
        )
    return out


def qa_report(
    conn: Connection,
    project_id: str,
    *,
    min_alpha: float = 0.667,
    min_accuracy: float = 0.95,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything a reviewer or inspector asks about one project, as plain JSON-ready data."""
    now = now or utcnow()
    project = get_project(conn, project_id)
    rules = get_rules(conn, project.rules_version)
    tasks = load_tasks(conn, project.id)
    states: dict[str, int] = defaultdict(int)
    for t in tasks:
        states[t.state()] += 1
    live = sum(len(t.live()) for t in tasks)
    agree = agreement(tasks, rules.labels)
    acc = accuracy(tasks)
    alpha = agree["overall"]["alpha"]
    final_ci = acc["final_labels"]["ci95"]
    return {
        "generated_at": now.isoformat(),
        "project": project.state(),
        "rules": {k: v for k, v in rules.summary().items() if k != "labels"},
        "tasks": {
            "total": len(tasks),
            "double_annotation": sum(t.double_annotation for t in tasks),
            "pending": states["pending"],
            "disputed": states["disputed"],
            "done": states["done"],
            "adjudicated": sum(t.review("adjudication") is not None for t in tasks),
            "annotations": live,
            "cancelled": sum(len(t.annotations) for t in tasks) - live,
        },
        "agreement": agree,
        "verification": acc,
        "annotators": _people(conn, tasks, rules.version, now),
        "targets": {
            "min_alpha": min_alpha,
            "alpha_met": alpha is not None and alpha >= min_alpha,
            "min_accuracy": min_accuracy,
            "accuracy_met": final_ci is not None and final_ci[0] >= min_accuracy,
        },
    }
