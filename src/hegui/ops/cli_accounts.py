"""``hegui account``, ``hegui key`` and ``hegui agreement``: the account workflows from the shell.

Thin on purpose: each command opens the store, calls one ``hegui.ops`` function inside a write
transaction (which also writes the audit event) and prints the result. They live on the ops side
because they are workflows; the store's CLI module only lends the shared options and helpers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hegui.store.cli import ConfigOpt, JsonOpt, UrlOpt, cli_actor, emit, open_for_cli

if TYPE_CHECKING:
    from hegui.config import Settings

__all__ = ["notify", "register"]


def notify(settings: Settings, message: str) -> None:
    """Ask running gateways to drop cached accounts (changes reach them within the TTL anyway)."""
    if settings.store.redis_url:
        from hegui.ops.shared import publish_sync

        if not publish_sync(settings.store.redis_url, settings.store.redis_prefix, message):
            typer.echo(
                "warning: redis unreachable; gateways pick the change up within the cache TTL",
                err=True,
            )


def _register_accounts(app: typer.Typer) -> None:
    account = typer.Typer(help="User accounts: age band, opt-out, sanctions.", no_args_is_help=True)
    app.add_typer(account, name="account")

    @account.command("create")
    def create(
        name: Annotated[str, typer.Option("--name", help="Display name of the account.")],
        age_band: Annotated[str, typer.Option("--age-band", help="adult, under_16 or 16_17.")],
        accept_agreement: Annotated[
            bool, typer.Option("--accept-agreement", help="Also accept the current agreement.")
        ] = False,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create an account and print its id."""
        from hegui.ops import accounts, agreements

        band = accounts.parse_age_band(age_band)
        _, store = open_for_cli(url, config)

        def run(conn: Any) -> accounts.Account:
            acc = accounts.create_account(conn, name=name, age_band=band, actor=cli_actor())
            if accept_agreement:
                acc = agreements.accept_agreement(conn, acc.id, actor=cli_actor())
            return acc

        try:
            acc = store.write(run)
        finally:
            store.close()
        emit(acc.state(), as_json, acc.id)

    @account.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List accounts."""
        from hegui.ops import accounts

        _, store = open_for_cli(url, config, mode="read")
        try:
            with store.read() as conn:
                rows = accounts.list_accounts(conn)
        finally:
            store.close()
        lines = [
            f"{a.id}  {a.age_band.value:8}  {a.sanction.value:10}  agreement={a.agreement_version or '-'}"
            f"  opt_out={'yes' if a.training_opt_out else 'no'}  {a.name}"
            for a in rows
        ]
        emit([a.state() for a in rows], as_json, "\n".join(lines) or "no accounts")

    @account.command("set")
    def set_(
        account_id: Annotated[str, typer.Argument(help="Account id.")],
        age_band: Annotated[
            str | None, typer.Option("--age-band", help="adult, under_16 or 16_17.")
        ] = None,
        opt_out: Annotated[
            bool | None,
            typer.Option(
                "--training-opt-out/--training-opt-in", help="Use of inputs for training."
            ),
        ] = None,
        sanction: Annotated[
            str | None,
            typer.Option("--sanction", help="normal, warned, restricted, suspended or terminated."),
        ] = None,
        reason: Annotated[
            str | None, typer.Option("--reason", help="Why (required with --sanction).")
        ] = None,
        until: Annotated[
            str | None, typer.Option("--until", help="End of the sanction, ISO 8601 with offset.")
        ] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Change an account's age band, training opt-out or sanction (each change audited)."""
        from datetime import datetime

        from hegui.errors import InputError
        from hegui.ops import accounts, sanctions

        if age_band is None and opt_out is None and sanction is None:
            raise InputError(
                "nothing to change: give --age-band, --training-opt-out/-in or --sanction"
            )
        band = accounts.parse_age_band(age_band) if age_band else None
        to = sanctions.parse_sanction(sanction) if sanction else None
        if to is not None and not reason:
            raise InputError("--sanction needs --reason")
        end = None
        if until is not None:
            try:
                end = datetime.fromisoformat(until)
            except ValueError:
                raise InputError(f"--until: not an ISO 8601 time: {until!r}") from None
            if end.tzinfo is None:
                raise InputError("--until needs a UTC offset, e.g. 2026-12-01T00:00+08:00")
        settings, store = open_for_cli(url, config, mode="write")

        def run(conn: Any) -> accounts.Account:
            actor = cli_actor()
            if band is not None:
                accounts.set_age_band(conn, account_id, band, actor=actor)
            if opt_out is not None:
                accounts.set_training_opt_out(conn, account_id, opt_out, actor=actor)
            if to is not None:
                sanctions.set_sanction(
                    conn, account_id, to, reason=reason or "", until=end, actor=actor
                )
            return accounts.get_account(conn, account_id)

        try:
            acc = store.write(run)
        finally:
            store.close()
        notify(settings, f"account:{account_id}")
        emit(acc.state(), as_json, f"{acc.id}: {acc.age_band.value}, {acc.sanction.value}")


