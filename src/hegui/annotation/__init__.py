"""Annotation governance (Interim Measures Art. 8; TC260-003 §5.3): rules, people, tasks, QA.

Versioned rules covering the 31 Appendix-A risks (:mod:`.rules`, :mod:`.default_rules`); the
roster with training records (:mod:`.roster`); exams that gate every task (:mod:`.exams`);
projects and tasks in and out of the store (:mod:`.projects`, :mod:`.tasks`) as JSON Lines
(:mod:`.jsonl`) or Label Studio JSON (:mod:`.labelstudio`); blind assignment (:mod:`.assign`);
adjudication and sample verification (:mod:`.review`); agreement, accuracy and the QA report
(:mod:`.quality`, :mod:`.report`). Every function takes a SQLAlchemy connection inside a
transaction and writes its audit event in it; the console can call them as they are. Names load
lazily so that ``hegui`` commands start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "add_annotator",
    "assign_tasks",
    "create_project",
    "default_rules_markdown",
    "draw_verification_sample",
    "import_tasks",
    "load_tasks",
    "parse_jsonl",
    "parse_label_studio",
    "publish_rules",
    "qa_report",
    "record_reviews",
    "record_training",
    "render_html",
    "render_jsonl",
    "render_label_studio",
    "set_exam",
    "take_exam",
]

_WHERE = {
    "add_annotator": "hegui.annotation.roster",
    "assign_tasks": "hegui.annotation.assign",
    "create_project": "hegui.annotation.projects",
    "default_rules_markdown": "hegui.annotation.default_rules",
    "draw_verification_sample": "hegui.annotation.review",
    "import_tasks": "hegui.annotation.tasks",
    "load_tasks": "hegui.annotation.tasks",
    "parse_jsonl": "hegui.annotation.jsonl",
    "parse_label_studio": "hegui.annotation.labelstudio",
    "publish_rules": "hegui.annotation.rules",
    "qa_report": "hegui.annotation.quality",
    "record_reviews": "hegui.annotation.review",
    "record_training": "hegui.annotation.roster",
    "render_html": "hegui.annotation.report",
    "render_jsonl": "hegui.annotation.jsonl",
    "render_label_studio": "hegui.annotation.labelstudio",
    "set_exam": "hegui.annotation.exams",
    "take_exam": "hegui.annotation.exams",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'hegui.annotation' has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)
