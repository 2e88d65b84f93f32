"""``hegui annotate import|export|assign|work|disputes|adjudicate|sample|verify|report``."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hegui.annotation.cli_io import (
    OutOpt,
    Project,
    load_user_map,
    read_input,
    run_read,
    run_write,
    write_output,
)
from hegui.store.cli import ConfigOpt, JsonOpt, UrlOpt, cli_actor, emit

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["register_work"]


def _detect(raw: bytes, path: Path, fmt: str) -> str:
    from hegui.errors import InputError

    if fmt != "auto":
        if fmt not in ("jsonl", "label-studio"):
            raise InputError(f"unknown format {fmt!r}: use jsonl, label-studio or auto")
        return fmt
    if path.suffix == ".jsonl":
        return "jsonl"
    return "label-studio" if raw.lstrip()[:1] == b"[" else "jsonl"


def _register_tasks(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        project_id: Project,
        file: Annotated[Path, typer.Argument(help="JSON Lines or a Label Studio JSON export.")],
        fmt: Annotated[str, typer.Option("--format", help="auto, jsonl or label-studio.")] = "auto",
        annotator: Annotated[
            str | None,
            typer.Option("--annotator", help="Who made the labels in a JSONL work file."),
        ] = None,
        user_map: Annotated[
            Path | None,
            typer.Option("--user-map", help='JSON {"<LS user id or e-mail>": "<annotator>"}.'),
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Import tasks and annotations: all or nothing; errors name the item."""
        from hegui.annotation.jsonl import parse_jsonl
        from hegui.annotation.labelstudio import parse_label_studio
        from hegui.annotation.projects import get_project
        from hegui.annotation.rules import get_rules
        from hegui.annotation.tasks import import_tasks

        raw = read_input(file)
        kind = _detect(raw, file, fmt)
        users = load_user_map(user_map)
        sha = hashlib.sha256(raw).hexdigest()

        def run(c: Connection) -> Any:
            project = get_project(c, project_id)
            if kind == "jsonl":
                items = parse_jsonl(raw, project, source=str(file), annotator=annotator)
            else:
                allowed = get_rules(c, project.rules_version).labels
                items = parse_label_studio(
                    raw, project, allowed=allowed, source=str(file), user_map=users
                )
            return import_tasks(
                c, project.id, items, actor=cli_actor(), fmt=kind, source=file.name, sha256=sha
            )

        report = run_write(url, config, run)
        emit(
            report.as_dict(),
            as_json,
            f"{report.project}: {report.tasks_added} tasks added ({report.double_selected} for double "
            f"annotation), {report.tasks_matched} matched, {report.annotations_added} annotations added, "
            f"{report.annotations_unchanged} unchanged",
        )

    @app.command("export")
    def export(
        project_id: Project,
        out: OutOpt,
        fmt: Annotated[str, typer.Option("--format", help="jsonl or label-studio.")] = "jsonl",
        user_map: Annotated[
            Path | None,
            typer.Option("--user-map", help="Map annotators back to Label Studio users."),
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Export every task with its annotations (and, in JSONL, reviews and final labels)."""
        from hegui.annotation.jsonl import render_jsonl
        from hegui.annotation.labelstudio import render_label_studio
        from hegui.annotation.projects import get_project
        from hegui.annotation.tasks import load_tasks
        from hegui.errors import InputError

        if fmt not in ("jsonl", "label-studio"):
            raise InputError(f"unknown format {fmt!r}: use jsonl or label-studio")
        users = load_user_map(user_map)

        def run(c: Connection) -> tuple[bytes, int]:
            project = get_project(c, project_id)
            tasks = load_tasks(c, project.id)
            if fmt == "jsonl":
                return render_jsonl(tasks, id_field=project.id_field), len(tasks)
            return render_label_studio(tasks, project, user_map=users), len(tasks)

        data, count = run_read(url, config, run)
        write_output(out, data)
        if str(out) != "-":
            typer.echo(f"wrote {count} tasks to {out}")

    @app.command("assign")
    def assign(
        project_id: Project,
        people: Annotated[list[str], typer.Argument(help="Annotator ids.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Assign open tasks to eligible annotators (two different people on double tasks)."""
        from hegui.annotation.assign import assign_tasks

        report = run_write(
            url, config, lambda c: assign_tasks(c, project_id, people, actor=cli_actor())
        )
        per = ", ".join(f"{p} {n}" for p, n in report.assigned.items())
        short = f"; {len(report.short)} tasks still short of people" if report.short else ""
        emit(report.as_dict(), as_json, f"{report.tasks} tasks assigned: {per}{short}")

    @app.command("unassign")
    def unassign_(
        project_id: Project,
        person: Annotated[str, typer.Argument(help="Annotator id.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Take back a person's unfinished tasks."""
        from hegui.annotation.assign import unassign

        count = run_write(url, config, lambda c: unassign(c, project_id, person, actor=cli_actor()))
        typer.echo(f"took back {count} tasks from {person}")

    @app.command("work")
    def work(
        project_id: Project,
        person: Annotated[str, typer.Argument(help="Annotator id.")],
        out: OutOpt,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Write a person's blind work file: their open tasks, no one else's labels."""
        from hegui.annotation.assign import work_for
        from hegui.annotation.jsonl import render_jsonl
        from hegui.annotation.projects import get_project

        id_field, tasks = run_read(
            url,
            config,
            lambda c: (get_project(c, project_id).id_field, work_for(c, project_id, person)),
        )
        write_output(out, render_jsonl(tasks, id_field=id_field, blind=True))
        if str(out) != "-":
            typer.echo(f"wrote {len(tasks)} tasks for {person} to {out}")


def _register_review(app: typer.Typer) -> None:
    @app.command("disputes")
    def disputes_(
        project_id: Project, out: OutOpt, url: UrlOpt = None, config: ConfigOpt = None
    ) -> None:
        """Write the disputed tasks (with both annotations) for a reviewer to adjudicate."""
        from hegui.annotation.jsonl import render_jsonl
        from hegui.annotation.projects import get_project
        from hegui.annotation.review import disputes

        id_field, tasks = run_read(
            url, config, lambda c: (get_project(c, project_id).id_field, disputes(c, project_id))
        )
        write_output(out, render_jsonl(tasks, id_field=id_field))
        if str(out) != "-":
            typer.echo(f"wrote {len(tasks)} disputed tasks to {out}")

    def _decide(kind: str) -> Any:
        def command(
            project_id: Project,
            file: Annotated[Path, typer.Argument(help='JSON Lines {"id", "labels", "note"?}.')],
            reviewer: Annotated[str, typer.Option("--reviewer", help="Reviewer id.")],
            url: UrlOpt = None,
            config: ConfigOpt = None,
            as_json: JsonOpt = False,
        ) -> None:
            from hegui.annotation import review
            from hegui.annotation.projects import get_project

            raw = read_input(file)

            def run(c: Connection) -> Any:
                decisions = review.parse_decisions(
                    raw, get_project(c, project_id), source=str(file)
                )
                return review.record_reviews(
                    c, project_id, decisions, kind=kind, reviewer=reviewer, actor=cli_actor()
                )

            report = run_write(url, config, run)
            emit(
                report.as_dict(),
                as_json,
                f"{kind}: {report.recorded} recorded, {report.unchanged} unchanged, {report.undecided} undecided",
            )

        return command

    app.command("adjudicate", help="Record a reviewer's final labels for disputed tasks.")(
        _decide("adjudication")
    )
    app.command(
        "verify", help="Record a reviewer's labels for the verification sample drawn for them."
    )(_decide("verification"))

    @app.command("sample")
    def sample(
        project_id: Project,
        reviewer: Annotated[str, typer.Option("--reviewer", help="Reviewer id.")],
        out: OutOpt,
        size: Annotated[int | None, typer.Option("--size", help="Number of tasks.")] = None,
        share: Annotated[
            float | None, typer.Option("--share", help="Share of finished tasks.")
        ] = None,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the draw.")] = 0,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Draw a random verification sample for a reviewer and write it blind."""
        from hegui.annotation.jsonl import render_jsonl
        from hegui.annotation.projects import get_project
        from hegui.annotation.review import draw_verification_sample

        id_field, drawn = run_write(
            url,
            config,
            lambda c: (
                get_project(c, project_id).id_field,
                draw_verification_sample(
                    c,
                    project_id,
                    reviewer=reviewer,
                    size=size,
                    share=share,
                    seed=seed,
                    actor=cli_actor(),
                ),
            ),
        )
        write_output(out, render_jsonl(drawn, id_field=id_field, blind=True))
        if str(out) != "-":
            typer.echo(f"drew {len(drawn)} tasks for {reviewer} to verify; wrote {out}")

    @app.command("report")
    def report_(
        project_id: Project,
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder for qa.json and qa.html.")],
        min_alpha: Annotated[float, typer.Option("--min-alpha", help="Agreement target.")] = 0.667,
        min_accuracy: Annotated[
            float,
            typer.Option(
                "--min-accuracy", help="Target for the lower bound of final-label accuracy."
            ),
        ] = 0.95,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Write the QA report (JSON and HTML) and print its headline numbers."""
        from hegui.annotation.quality import qa_report
        from hegui.annotation.report import write_report

        data = run_read(
            url,
            config,
            lambda c: qa_report(c, project_id, min_alpha=min_alpha, min_accuracy=min_accuracy),
        )
        json_path, html_path = write_report(data, out)
        overall = data["agreement"]["overall"]
        final = data["verification"]["final_labels"]

        def fmt(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        typer.echo(
            f"{data['tasks']['total']} tasks ({data['tasks']['done']} done, {data['tasks']['disputed']} disputed); "
            f"kappa {fmt(overall['kappa'])}, alpha {fmt(overall['alpha'])}; "
            f"final labels verified correct {fmt(final['rate'])} of {final['n']}"
        )
        typer.echo(f"wrote {json_path} and {html_path}")


def register_work(app: typer.Typer) -> None:
    """Tasks in and out, assignment, review and the QA report."""
    _register_tasks(app)
    _register_review(app)
