"""``hegui annotate rules|annotator|exam|project``: the set-up before any task is labelled."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hegui.annotation.cli_io import OutOpt, Project, read_input, run_read, run_write, write_output
from hegui.store.cli import ConfigOpt, JsonOpt, UrlOpt, cli_actor, emit

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["register_setup"]


def _register_rules(app: typer.Typer) -> None:
    rules = typer.Typer(help="Versioned annotation rules (Markdown).", no_args_is_help=True)
    app.add_typer(rules, name="rules")

    @rules.command("default")
    def default(
        version: Annotated[
            str, typer.Option("--version", help="Version written into the title.")
        ] = "draft",
        out: OutOpt = Path("-"),
    ) -> None:
        """Write the default security rules (31 risks with examples) to edit and publish."""
        from hegui.annotation.default_rules import default_rules_markdown

        write_output(out, default_rules_markdown(version).encode("utf-8"))

    @rules.command("publish")
    def publish(
        version: Annotated[str, typer.Argument(help="New version, e.g. 2026-12.")],
        file: Annotated[Path, typer.Argument(help="The rules as Markdown.")],
        kind: Annotated[str, typer.Option("--kind", help="security or functional.")] = "security",
        labels: Annotated[
            str | None,
            typer.Option("--labels", help="Comma-separated label set (default: 31 risks + none)."),
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Publish a rules version; it becomes current for its kind and never changes."""
        from hegui.annotation.rules import publish_rules
        from hegui.errors import InputError

        try:
            text = read_input(file).decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{file}: not UTF-8") from None
        label_set = labels.split(",") if labels is not None else None
        published = run_write(
            url,
            config,
            lambda c: publish_rules(
                c, version, text, kind=kind, labels=label_set, actor=cli_actor()
            ),
        )
        emit(
            published.summary(),
            as_json,
            f"published {kind} rules {published.version} ({len(published.labels)} labels)",
        )

    @rules.command("show")
    def show(
        version: Annotated[str, typer.Argument(help="Rules version.")],
        out: OutOpt = Path("-"),
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Print the Markdown of a rules version (what inspectors ask for, Art. 19)."""
        from hegui.annotation.rules import get_rules

        found = run_read(url, config, lambda c: get_rules(c, version))
        write_output(out, found.text.encode("utf-8"))

    @rules.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List published rules versions, oldest first."""
        from hegui.annotation.rules import list_rules

        found = run_read(url, config, list_rules)
        lines = [f"{r.version}  {r.kind:10}  {r.published_at:%Y-%m-%d}  {r.title}" for r in found]
        emit([r.summary() for r in found], as_json, "\n".join(lines) or "no rules published")


def _register_people(app: typer.Typer) -> None:
    people = typer.Typer(help="The roster: annotators, reviewers, training.", no_args_is_help=True)
    app.add_typer(people, name="annotator")

    @people.command("add")
    def add(
        annotator_id: Annotated[str, typer.Argument(help="Short handle, e.g. alice.")],
        name: Annotated[str, typer.Option("--name", help="Display name.")],
        role: Annotated[
            list[str] | None, typer.Option("--role", help="annotator and/or reviewer (repeat).")
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Put a person on the roster."""
        from hegui.annotation.roster import add_annotator

        person = run_write(
            url,
            config,
            lambda c: add_annotator(
                c, annotator_id, name, role or ["annotator"], actor=cli_actor()
            ),
        )
        emit(person.state(), as_json, f"added {person.id} ({', '.join(person.roles)})")

    @people.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List the roster."""
        from hegui.annotation.roster import list_annotators

        found = run_read(url, config, list_annotators)
        lines = [f"{p.id:16} {','.join(p.roles):20} {p.status:10} {p.name}" for p in found]
        emit([p.state() for p in found], as_json, "\n".join(lines) or "roster is empty")

    @people.command("train")
    def train(
        annotator_id: Annotated[str, typer.Argument(help="Annotator id.")],
        topic: Annotated[str, typer.Option("--topic", help="What the session covered.")],
        hours: Annotated[float, typer.Option("--hours", help="Length in hours.")],
        trainer: Annotated[str, typer.Option("--trainer", help="Who gave it.")],
        held_on: Annotated[str, typer.Option("--date", help="YYYY-MM-DD.")],
        rules_version: Annotated[
            str | None, typer.Option("--rules", help="Rules version taught.")
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Record a training session a person attended."""
        from hegui.annotation.roster import record_training

        run_write(
            url,
            config,
            lambda c: record_training(
                c,
                annotator_id,
                topic=topic,
                hours=hours,
                trainer=trainer,
                held_on=held_on,
                rules_version=rules_version,
                actor=cli_actor(),
            ),
        )
        typer.echo(f"recorded {hours:g} h of training for {annotator_id}")

    @people.command("status")
    def status(
        annotator_id: Annotated[str, typer.Argument(help="Annotator id.")],
        new_status: Annotated[str, typer.Argument(help="active, suspended or revoked.")],
        reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Suspend, reinstate or revoke a person."""
        from hegui.annotation.roster import set_status

        person = run_write(
            url,
            config,
            lambda c: set_status(c, annotator_id, new_status, reason=reason, actor=cli_actor()),
        )
        typer.echo(f"{person.id} is {person.status}")


def _register_exams(app: typer.Typer) -> None:
    exam = typer.Typer(
        help="Exams per rules version: gold set, pass mark, attempts.", no_args_is_help=True
    )
    app.add_typer(exam, name="exam")

    @exam.command("set")
    def set_(
        rules_version: Annotated[str, typer.Argument(help="Rules version the exam tests.")],
        file: Annotated[
            Path, typer.Argument(help='Gold items, JSON Lines {"id","text","labels"}.')
        ],
        pass_mark: Annotated[
            float, typer.Option("--pass-mark", help="Share correct to pass, e.g. 0.9.")
        ],
        valid_days: Annotated[
            int | None, typer.Option("--valid-days", help="A pass expires after this many days.")
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Set the exam of a rules version (once)."""
        from hegui.annotation.exams import parse_exam_items, set_exam
        from hegui.annotation.rules import get_rules

        raw = read_input(file)

        def run(c: Connection) -> Any:
            items = parse_exam_items(raw, get_rules(c, rules_version).labels, source=str(file))
            return set_exam(
                c,
                rules_version,
                items,
                pass_mark=pass_mark,
                valid_days=valid_days,
                actor=cli_actor(),
            )

        found = run_write(url, config, run)
        typer.echo(
            f"exam for rules {rules_version}: {len(found.items)} items, pass mark {pass_mark:.0%}"
        )

    @exam.command("paper")
    def paper(
        rules_version: Annotated[str, typer.Argument(help="Rules version.")],
        out: OutOpt = Path("-"),
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Write the exam paper: items without answers, "labels": null to fill in."""
        import orjson

        from hegui.annotation.exams import get_exam

        found = run_read(url, config, lambda c: get_exam(c, rules_version))
        lines = [
            orjson.dumps({"id": i.id, "text": i.text, "labels": None}) + b"\n" for i in found.items
        ]
        write_output(out, b"".join(lines))

    @exam.command("take")
    def take(
        annotator_id: Annotated[str, typer.Argument(help="Who sat the exam.")],
        rules_version: Annotated[str, typer.Argument(help="Rules version.")],
        answers: Annotated[
            Path, typer.Argument(help='The filled paper, JSON Lines {"id","labels"}.')
        ],
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Score an attempt; exit 0 when passed, 1 when failed."""
        from hegui.annotation.exams import parse_answers, take_exam

        given = parse_answers(read_input(answers), source=str(answers))
        result = run_write(
            url,
            config,
            lambda c: take_exam(c, annotator_id, rules_version, given, actor=cli_actor()),
        )
        verdict = "passed" if result.passed else "failed"
        emit(
            result.as_dict(),
            as_json,
            f"{annotator_id}: {result.correct}/{result.total} ({result.score:.0%}), {verdict}",
        )
        raise typer.Exit(0 if result.passed else 1)


def _register_projects(app: typer.Typer) -> None:
    project = typer.Typer(help="Annotation projects.", no_args_is_help=True)
    app.add_typer(project, name="project")

    @project.command("create")
    def create(
        project_id: Project,
        name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
        rules_version: Annotated[
            str | None, typer.Option("--rules", help="Rules version (default: current).")
        ] = None,
        double_share: Annotated[
            float, typer.Option("--double-share", help="Share of tasks annotated twice.")
        ] = 0.2,
        seed: Annotated[
            int, typer.Option("--seed", help="Seed of the double-annotation draw.")
        ] = 0,
        id_field: Annotated[str, typer.Option("--id-field", help="Task id field.")] = "id",
        text_field: Annotated[str, typer.Option("--text-field", help="Task text field.")] = "text",
        source_field: Annotated[
            str, typer.Option("--source-field", help="Corpus source id field.")
        ] = "source_id",
        from_name: Annotated[
            str, typer.Option("--from-name", help="Label Studio Choices name.")
        ] = "risk",
        to_name: Annotated[str, typer.Option("--to-name", help="Label Studio Text name.")] = "text",
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create a project pinned to a rules version."""
        from hegui.annotation.projects import create_project

        made = run_write(
            url,
            config,
            lambda c: create_project(
                c,
                project_id,
                name=name,
                rules_version=rules_version,
                double_share=double_share,
                seed=seed,
                id_field=id_field,
                text_field=text_field,
                source_field=source_field,
                from_name=from_name,
                to_name=to_name,
                actor=cli_actor(),
            ),
        )
        emit(
            made.state(),
            as_json,
            f"project {made.id} on rules {made.rules_version}, {made.double_share:.0%} double-annotated",
        )

    @project.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List projects."""
        from hegui.annotation.projects import list_projects

        found = run_read(url, config, list_projects)
        lines = [
            f"{p.id:20} rules {p.rules_version:12} double {p.double_share:.0%}  {p.name}"
            for p in found
        ]
        emit([p.state() for p in found], as_json, "\n".join(lines) or "no projects")


def register_setup(app: typer.Typer) -> None:
    """Rules, roster, exams and projects."""
    _register_rules(app)
    _register_people(app)
    _register_exams(app)
    _register_projects(app)
