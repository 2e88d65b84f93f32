"""``hegui staff …`` and ``hegui ops …``: the console's workflows for scripts and cron.

Each command opens the store, calls the same :mod:`hegui.ops` function the console calls (which
writes its audit event in the same transaction) and prints text or ``--json``. Sanctions,
agreements and accounts already have their commands (``hegui account set``, ``hegui agreement``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hegui.store.cli import ConfigOpt, JsonOpt, UrlOpt, _actor, _emit, _notify, _open

if TYPE_CHECKING:
    from hegui.config import Settings
    from hegui.store.crypto import Keyring
    from hegui.store.db import Store

StateOpt = Annotated[str, typer.Option("--state", help="open, overdue, closed or all.")]


def _keyring(settings: Settings, store: Store) -> Keyring:
    """The same key the gateway uses (``store.secret_key`` or the key file beside the DB)."""
    from hegui.store.crypto import Keyring, default_key_path, load_master_key
    from hegui.store.db import sqlite_path

    secret = settings.store.secret_key
    master = load_master_key(
        secret.get_secret_value() if secret else None, default_key_path(sqlite_path(store.url))
    )
    return Keyring(master)


def _plain(value: Any) -> Any:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def register(app: typer.Typer) -> None:
    """Add ``staff`` and ``ops`` to the root command."""
    staff = typer.Typer(
        help="Console staff accounts (argon2 passwords, roles).", no_args_is_help=True
    )
    app.add_typer(staff, name="staff")
    ops = typer.Typer(
        help="Console workflows: complaints, requests, incidents, disclosures.",
        no_args_is_help=True,
    )
    app.add_typer(ops, name="ops")
    _register_staff(staff)
    _register_complaints(ops)
    _register_requests(ops)
    _register_incidents(ops)
    _register_disclosures(ops)
    _register_safe_answers(ops)
    _register_lexicon(ops)


def _register_staff(staff: typer.Typer) -> None:
    @staff.command("create")
    def create(
        username: Annotated[str, typer.Option("--username", help="Log-in name.")],
        role: Annotated[str, typer.Option("--role", help="admin, reviewer or auditor.")] = "admin",
        name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from standard input.")
        ] = False,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Create a member of staff (``hegui staff create --username admin`` bootstraps the first)."""
        from hegui.ops import staff as staff_ops

        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        _, store = _open(url, config)
        try:
            member = store.write(
                lambda c: staff_ops.create_staff(
                    c, username=username, name=name, role=role, password=password, actor=_actor()
                )
            )
        finally:
            store.close()
        typer.echo(f"created {member.username} ({member.role})")

    @staff.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List staff and their roles."""
        from hegui.ops import staff as staff_ops

        _, store = _open(url, config)
        try:
            with store.read() as conn:
                members = staff_ops.list_staff(conn)
        finally:
            store.close()
        text = "\n".join(f"{m.username:20} {m.role:9} {m.name}" for m in members) or "no staff"
        _emit([_plain(m) for m in members], as_json, text)


def _register_complaints(ops: typer.Typer) -> None:
    group = typer.Typer(help="Complaints and reports (Art. 15).", no_args_is_help=True)
    ops.add_typer(group, name="complaints")

    @group.command("list")
    def list_(
        state: StateOpt = "open",
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """The queue, earliest deadline first; overdue items are marked."""
        from hegui.ops import complaints
        from hegui.store.schema import utcnow

        settings, store = _open(url, config)
        try:
            keyring, now = _keyring(settings, store), utcnow()
            with store.read() as conn:
                items = complaints.list_complaints(
                    conn, keyring=keyring, now=now, state=state, limit=500
                )
        finally:
            store.close()
        lines = [
            f"{c.id}  {c.status:9} due {c.due_at:%Y-%m-%d}{'  OVERDUE' if c.overdue(now) else ''}  {c.category}"
            for c in items
        ]
        _emit([_plain(c) for c in items], as_json, "\n".join(lines) or "none")

    @group.command("answer")
    def answer(
        complaint_id: Annotated[str, typer.Argument(help="Complaint id (cmp_…).")],
        text: Annotated[str, typer.Option("--text", help="The answer the complainant will read.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Answer and close a complaint."""
        from hegui.ops import complaints

        settings, store = _open(url, config)
        try:
            store.write(
                lambda c: complaints.answer_complaint(
                    c, complaint_id, text, actor=_actor(), settings=settings.console
                )
            )
        finally:
            store.close()
        typer.echo(f"{complaint_id}: answered")

    @group.command("assign")
    def assign(
        complaint_id: Annotated[str, typer.Argument(help="Complaint id (cmp_…).")],
        to: Annotated[str, typer.Option("--to", help="Staff user name.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Assign a complaint to a member of staff."""
        from hegui.ops import complaints

        _, store = _open(url, config)
        try:
            store.write(lambda c: complaints.assign_complaint(c, complaint_id, to, actor=_actor()))
        finally:
            store.close()
        typer.echo(f"{complaint_id}: assigned to {to}")

    @group.command("escalate")
    def escalate(url: UrlOpt = None, config: ConfigOpt = None) -> None:
        """Escalate every open complaint past its deadline (run it from cron)."""
        from hegui.ops import complaints

        _, store = _open(url, config)
        try:
            ids = store.write(lambda c: complaints.escalate_overdue(c, actor=_actor()))
        finally:
            store.close()
        typer.echo(f"escalated {len(ids)}" + ("".join(f"\n{i}" for i in ids)))


def _register_requests(ops: typer.Typer) -> None:
    group = typer.Typer(help="Personal-information requests (Art. 11).", no_args_is_help=True)
    ops.add_typer(group, name="requests")

    @group.command("list")
    def list_(
        state: StateOpt = "open",
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Requests, earliest deadline first; overdue items are marked."""
        from hegui.ops import pi_requests
        from hegui.store.schema import utcnow

        settings, store = _open(url, config)
        try:
            keyring, now = _keyring(settings, store), utcnow()
            with store.read() as conn:
                items = pi_requests.list_requests(
                    conn, keyring=keyring, now=now, state=state, limit=500
                )
        finally:
            store.close()
        lines = [
            f"{r.id}  {r.kind:10} {r.status:8} due {r.due_at:%Y-%m-%d}{'  OVERDUE' if r.overdue(now) else ''}  {r.account_id or '-'}"
            for r in items
        ]
        _emit([_plain(r) for r in items], as_json, "\n".join(lines) or "none")

    @group.command("fulfil")
    def fulfil(
        request_id: Annotated[str, typer.Argument(help="Request id (pir_…).")],
        note: Annotated[str, typer.Option("--note", help="What the person is told.")] = "",
        name: Annotated[
            str | None, typer.Option("--name", help="Corrected name (correct/supplement).")
        ] = None,
        age_band: Annotated[
            str | None, typer.Option("--age-band", help="Corrected age band.")
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Carry a request out: erase, opt out, correct, or release the export."""
        from hegui.ops import pi_requests

        settings, store = _open(url, config)
        try:
            keyring = _keyring(settings, store)
            req = store.write(
                lambda c: pi_requests.fulfil_request(
                    c,
                    request_id,
                    keyring=keyring,
                    actor=_actor(),
                    name=name,
                    age_band=age_band,
                    note=note,
                )
            )
        finally:
            store.close()
        _notify(settings, "*")
        typer.echo(f"{req.id}: {req.status} — {req.outcome}")

    @group.command("reject")
    def reject(
        request_id: Annotated[str, typer.Argument(help="Request id (pir_…).")],
        reason: Annotated[str, typer.Option("--reason", help="Why, as the person will read it.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Refuse a request, with the reason."""
        from hegui.ops import pi_requests

        settings, store = _open(url, config)
        try:
            keyring = _keyring(settings, store)
            store.write(
                lambda c: pi_requests.reject_request(
                    c, request_id, reason, keyring=keyring, actor=_actor()
                )
            )
        finally:
            store.close()
        typer.echo(f"{request_id}: rejected")

    @group.command("export")
    def export(
        account_id: Annotated[str, typer.Argument(help="Account id.")],
        out: Annotated[Path, typer.Option("--out", help="Zip file to write (JSON and CSV).")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Write everything stored about an account to a zip (access and copy requests)."""
        from hegui.ops import personal_data

        settings, store = _open(url, config)
        try:
            keyring = _keyring(settings, store)
            with store.read() as conn:
                blob = personal_data.export_zip(
                    personal_data.collect(conn, account_id, keyring=keyring)
                )
        finally:
            store.close()
        out.write_bytes(blob)
        typer.echo(f"wrote {out} ({len(blob)} bytes)")


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

        _, store = _open(url, config)
        try:
            with store.read() as conn:
                items = incident_actions.list_incidents(conn, state=state, limit=500)
        finally:
            store.close()
        lines = [
            f"{i['id']}  {i['at']:%Y-%m-%d %H:%M}  {i['status']:6} {','.join(i['risk_codes'])}"
            for i in items
        ]
        _emit(items, as_json, "\n".join(lines) or "none")

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

        _, store = _open(url, config)
        try:
            action_id = store.write(
                lambda c: incident_actions.add_action(c, incident_id, kind, note, actor=_actor())
            )
        finally:
            store.close()
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

        _, store = _open(url, config)
        try:
            if action is not None:
                store.write(
                    lambda c: incident_actions.close_action(c, action, note, actor=_actor())
                )
            else:
                store.write(
                    lambda c: incident_actions.close_incident(c, incident_id, actor=_actor())
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

        settings, store = _open(url, config)
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
        _, store = _open(url, config)
        try:
            store.write(
                lambda c: disclosures.publish_disclosure(c, version, content, actor=_actor())
            )
        finally:
            store.close()
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

        _, store = _open(url, config)
        try:
            answer_id = store.write(
                lambda c: safe_answers.add_answer(c, question, answer, actor=_actor())
            )
        finally:
            store.close()
        typer.echo(f"safe answer {answer_id} added")

    @group.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """Approved answers with how often each was served."""
        from hegui.ops import safe_answers

        _, store = _open(url, config)
        try:
            with store.read() as conn:
                items = safe_answers.list_answers(conn)
        finally:
            store.close()
        lines = [
            f"{a.id:4} {'active' if a.active else 'withdrawn':9} served={a.served:<6} {a.question}"
            for a in items
        ]
        _emit([_plain(a) for a in items], as_json, "\n".join(lines) or "none")

    @group.command("withdraw")
    def withdraw(
        answer_id: Annotated[int, typer.Argument(help="Answer id.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Stop serving an answer."""
        from hegui.ops import safe_answers

        _, store = _open(url, config)
        try:
            store.write(lambda c: safe_answers.set_active(c, answer_id, False, actor=_actor()))
        finally:
            store.close()
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

        _, store = _open(url, config)
        try:
            term_id = store.write(
                lambda c: lexicon_terms.add_term(
                    c, term, code, severity=severity, note=note, actor=_actor()
                )
            )
        finally:
            store.close()
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

        _, store = _open(url, config)
        try:
            with store.read() as conn:
                items = lexicon_terms.list_terms(conn, query)
        finally:
            store.close()
        lines = [
            f"{t['id']:4} {'active' if t['active'] else 'withdrawn':9} {t['code']:6} {t['term']}"
            for t in items
        ]
        _emit(items, as_json, "\n".join(lines) or "none")

    @group.command("withdraw")
    def withdraw(
        term_id: Annotated[int, typer.Argument(help="Term id.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Stop matching a term."""
        from hegui.ops import lexicon_terms

        _, store = _open(url, config)
        try:
            store.write(lambda c: lexicon_terms.set_term_active(c, term_id, False, actor=_actor()))
        finally:
            store.close()
        typer.echo(f"term {term_id} withdrawn")