def _register_keys(app: typer.Typer) -> None:
    key = typer.Typer(help="API keys (stored as argon2 hashes).", no_args_is_help=True)
    app.add_typer(key, name="key")

    @key.command("create")
    def create(
        account_id: Annotated[str, typer.Argument(help="Account id.")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Create a key and print it once: it cannot be shown again."""
        from hegui.ops import keys

        _, store = open_for_cli(url, config, mode="write")
        try:
            new = store.write(lambda c: keys.create_key(c, account_id, actor=cli_actor()))
        finally:
            store.close()
        typer.echo(new.api_key)

    @key.command("revoke")
    def revoke(
        key_id: Annotated[str, typer.Argument(help="Key id (the part after 'hg-').")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Revoke a key; running gateways stop accepting it."""
        from hegui.ops import keys

        settings, store = open_for_cli(url, config, mode="write")
        try:
            store.write(lambda c: keys.revoke_key(c, key_id, actor=cli_actor()))
        finally:
            store.close()
        notify(settings, f"key:{key_id}")
        typer.echo(f"revoked {key_id}")

    @key.command("list")
    def list_(
        account_id: Annotated[str | None, typer.Argument(help="Only this account's keys.")] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List key ids and whether they are revoked (never the keys)."""
        from hegui.ops import keys

        _, store = open_for_cli(url, config, mode="read")
        try:
            with store.read() as conn:
                rows = keys.list_keys(conn, account_id)
        finally:
            store.close()
        lines = [
            f"{r['key_id']}  {r['account_id']}  {'revoked' if r['revoked_at'] else 'active'}"
            for r in rows
        ]
        emit(rows, as_json, "\n".join(lines) or "no keys")


def _register_agreements(app: typer.Typer) -> None:
    agreement = typer.Typer(help="Service agreements (Art. 9).", no_args_is_help=True)
    app.add_typer(agreement, name="agreement")

    @agreement.command("publish")
    def publish(
        version: Annotated[str, typer.Argument(help="Version label, e.g. 2026-11.")],
        agreement_url: Annotated[str, typer.Option("--url", help="Where users read this version.")],
        file: Annotated[
            Path | None, typer.Option("--file", help="Text of the agreement, kept with its hash.")
        ] = None,
        db_url: Annotated[
            str | None, typer.Option("--db", help="Database URL (overrides store.url).")
        ] = None,
        config: ConfigOpt = None,
    ) -> None:
        """Publish a new agreement version; every account must accept it before further service."""
        from hegui.errors import InputError
        from hegui.ops import agreements

        text = None
        if file is not None:
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(
                    f"{file}: cannot read agreement text ({type(exc).__name__})"
                ) from None
        settings, store = open_for_cli(db_url, config)
        try:
            store.write(
                lambda c: agreements.publish_agreement(
                    c, version, agreement_url, text=text, actor=cli_actor()
                )
            )
        finally:
            store.close()
        notify(settings, "agreement:")
        typer.echo(f"published agreement {version}")

    @agreement.command("accept")
    def accept(
        account_id: Annotated[str, typer.Argument(help="Account id.")],
        version: Annotated[str | None, typer.Argument(help="Version (default: current).")] = None,
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Record that an account accepted an agreement version."""
        from hegui.ops import agreements

        settings, store = open_for_cli(url, config, mode="write")
        try:
            acc = store.write(
                lambda c: agreements.accept_agreement(c, account_id, version, actor=cli_actor())
            )
        finally:
            store.close()
        notify(settings, f"account:{account_id}")
        typer.echo(f"{acc.id} accepted agreement {acc.agreement_version}")


def register(app: typer.Typer) -> None:
    """Add the account, key and agreement commands to ``app``."""
    _register_accounts(app)
    _register_keys(app)
    _register_agreements(app)
