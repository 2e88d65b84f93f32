"""``hegui ops incidents|disclosure|safe-answers|lexicon``: the console's record pages from the
shell (split from :mod:`hegui.ops.cli` to keep each module short). Same ops functions, same audit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hegui.ops.cli import _keyring, _plain
from hegui.store.cli import (
    ConfigOpt,
    JsonOpt,
    UrlOpt,
    cli_actor,
    emit,
    open_for_cli,
    read_store,
    write_store,
)

__all__ = ["register_records"]


def register_records(ops: typer.Typer) -> None:
    _register_incidents(ops)
    _register_disclosures(ops)
    _register_safe_answers(ops)
    _register_lexicon(ops)


def _register_incidents(ops: typer.Typer) -> None:
    group = typer.Typer(help="Incident disposal (Art. 14).", no_args_is_help=True)
    ops.add_typer(group, name="incidents")

    @group.command("list")
    def list_(
        state: Annotated[str, typer.Option("--state", help="open, closed or all.")] = "open",
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Incidents, newest first."""
        from hegui.ops import incident_actions

        items = read_store(
            url, config, lambda conn: incident_actions.list_incidents(conn, state=state, limit=500)
        )
        lines = [
            f"{i['id']}  {i['at']:%Y-%m-%d %H:%M}  {i['status']:6} {','.join(i['risk_codes'])}"
            for i in items
        ]
        emit(items, as_json, "\n".join(lines) or "none")

    @group.command("action")
    def action(
        incident_id: Annotated[str, typer.Argument(help="Incident id (inc_…).")],
        kind: Annotated[
            str,
            typer.Option(
                "--kind",
                help="stop_generation, stop_transmission, eliminate, lexicon, rectify or report.",
            ),
        ],
        note: Annotated[str, typer.Option("--note", help="What was done.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Record a disposal action (``eliminate`` erases the stored content at once)."""
        from hegui.ops import incident_actions

        action_id = write_store(
            url,
            config,
            lambda c: incident_actions.add_action(c, incident_id, kind, note, actor=cli_actor()),
        )
        typer.echo(f"action {action_id} recorded")

    @group.command("close")
    def close(
        incident_id: Annotated[str, typer.Argument(help="Incident id (inc_…).")],
        action: Annotated[
            int | None, typer.Option("--action", help="Close this tracked action instead.")
        ] = None,
        note: Annotated[str, typer.Option("--note", help="How the action ended.")] = "",
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Close a tracked action (``--action N --note …``) or the incident itself."""
        from hegui.ops import incident_actions

        _, store = open_for_cli(url, config)
        try:
            if action is not None:
                store.write(
                    lambda c: incident_actions.close_action(c, action, note, actor=cli_actor())
                )
            else:
                store.write(
                    lambda c: incident_actions.close_incident(c, incident_id, actor=cli_actor())
                )
        finally:
            store.close()
        typer.echo("closed")

    @group.command("report")
    def report(
        incident_id: Annotated[str, typer.Argument(help="Incident id (inc_…).")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Print the report for the competent authority as JSON (incident, evidence, actions, audit)."""
        from hegui.ops import incident_actions

        settings, store = open_for_cli(url, config)
        try:
            keyring = _keyring(settings, store)
            with store.read() as conn:
                data = incident_actions.incident_report(conn, incident_id, keyring=keyring)
        finally:
            store.close()
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _register_disclosures(ops: typer.Typer) -> None:
    group = typer.Typer(help="The public disclosure (Art. 10).", no_args_is_help=True)
    ops.add_typer(group, name="disclosure")

    @group.command("publish")
    def publish(
        version: Annotated[str, typer.Argument(help="New version name.")],
        file: Annotated[
            Path,
            typer.Option(
                "--file",
                help="JSON object of fields (audience, uses, limitations, models, filing_number, minors, labels, contact).",
            ),
        ],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Publish a new version of the disclosure."""
        from hegui.errors import InputError
        from hegui.ops import disclosures

        try:
            content = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{file}: {exc}") from None
        if not isinstance(content, dict) or not all(isinstance(v, str) for v in content.values()):
            raise InputError(f"{file}: expected a JSON object of text fields")
        write_store(
            url,
            config,
            lambda c: disclosures.publish_disclosure(c, version, content, actor=cli_actor()),
        )
        typer.echo(f"disclosure {version} published")


def _register_safe_answers(ops: typer.Typer) -> None:
    group = typer.Typer(help="Safe-answer knowledge base (安全代答).", no_args_is_help=True)
    ops.add_typer(group, name="safe-answers")

    @group.command("add")
    def add(
        question: Annotated[
            str, typer.Option("--question", help="The recurring sensitive question.")
        ],
        answer: Annotated[str, typer.Option("--answer", help="The approved answer.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Approve an answer (running gateways pick it up within seconds)."""
        from hegui.ops import safe_answers

        answer_id = write_store(
            url, config, lambda c: safe_answers.add_answer(c, question, answer, actor=cli_actor())
        )
        typer.echo(f"safe answer {answer_id} added")

    @group.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """Approved answers with how often each was served."""
        from hegui.ops import safe_answers

        items = read_store(url, config, safe_answers.list_answers)
        lines = [
            f"{a.id:4} {'active' if a.active else 'withdrawn':9} served={a.served:<6} {a.question}"
            for a in items
        ]
        emit([_plain(a) for a in items], as_json, "\n".join(lines) or "none")

    @group.command("withdraw")
    def withdraw(
        answer_id: Annotated[int, typer.Argument(help="Answer id.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Stop serving an answer."""
        from hegui.ops import safe_answers

        write_store(
            url, config, lambda c: safe_answers.set_active(c, answer_id, False, actor=cli_actor())
        )
        typer.echo(f"safe answer {answer_id} withdrawn")


def _register_lexicon(ops: typer.Typer) -> None:
    group = typer.Typer(
        help="Lexicon terms kept in the console (live in running gateways).", no_args_is_help=True
    )
    ops.add_typer(group, name="lexicon")

    @group.command("add")
    def add(
        term: Annotated[str, typer.Argument(help="The term.")],
        code: Annotated[str, typer.Option("--code", help="Risk code, e.g. A.1.a.")],
        severity: Annotated[str, typer.Option("--severity", help="high, medium or low.")] = "high",
        note: Annotated[str, typer.Option("--note", help="Why (source, incident id).")] = "",
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Add a term; running gateways apply it within seconds."""
        from hegui.ops import lexicon_terms

        term_id = write_store(
            url,
            config,
            lambda c: lexicon_terms.add_term(
                c, term, code, severity=severity, note=note, actor=cli_actor()
            ),
        )
        typer.echo(f"term {term_id} added")

    @group.command("list")
    def list_(
        query: Annotated[str, typer.Argument(help="Only terms containing this.")] = "",
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Console terms, newest first."""
        from hegui.ops import lexicon_terms

        items = read_store(url, config, lambda conn: lexicon_terms.list_terms(conn, query))
        lines = [
            f"{t['id']:4} {'active' if t['active'] else 'withdrawn':9} {t['code']:6} {t['term']}"
            for t in items
        ]
        emit(items, as_json, "\n".join(lines) or "none")

    @group.command("withdraw")
    def withdraw(
        term_id: Annotated[int, typer.Argument(help="Term id.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Stop matching a term."""
        from hegui.ops import lexicon_terms

        write_store(
            url,
            config,
            lambda c: lexicon_terms.set_term_active(c, term_id, False, actor=cli_actor()),
        )
        typer.echo(f"term {term_id} withdrawn")
