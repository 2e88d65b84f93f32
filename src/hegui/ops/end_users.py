"""End users behind one app key: pseudonymous records under the app's account (issue 14).

A provider's backend holds one API key and serves many people. When it names the person (the
OpenAI ``user`` field or an ``X-Hegui-User`` header), hegui keeps an *end user*: an ``accounts``
row of its own, so agreement acceptance (Art. 9), minors' mode (Art. 10), violations, rate limits
and sanctions (Art. 14) apply to that person with the same code as to any account, linked in
``end_users`` to the app's account by a keyed hash (HMAC with the store's secret) of the id the
app sent. The id itself is never stored, logged or audited: the same id under another app, or
under another store secret, gives an unrelated record.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from hegui.errors import InputError
from hegui.ops import agreements
from hegui.ops.accounts import Account, get_account, set_age_band
from hegui.ops.paging import DEFAULT_LIMIT, Page, keyset_page
from hegui.ops.records import AgeBand, Sanction
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.crypto import Keyring
from hegui.store.schema import accounts, end_users, utcnow

__all__ = [
    "END_USER_NAME",
    "check_end_user_id",
    "end_user_of",
    "end_user_state",
    "ensure_end_user",
    "external_hash",
    "get_end_user",
    "is_end_user",
    "list_end_users",
    "lookup_end_user",
    "page_end_users",
    "update",
]

END_USER_NAME = "end user"  # accounts.name of every end user: nothing personal in it


def check_end_user_id(value: object, max_chars: int) -> str:
    """The end-user id as sent, or :class:`InputError` saying what is wrong with it.

    A non-empty string of at most ``max_chars`` printable characters (no control characters or
    line breaks), so it can be neither confused with "no id" nor smuggle anything into a header.
    """
    if not isinstance(value, str):
        raise InputError("the end-user id ('user' or X-Hegui-User) must be a string")
    if not value.strip():
        raise InputError("the end-user id ('user' or X-Hegui-User) must not be empty")
    if len(value) > max_chars:
        raise InputError(f"the end-user id must be at most {max_chars} characters")
    if not value.isprintable():
        raise InputError("the end-user id must not contain control characters or line breaks")
    return value


def external_hash(keyring: Keyring, app_account_id: str, external_id: str) -> str:
    """Keyed hash (HMAC-SHA256 with the store secret) of an app's id for one of its users."""
    return keyring.pseudonym(f"end-user\0{app_account_id}\0{external_id}")


def _select() -> Any:
    return select(accounts, end_users.c.app_account_id).join(
        end_users, end_users.c.account_id == accounts.c.id
    )


def lookup_end_user(conn: Connection, app_account_id: str, ext_hash: str) -> Row[Any] | None:
    """The end user's account row (with ``app_account_id``), or None before first sight."""
    stmt = _select().where(
        end_users.c.app_account_id == app_account_id, end_users.c.external_id_hash == ext_hash
    )
    row: Row[Any] | None = conn.execute(stmt).one_or_none()
    return row


