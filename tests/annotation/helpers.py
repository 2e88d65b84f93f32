"""Building blocks for annotation tests: rules, an exam, people who passed it, a project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection

from hegui.annotation.default_rules import default_rules_markdown
from hegui.annotation.exams import ExamItem, set_exam, take_exam
from hegui.annotation.jsonl import parse_jsonl
from hegui.annotation.projects import create_project, get_project
from hegui.annotation.roster import add_annotator
from hegui.annotation.rules import publish_rules
from hegui.annotation.tasks import ImportReport, import_tasks
from hegui.store.db import Store

ACTOR = "test"
GOLD = [("e0", "A.2.e"), ("e1", "none"), ("e2", "A.2.d"), ("e3", "none"), ("e4", "A.1.g")]
GOLD += [(f"e{i}", "none") for i in range(5, 12)]


def exam_items() -> list[ExamItem]:
    return [ExamItem(item_id, f"exam text {item_id}", labels) for item_id, labels in GOLD]


def right_answers() -> dict[str, list[str]]:
    return {item_id: labels.split(",") for item_id, labels in GOLD}


@dataclass
class Setup:
    rules: str = "r1"
    project: str = "p1"


def build_setup(conn: Connection, *, double_share: float = 0.5) -> Setup:
    publish_rules(conn, "r1", default_rules_markdown("r1"), actor=ACTOR)
    set_exam(conn, "r1", exam_items(), pass_mark=0.9, actor=ACTOR)
    for person, roles in (
        ("alice", ["annotator"]),
        ("bob", ["annotator"]),
        ("dan", ["annotator"]),
        ("carol", ["reviewer"]),
        ("erin", ["annotator", "reviewer"]),
    ):
        add_annotator(conn, person, person.title(), roles, actor=ACTOR)
        take_exam(conn, person, "r1", right_answers(), actor=ACTOR)
    create_project(conn, "p1", double_share=double_share, seed=7, actor=ACTOR)
    return Setup()


def jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def task_rows(n: int, *, prefix: str = "t") -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}{i}", "text": f"第{i}条评论", "source_id": "cold-dev"} for i in range(n)
    ]


def import_jsonl(
    store: Store,
    rows: list[dict[str, Any]] | bytes,
    *,
    project: str = "p1",
    annotator: str | None = None,
    source: str = "tasks.jsonl",
) -> ImportReport:
    """Parse JSON Lines (rows or bytes) for ``project`` and import them in one transaction."""
    raw = rows if isinstance(rows, bytes) else jsonl(rows)

    def run(c: Connection) -> ImportReport:
        items = parse_jsonl(raw, get_project(c, project), source=source, annotator=annotator)
        return import_tasks(
            c, project, items, actor=ACTOR, fmt="jsonl", source=source, sha256="0" * 64
        )

    return store.write(run)


def sklearn_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """scikit-learn's Cohen's kappa, the oracle for ours. Imported on use: every test worker
    imports every test module, and scikit-learn costs each of them ~1 s of a core."""
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(a, b))
