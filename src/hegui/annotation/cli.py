"""``hegui annotate …``: rules, roster, exams, projects, tasks in and out, review, QA report.

Thin on purpose: each command reads its files, opens the store, calls one function of
``hegui.annotation`` inside a write transaction (which also writes the audit event) and prints a
summary. Heavy imports stay inside the command bodies so that ``hegui check`` starts fast. Bad
input raises :class:`hegui.errors.InputError`: exit code 2 and one line naming the item.
"""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``hegui annotate`` and its sub-commands to ``app``."""
    from hegui.annotation.cli_setup import register_setup
    from hegui.annotation.cli_work import register_work

    annotate = typer.Typer(
        help="Annotation governance: rules, annotators, exams, tasks, review, QA (Art. 8).",
        no_args_is_help=True,
    )
    app.add_typer(annotate, name="annotate")
    register_setup(annotate)
    register_work(annotate)