def ensure_end_user(
    conn: Connection, app_account_id: str, ext_hash: str, *, now: datetime | None = None
) -> Row[Any]:
    """The end user's row, created on first sight; safe when replicas race for the same id.

    The new end user starts in the app account's age band (an app for children makes children
    of its users) with no agreement accepted and no sanction. The link is inserted with
    ``ON CONFLICT DO NOTHING``: the loser of a race removes its own account row, in the same
    transaction, and reads the winner's.
    """
    found = lookup_end_user(conn, app_account_id, ext_hash)
    if found is not None:
        return found
    app = get_account(conn, app_account_id)
    if is_end_user(conn, app_account_id):
        raise InputError("an end user cannot have end users of its own")
    now = now or utcnow()
    account_id = secrets.token_hex(8)
    conn.execute(
        insert(accounts).values(
            id=account_id,
            name=END_USER_NAME,
            age_band=app.age_band.value,
            agreement_version=None,
            sanction=Sanction.NORMAL.value,
            sanction_reason=None,
            sanction_until=None,
            training_opt_out=app.training_opt_out,
            created_at=now,
            updated_at=now,
        )
    )
    values = {
        "account_id": account_id,
        "app_account_id": app_account_id,
        "external_id_hash": ext_hash,
        "created_at": now,
    }
    dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        dialect(end_users)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(end_users.c.account_id)
    )
    if conn.execute(stmt).scalar_one_or_none() is None:  # another request created it first
        conn.execute(delete(accounts).where(accounts.c.id == account_id))
        winner = lookup_end_user(conn, app_account_id, ext_hash)
        assert winner is not None
        return winner
    audit.append(
        conn,
        actor="gateway",
        action="end_user.create",
        subject=f"account:{account_id}",
        after={"app_account_id": app_account_id, "age_band": app.age_band.value},
        detail={
            "rows": {**seal(conn, "accounts", account_id), **seal(conn, "end_users", account_id)}
        },
        at=now,
    )
    row = lookup_end_user(conn, app_account_id, ext_hash)
    assert row is not None
    return row


def is_end_user(conn: Connection, account_id: str) -> bool:
    """True when the account is an end user behind some app's key."""
    found = conn.execute(
        select(end_users.c.account_id).where(end_users.c.account_id == account_id)
    ).one_or_none()
    return found is not None


def end_user_of(conn: Connection, account_id: str, app_account_id: str | None = None) -> Account:
    """The end user (an :class:`Account`); InputError when it is none, or not ``app``'s."""
    row = conn.execute(
        select(end_users.c.app_account_id).where(end_users.c.account_id == account_id)
    ).one_or_none()
    if row is None or (app_account_id is not None and row.app_account_id != app_account_id):
        raise InputError(f"no end user {account_id!r}")
    return get_account(conn, account_id)


def page_end_users(
    conn: Connection, app_account_id: str, *, after: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[dict[str, Any]]:
    """One page of an app's end users by account id (ops.paging), as plain values; never the
    hashes."""
    get_account(conn, app_account_id)
    stmt = _select().where(end_users.c.app_account_id == app_account_id)
    page = keyset_page(conn, stmt, key=accounts.c.id, after=after, limit=limit)
    return Page([end_user_state(r) for r in page.items], page.has_more)


def list_end_users(
    conn: Connection, app_account_id: str, *, after: str | None = None, limit: int = DEFAULT_LIMIT
) -> list[dict[str, Any]]:
    """The end users of :func:`page_end_users`, without ``has_more``."""
    return page_end_users(conn, app_account_id, after=after, limit=limit).items


def end_user_state(row: Row[Any]) -> dict[str, Any]:
    """An end user's standing as plain values (API and CLI output)."""
    until = row.sanction_until
    return {
        "id": row.id,
        "app_account_id": row.app_account_id,
        "age_band": row.age_band,
        "agreement_version": row.agreement_version,
        "sanction": row.sanction,
        "sanction_reason": row.sanction_reason,
        "sanction_until": until.isoformat() if until else None,
        "created_at": row.created_at.isoformat(),
    }


def get_end_user(conn: Connection, account_id: str) -> dict[str, Any]:
    """One end user's standing; InputError when ``account_id`` is not an end user."""
    row = conn.execute(_select().where(accounts.c.id == account_id)).one_or_none()
    if row is None:
        raise InputError(f"no end user {account_id!r}")
    return end_user_state(row)


def update(
    conn: Connection,
    account_id: str,
    actor: str,
    *,
    agreement: str | None = None,
    age_band: AgeBand | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record an end user's acceptance of ``agreement`` (a version, or ``"current"``) and/or
    move it to ``age_band`` (minors' mode), audited as ``actor``; returns its new standing."""
    get_end_user(conn, account_id)
    if agreement is not None:
        version = None if agreement == "current" else agreement
        agreements.accept_agreement(conn, account_id, version, actor=actor, now=now)
    if age_band is not None:
        set_age_band(conn, account_id, age_band, actor=actor, now=now)
    return get_end_user(conn, account_id)
