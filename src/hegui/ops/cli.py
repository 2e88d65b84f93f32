"""``hegui staff …`` and ``hegui ops …``: the console's workflows for scripts and cron.

Each command opens the store, calls the same :mod:`hegui.ops` function the console calls (which
writes its audit event in the same transaction) and prints text or ``--json``. Sanctions,
agreements and accounts already have their commands (``hegui account set``, ``hegui agreement``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from hegui.ops.cli_accounts import notify
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

if TYPE_CHECKING:
    from hegui.config import Settings
    from hegui.store.crypto import Keyring
    from hegui.store.db import Store

StateOpt = Annotated[str, typer.Option("--state", help="open, overdue, closed or all.")]


T = TypeVar("T")


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
    from hegui.ops.cli_admin import register_admin
    from hegui.ops.cli_records import register_records

    register_records(ops)
    register_admin(app)


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
        member = write_store(
            url,
            config,
            lambda c: staff_ops.create_staff(
                c, username=username, name=name, role=role, password=password, actor=cli_actor()
            ),
        )
        typer.echo(f"created {member.username} ({member.role})")

    @staff.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List staff and their roles."""
        from hegui.ops import staff as staff_ops

        members = read_store(url, config, staff_ops.list_staff)
        text = "\n".join(f"{m.username:20} {m.role:9} {m.name}" for m in members) or "no staff"
        emit([_plain(m) for m in members], as_json, text)


def _queue(
    url: str | None, config: Path | None, lister: Callable[..., list[T]], state: str
) -> tuple[list[T], datetime]:
    """A deadline queue (complaints, personal-information requests) and the time it was read at,
    which decides what is overdue."""
    from hegui.store.schema import utcnow

    settings, store = open_for_cli(url, config)
    try:
        keyring, now = _keyring(settings, store), utcnow()
        with store.read() as conn:
            return lister(conn, keyring=keyring, now=now, state=state, limit=500), now
    finally:
        store.close()


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

        items, now = _queue(url, config, complaints.list_complaints, state)
        lines = [
            f"{c.id}  {c.status:9} due {c.due_at:%Y-%m-%d}{'  OVERDUE' if c.overdue(now) else ''}  {c.category}"
            for c in items
        ]
        emit([_plain(c) for c in items], as_json, "\n".join(lines) or "none")

    @group.command("answer")
    def answer(
        complaint_id: Annotated[str, typer.Argument(help="Complaint id (cmp_…).")],
        text: Annotated[str, typer.Option("--text", help="The answer the complainant will read.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Answer and close a complaint."""
        from hegui.ops import complaints

        settings, store = open_for_cli(url, config)
        try:
            store.write(
                lambda c: complaints.answer_complaint(
                    c, complaint_id, text, actor=cli_actor(), settings=settings.console
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

        write_store(
            url,
            config,
            lambda c: complaints.assign_complaint(c, complaint_id, to, actor=cli_actor()),
        )
        typer.echo(f"{complaint_id}: assigned to {to}")

    @group.command("escalate")
    def escalate(url: UrlOpt = None, config: ConfigOpt = None) -> None:
        """Escalate every open complaint past its deadline (run it from cron)."""
        from hegui.ops import complaints

        ids = write_store(url, config, lambda c: complaints.escalate_overdue(c, actor=cli_actor()))
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

        items, now = _queue(url, config, pi_requests.list_requests, state)
        lines = [
            f"{r.id}  {r.kind:10} {r.status:8} due {r.due_at:%Y-%m-%d}{'  OVERDUE' if r.overdue(now) else ''}  {r.account_id or '-'}"
            for r in items
        ]
        emit([_plain(r) for r in items], as_json, "\n".join(lines) or "none")

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

        settings, store = open_for_cli(url, config)
        try:
            keyring = _keyring(settings, store)
            req = store.write(
                lambda c: pi_requests.fulfil_request(
                    c,
                    request_id,
                    keyring=keyring,
                    actor=cli_actor(),
                    name=name,
                    age_band=age_band,
                    note=note,
                )
            )
        finally:
            store.close()
        notify(settings, "*")
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

        settings, store = open_for_cli(url, config)
        try:
            keyring = _keyring(settings, store)
            store.write(
                lambda c: pi_requests.reject_request(
                    c, request_id, reason, keyring=keyring, actor=cli_actor()
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

        settings, store = open_for_cli(url, config)
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
