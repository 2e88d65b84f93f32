"""``hegui audit``: verify the chain (and the records it vouches for), print signed anchors.

Thin like the rest of the store room's commands: the rules are in :mod:`hegui.store.audit`,
:mod:`hegui.store.audit_records` and :mod:`hegui.store.anchor`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hegui.store.cli import ConfigOpt, JsonOpt, UrlOpt, open_for_cli

if TYPE_CHECKING:
    from hegui.config import Settings
    from hegui.store.db import Store

__all__ = ["register"]


def _master_key(settings: Settings, store: Store) -> bytes | None:
    """The deployment's master key (settings or key file), or None when there is none here
    (never created here: a new key would sign anchors nobody can match)."""
    from hegui.store.crypto import default_key_path, load_master_key, parse_key
    from hegui.store.db import sqlite_path

    secret = settings.store.secret_key
    if secret is not None:
        return parse_key(secret.get_secret_value())
    path = default_key_path(sqlite_path(store.url))
    return load_master_key(None, path) if path.exists() else None


def register(audit: typer.Typer) -> None:
    """Add ``verify`` and ``anchor`` to the ``hegui audit`` group."""

    @audit.command("verify")
    def verify(
        records: Annotated[
            bool,
            typer.Option(
                "--records",
                help="Also recompute the records the chain vouches for (usage, incidents, "
                "violations, sanctions, accounts, keys) and name every row that differs.",
            ),
        ] = False,
        anchor: Annotated[
            Path | None,
            typer.Option("--anchor", help="Check the chain against a published anchor file."),
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Check the audit chain; exit 0 when intact, 1 when anything was changed."""
        from hegui.store.audit import verify as run_verify

        anchored = None
        if anchor is not None:
            from hegui.store.anchor import parse_anchor

            try:
                anchored = parse_anchor(anchor.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                from hegui.errors import InputError

                raise InputError(f"{anchor}: cannot read ({type(exc).__name__})") from None
        settings, store = open_for_cli(url, config, mode="read")
        try:
            with store.read() as conn:
                report = run_verify(conn)
                rec = None
                if records:
                    from hegui.store.audit_records import verify_records

                    rec = verify_records(conn)
                check = None
                if anchored is not None:
                    from hegui.store.anchor import check_anchor

                    check = check_anchor(conn, anchored, _master_key(settings, store))
        finally:
            store.close()
        ok = report.ok and (rec is None or rec.ok) and (check is None or check.ok)
        if as_json:
            data = report.as_dict()
            if rec is not None:
                data["records"] = rec.as_dict()
            if check is not None:
                data["anchor"] = check.as_dict()
            data["ok"] = ok
            typer.echo(json.dumps(data, ensure_ascii=False))
        else:
            for p in report.problems:
                typer.echo(f"event {p.seq}: {p.kind}: {p.message}")
            state = "intact" if report.ok else f"TAMPERED ({len(report.problems)} problems)"
            typer.echo(f"audit chain {state}: {report.events} events, head {report.head_hash}")
            if rec is not None:
                for r in rec.problems:
                    typer.echo(f"{r.table} {r.key}: {r.kind}: {r.message}")
                counts = ", ".join(f"{n} {t}" for t, n in rec.checked.items())
                state = "as vouched for" if rec.ok else f"CHANGED ({len(rec.problems)} rows)"
                typer.echo(f"records {state}: {counts}")
                if rec.unsealed_events:
                    typer.echo(
                        f"note: {rec.unsealed_events} events predate record sealing; the rows"
                        " they wrote cannot be recomputed"
                    )
            if check is not None:
                typer.echo(f"anchor {'holds' if check.ok else 'BROKEN'}: {check.message}")
        raise typer.Exit(0 if ok else 1)

    @audit.command("anchor")
    def anchor_(
        out: Annotated[
            Path | None, typer.Option("--out", help="Write the anchor to this file too.")
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Print the chain's head, signed: publish it daily outside the database."""
        from hegui.store.anchor import make_anchor

        settings, store = open_for_cli(url, config, mode="read")
        try:
            master = _master_key(settings, store)
            if master is None:
                from hegui.errors import ConfigError

                raise ConfigError(
                    "no master key: set store.secret_key or run where the gateway's key file is"
                )
            with store.read() as conn:
                doc = make_anchor(conn, master)
        finally:
            store.close()
        text = json.dumps(doc, ensure_ascii=False)
        if out is not None:
            out.write_text(text + "\n", encoding="utf-8")
        typer.echo(text)
