"""The admin HTTP API under ``/admin/v1``: accounts, keys, end users, sanctions, agreements.

For providers who automate what the CLI does. Every route names the scope it needs (checked by
:class:`~hegui.gateway.admin_auth.AdminAuth`: bad token 401, missing scope 403), runs one
``hegui.ops`` function in one write transaction (which writes the audit event, actor
``admin:<token id>``, so a refused call leaves nothing half-created), drops the gateway's cached
state it changed, and answers JSON; errors are OpenAI error objects. FastAPI serves the OpenAPI
schema at ``/admin/v1/openapi.json``; it is off the gateway's hot path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from hegui.errors import HeguiError, InputError
from hegui.gateway.admin_auth import AdminAuth
from hegui.gateway.admin_models import (
    AcceptIn,
    AccountIn,
    AccountOut,
    AccountPage,
    AgreementIn,
    AgreementOut,
    EndUserOut,
    EndUserPage,
    KeyOut,
    KeyPage,
    MinorsIn,
    NewKeyOut,
    SanctionIn,
)
from hegui.gateway.errors import GatewayError, error_body, to_gateway_error
from hegui.ops import accounts, agreements, end_users, keys, sanctions
from hegui.ops.admin_tokens import AdminToken
from hegui.ops.paging import DEFAULT_LIMIT, MAX_LIMIT, PagingError
from hegui.ops.records import AgeBand, Sanction

if TYPE_CHECKING:
    from hegui.config import Settings
    from hegui.ops.backend import StoreBackend

__all__ = ["PREFIX", "admin_app"]

PREFIX = "/admin/v1"
T = TypeVar("T")
_bearer = HTTPBearer(auto_error=False, description="An admin token (hegui admin token create).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
# Every listing pages the same way (hegui.ops.paging): ``after`` the last id seen, ``limit`` rows.
After = Annotated[
    str | None,
    Query(max_length=64, description="The `last_id` of the previous page; omit for the first."),
]
Limit = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1–{MAX_LIMIT}."),
]


def _need(scope: str) -> Any:
    """A dependency answering the calling token when it grants ``scope`` (else 401/403)."""

    async def dep(request: Request, cred: Credentials) -> AdminToken:
        header = f"{cred.scheme} {cred.credentials}" if cred else None
        peer = request.client.host if request.client else None
        auth: AdminAuth = request.app.state.admin_auth
        return await auth.check(header, scope, peer)

    return Depends(dep)


AccountsRead = Annotated[AdminToken, _need("accounts:read")]
AccountsWrite = Annotated[AdminToken, _need("accounts:write")]
KeysWrite = Annotated[AdminToken, _need("keys:write")]
EndUsersRead = Annotated[AdminToken, _need("end_users:read")]
EndUsersWrite = Annotated[AdminToken, _need("end_users:write")]
SanctionsWrite = Annotated[AdminToken, _need("sanctions:write")]
AgreementsWrite = Annotated[AdminToken, _need("agreements:write")]


def admin_app(settings: Settings, backend: StoreBackend) -> FastAPI:
    """The admin API over a started store backend (its store, and its cache invalidation)."""
    app = FastAPI(
        title="hegui admin API",
        version="1",
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.admin_auth = AdminAuth(settings, lambda: backend.store)

    async def write(fn: Callable[[Connection], T], *forget: str) -> T:
        result = await backend.store.awrite(fn)
        for message in forget:
            await backend.invalidate(message)
        return result

    async def read(fn: Callable[[Connection], T]) -> T:
        store = backend.store

        def run() -> T:
            with store.read() as conn:
                return fn(conn)

        return await asyncio.to_thread(run)

    @app.exception_handler(HeguiError)
    async def _hegui_error(request: Request, exc: HeguiError) -> Response:
        return _error(_as_gateway(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        msg = f"{'.'.join(loc) or 'request'}: {first.get('msg', 'invalid')}"
        err = GatewayError(400, msg, code="invalid_request", param=".".join(loc) or None)
        return _error(err)

    # ---------------------------------------------------------------- accounts
    @app.post(f"{PREFIX}/accounts", status_code=201, tags=["accounts"])
    async def create_account(body: AccountIn, tok: AccountsWrite) -> AccountOut:
        """Create an account (an app, or a person served directly)."""
        made = await write(
            lambda c: accounts.create_account(
                c,
                name=body.name,
                age_band=AgeBand(body.age_band),
                training_opt_out=body.training_opt_out,
                actor=tok.actor,
            )
        )
        return AccountOut.of(made)

    @app.get(f"{PREFIX}/accounts", tags=["accounts"])
    async def list_accounts(
        tok: AccountsRead, after: After = None, limit: Limit = DEFAULT_LIMIT
    ) -> AccountPage:
        """One page of accounts, oldest first (end users are listed per app, below)."""
        page = await read(lambda c: accounts.page_accounts(c, after=after, limit=limit))
        data = [AccountOut.of(a) for a in page.items]
        last = data[-1].id if data else None
        return AccountPage(data=data, has_more=page.has_more, last_id=last)

    @app.get(f"{PREFIX}/accounts/{{account_id}}", tags=["accounts"])
    async def get_account(account_id: str, tok: AccountsRead) -> AccountOut:
        return AccountOut.of(await read(lambda c: accounts.get_account(c, account_id)))

    # ---------------------------------------------------------------- keys
    @app.post(f"{PREFIX}/accounts/{{account_id}}/keys", status_code=201, tags=["keys"])
    async def create_key(account_id: str, tok: KeysWrite) -> NewKeyOut:
        """Mint an API key for the account; ``api_key`` is shown in this answer only."""

        def run(conn: Connection) -> keys.NewKey:
            if end_users.is_end_user(conn, account_id):
                raise InputError("end users are served through their app's key")
            return keys.create_key(conn, account_id, actor=tok.actor)

        new = await write(run)
        return NewKeyOut(key_id=new.key_id, account_id=new.account_id, api_key=new.api_key)

    @app.get(f"{PREFIX}/keys", tags=["keys"])
    async def list_keys(
        tok: AccountsRead,
        account_id: str | None = None,
        after: After = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> KeyPage:
        """One page of API keys (of ``account_id``, or all), oldest first; never the secrets."""
        page = await read(lambda c: keys.page_keys(c, account_id, after=after, limit=limit))
        data = [KeyOut(**r) for r in page.items]
        last = data[-1].key_id if data else None
        return KeyPage(data=data, has_more=page.has_more, last_id=last)

    @app.post(f"{PREFIX}/keys/{{key_id}}/revoke", tags=["keys"])
    async def revoke_key(key_id: str, tok: KeysWrite) -> dict[str, Any]:
        """Revoke a key for good (every replica stops accepting it at once)."""
        account_id = await write(
            lambda c: keys.revoke_key(c, key_id, actor=tok.actor), f"key:{key_id}"
        )
        return {"key_id": key_id, "account_id": account_id, "revoked": True}

    # ---------------------------------------------------------------- end users
    @app.get(f"{PREFIX}/accounts/{{account_id}}/end_users", tags=["end users"])
    async def list_end_users(
        account_id: str, tok: EndUsersRead, after: After = None, limit: Limit = DEFAULT_LIMIT
    ) -> EndUserPage:
        """One page of the app's end users, by id."""
        page = await read(
            lambda c: end_users.page_end_users(c, account_id, after=after, limit=limit)
        )
        data = [EndUserOut(**r) for r in page.items]
        last = data[-1].id if data else None
        return EndUserPage(data=data, has_more=page.has_more, last_id=last)

    @app.get(f"{PREFIX}/end_users/{{end_user_id}}", tags=["end users"])
    async def get_end_user(end_user_id: str, tok: EndUsersRead) -> EndUserOut:
        return EndUserOut(**await read(lambda c: end_users.get_end_user(c, end_user_id)))

    @app.post(f"{PREFIX}/end_users/{{end_user_id}}/minors", tags=["end users"])
    async def set_minors(end_user_id: str, body: MinorsIn, tok: EndUsersWrite) -> EndUserOut:
        """Turn minors' mode on (``under_16``, ``16_17``) or off (``adult``) for an end user."""
        state = await write(
            lambda c: end_users.update(c, end_user_id, tok.actor, age_band=AgeBand(body.age_band)),
            f"account:{end_user_id}",
        )
        return EndUserOut(**state)

    # ---------------------------------------------------------------- sanctions
    @app.post(f"{PREFIX}/accounts/{{account_id}}/sanction", tags=["sanctions"])
    async def set_sanction(
        account_id: str, body: SanctionIn, tok: SanctionsWrite
    ) -> dict[str, Any]:
        """Apply a sanction to an account or an end user (its id), or lift it (``normal``)."""
        outcome = await write(
            lambda c: sanctions.set_sanction(
                c,
                account_id,
                Sanction(body.sanction),
                reason=body.reason,
                actor=tok.actor,
                until=body.until,
            ),
            f"account:{account_id}",
        )
        until = outcome.until.isoformat() if outcome.until else None
        return {
            "account_id": account_id,
            "sanction": str(outcome.sanction),
            "changed": outcome.changed,
            "until": until,
        }

    # ---------------------------------------------------------------- agreements
    @app.get(f"{PREFIX}/agreements/current", tags=["agreements"])
    async def current_agreement(tok: AccountsRead) -> AgreementOut | None:
        found = await read(agreements.current_agreement)
        return AgreementOut(version=found.version, url=found.url) if found else None

    @app.post(f"{PREFIX}/agreements", status_code=201, tags=["agreements"])
    async def publish_agreement(body: AgreementIn, tok: AgreementsWrite) -> AgreementOut:
        """Publish a new version: every account and end user must accept it again."""
        made = await write(
            lambda c: agreements.publish_agreement(
                c, body.version, body.url, text=body.text, actor=tok.actor
            ),
            "agreement:",
        )
        return AgreementOut(version=made.version, url=made.url)

    @app.post(f"{PREFIX}/accounts/{{account_id}}/agreement", tags=["agreements"])
    async def accept_agreement(
        account_id: str, body: AcceptIn, tok: AgreementsWrite
    ) -> dict[str, Any]:
        """Record that an account or end user accepted ``version`` (default: the current one)."""
        made = await write(
            lambda c: agreements.accept_agreement(c, account_id, body.version, actor=tok.actor),
            f"account:{account_id}",
        )
        return {"account_id": account_id, "agreement_version": made.agreement_version}

    return app


def _as_gateway(exc: Exception) -> GatewayError:
    if isinstance(exc, PagingError):
        return GatewayError(400, str(exc), code="invalid_request", param=exc.param)
    if isinstance(exc, InputError) and str(exc).startswith("no "):
        return GatewayError(404, str(exc), code="not_found")
    return to_gateway_error(exc)


def _error(err: GatewayError) -> Response:
    body = error_body(err.message, err.type, err.code, err.param, err.hegui)
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in err.headers}
    return Response(body, status_code=err.status, headers=headers, media_type="application/json")
