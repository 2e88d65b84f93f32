"""``hegui admin token …``: tokens for the admin HTTP API (``/admin/v1``), made from the shell.

The token is printed once; only its argon2 hash is kept. Scopes are listed by
``hegui admin token create --help`` and in docs/integration.md.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hegui.store.cli import ConfigOpt, JsonOpt, UrlOpt, cli_actor, emit, read_store, write_store

__all__ = ["SCOPE_HELP", "register_admin"]

# The scopes of hegui.ops.admin_tokens.SCOPES (a test keeps them equal), spelled out here so
# that building the command line does not import the hashing and database modules.
SCOPE_HELP = (
    "accounts:read, accounts:write, keys:write, end_users:read, end_users:write,"
    " sanctions:write, agreements:write"
)


def register_admin(app: typer.Typer) -> None:
    """Add ``admin token create|list|revoke`` to the root command."""
    admin = typer.Typer(help="The admin HTTP API (/admin/v1).", no_args_is_help=True)
    app.add_typer(admin, name="admin")
    token = typer.Typer(help="Admin API tokens: scoped, argon2-hashed.", no_args_is_help=True)
    admin.add_typer(token, name="token")

    @token.command("create")
    def create(
        name: Annotated[str, typer.Option("--name", help="What the token is for.")],
        scope: Annotated[
            list[str],
            typer.Option(
                "--scope",
                help="A scope to grant (repeat, or comma-separate; * = all): " + SCOPE_HELP + ".",
            ),
        ],
        url: UrlOpt = None,
        config: ConfigOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Create a token and print it once (send it as 'Authorization: Bearer <token>')."""
        from hegui.ops import admin_tokens

        new = write_store(
            url, config, lambda c: admin_tokens.create_token(c, name, scope, actor=cli_actor())
        )
        data = {"token_id": new.token_id, "name": new.name, "scopes": list(new.scopes)}
        emit(
            {**data, "token": new.token},
            as_json,
            f"{new.token}\n(scopes: {', '.join(new.scopes)}; shown once)",
        )

    @token.command("list")
    def list_(url: UrlOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
        """List tokens, their scopes and whether they are revoked (never the secrets)."""
        from hegui.ops import admin_tokens

        rows = read_store(url, config, admin_tokens.list_tokens)
        text = "\n".join(
            f"{r['token_id']}  {'revoked' if r['revoked_at'] else 'live':7}  {r['name']}  "
            + ",".join(r["scopes"])
            for r in rows
        )
        emit(rows, as_json, text or "no admin tokens")

    @token.command("revoke")
    def revoke(
        token_id: Annotated[str, typer.Argument(help="The token id (hga-<id>-…).")],
        url: UrlOpt = None,
        config: ConfigOpt = None,
    ) -> None:
        """Revoke a token for good (running gateways stop accepting it within the cache TTL)."""
        from hegui.ops import admin_tokens

        write_store(
            url, config, lambda c: admin_tokens.revoke_token(c, token_id, actor=cli_actor())
        )
        typer.echo(f"revoked {token_id}")
