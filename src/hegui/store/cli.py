"""Sub-commands of the store room: ``db``, ``audit``, ``purge``; and the CLI plumbing (``--url``,
``--config``, ``--json``, opening the store, the acting user) every room's commands share.

Thin on purpose: each command opens the store, calls one ``hegui.ops`` function inside a write
transaction (which also writes the audit event) and prints the result. Heavy imports stay inside
the command bodies so ``hegui check`` starts fast. Errors are ``hegui.errors`` exceptions, which
the root command turns into exit code 2 and one line on stderr.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

__all__ = [
    "ConfigOpt",
    "JsonOpt",
    "UrlOpt",
    "cli_actor",
    "cli_settings",
    "emit",
    "open_for_cli",
    "read_store",
    "register",
    "write_store",
]

T = TypeVar("T")

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from hegui.config import Settings
    from hegui.store.db import Store

UrlOpt = Annotated[str | None, typer.Option("--url", help="Database URL (overrides store.url).")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="hegui.toml to read (default ./hegui.toml).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def cli_settings(url: str | None, config: Path | None) -> Settings:
    from hegui.config import load_settings

    settings = load_settings(config)
    if url:
        settings.store.url = url
    return settings


def open_for_cli(
    url: str | None, config: Path | None, *, mode: str = "create"
) -> tuple[Settings, Store]:
    """The settings and the store. ``mode``: ``read`` (must exist at the current schema; never
    created or migrated), ``write`` (must exist; migrated), ``create`` (made when missing)."""
    from hegui.store.db import open_existing, open_store

    settings = cli_settings(url, config)
    if mode == "create":
        return settings, open_store(settings.store.url)
    return settings, open_existing(settings.store.url, migrate=mode == "write")


def read_store(url: str | None, config: Path | None, fn: Callable[[Connection], T]) -> T:
    """``fn`` in a read transaction of the store (opened as :func:`open_for_cli` does), closed after."""
    _, store = open_for_cli(url, config)
    try:
        with store.read() as conn:
            return fn(conn)
    finally:
        store.close()


def write_store(url: str | None, config: Path | None, fn: Callable[[Connection], T]) -> T:
    """``fn`` in a write transaction of the store (its audit events commit with it), closed after."""
    _, store = open_for_cli(url, config)
    try:
        return store.write(fn)
    finally:
        store.close()


def cli_actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def emit(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, default=str) if as_json else text)


def _register_db(app: typer.Typer) -> None:
    db = typer.Typer(help="Database schema.", no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command("upgrade")
    def upgrade(url: UrlOpt = None, config: ConfigOpt = None) -> None:
        """Create or migrate the database to the newest schema."""
        from hegui.store.db import Store
        from hegui.store.migrate import upgrade as run_upgrade

        store = Store(cli_settings(url, config).store.url)
        try:
            typer.echo(f"database at revision {run_upgrade(store)}")
        finally:
            store.close()

    @db.command("quarantine")
    def quarantine(
        limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 100,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List usage records the database refused (kept in usage_quarantine, never lost)."""
        from hegui.store.quarantine import list_quarantine

        _, store = open_for_cli(url, config, mode="read")
        try:
            with store.read() as conn:
                rows = list_quarantine(conn, limit=limit)
        finally:
            store.close()
        lines = [
            f"{r['id']}  {r['at']:%Y-%m-%d %H:%M:%S}  {r['record_id'] or '-'}  {r['reason']}"
            for r in rows
        ]
        emit(rows, as_json, "\n".join(lines) or "no quarantined usage records")

    audit = typer.Typer(help="Hash-chained audit log.", no_args_is_help=True)
    app.add_typer(audit, name="audit")

    from hegui.store.audit_cli import register as register_audit

    register_audit(audit)

    @app.command("purge")
    def purge(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Count only; delete nothing.")
        ] = False,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Delete usage records, evidence and idle end users past their retention periods
        (audited)."""
        from hegui.store.crypto import Keyring, default_key_path, existing_master_key
        from hegui.store.db import sqlite_path
        from hegui.store.retention import purge as run_purge

        settings, store = open_for_cli(url, config, mode="read" if dry_run else "write")
        try:
            secret = settings.store.secret_key
            master = existing_master_key(
                secret.get_secret_value() if secret else None,
                default_key_path(sqlite_path(store.url)),
            )
            if master is None and _has_end_users(store):
                typer.echo("no store key found: end users are not purged", err=True)
            ring = Keyring(master) if master is not None else None
            if dry_run:
                with store.read() as conn:
                    report = run_purge(
                        conn, settings.store, actor=cli_actor(), dry_run=True, keyring=ring
                    )
            else:
                report = store.write(
                    lambda c: run_purge(c, settings.store, actor=cli_actor(), keyring=ring)
                )
        finally:
            store.close()
        data = report.as_dict()
        text = "\n".join(f"{k}: {v}" for k, v in data.items())
        emit(data, as_json, text)


def _has_end_users(store: Store) -> bool:
    from sqlalchemy import exists, select

    from hegui.store.schema import end_users

    with store.read() as conn:
        return bool(conn.execute(select(exists().select_from(end_users))).scalar())


def register(app: typer.Typer) -> None:
    """Add this room's commands to ``app`` (heavy imports stay inside the command bodies)."""
    _register_db(app)
