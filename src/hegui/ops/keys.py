"""API keys: ``hg-<key id>-<secret>``, shown once, stored only as an argon2 hash.

The key id is public and indexes the row, so authentication costs one lookup and one argon2
verification; the gateway backend then caches the result (sha256 of the presented key) so the
hot path never hashes with argon2 again.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, insert, select, update

from hegui.errors import InputError
from hegui.ops.accounts import get_account
from hegui.ops.paging import DEFAULT_LIMIT, Page, keyset_page
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.schema import accounts, api_keys, utcnow

__all__ = [
    "NewKey",
    "create_key",
    "list_keys",
    "lookup_key",
    "page_keys",
    "parse_api_key",
    "revoke_key",
    "verify_secret",
]

# OWASP's argon2id minimum (19 MiB, t=2, p=1): ~tens of ms, paid once per key per process.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_KEY_RE = re.compile(r"^hg-([0-9a-f]{12})-([A-Za-z0-9_-]{20,100})$")


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    account_id: str
    api_key: str  # the only time the full key exists outside the caller's hands
    created_at: datetime


def parse_api_key(api_key: str) -> str | None:
    """The key id of a well-formed key, else None."""
    match = _KEY_RE.match(api_key)
    return match.group(1) if match else None


_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(32))
    return _DUMMY_HASH


def verify_secret(secret_hash: str | None, api_key: str) -> bool:
    """Constant-time argon2 check of a presented key against its stored hash.

    ``secret_hash=None`` (no such key id, or a revoked key) verifies against a dummy hash with
    the same parameters and returns False: the time taken must not tell which key ids exist.
    """
    try:
        if secret_hash is None:
            _HASHER.verify(_dummy_hash(), api_key)
            return False
        return _HASHER.verify(secret_hash, api_key)
    except (VerificationError, InvalidHashError):
        return False


def create_key(
    conn: Connection, account_id: str, *, actor: str, now: datetime | None = None
) -> NewKey:
    """Mint a key for an existing account; the caller must show ``api_key`` once and forget it."""
    get_account(conn, account_id)
    now = now or utcnow()
    key_id = secrets.token_hex(6)
    api_key = f"hg-{key_id}-{secrets.token_urlsafe(32)}"
    conn.execute(
        insert(api_keys).values(
            key_id=key_id,
            account_id=account_id,
            secret_hash=_HASHER.hash(api_key),
            created_at=now,
            revoked_at=None,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="key.create",
        subject=f"key:{key_id}",
        after={"key_id": key_id, "account_id": account_id},
        detail={"rows": seal(conn, "api_keys", key_id)},  # the secret's hash included
        at=now,
    )
    return NewKey(key_id=key_id, account_id=account_id, api_key=api_key, created_at=now)


def revoke_key(conn: Connection, key_id: str, *, actor: str, now: datetime | None = None) -> str:
    """Revoke a key for good; returns its account id. Revoking twice is an input error."""
    row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).one_or_none()
    if row is None:
        raise InputError(f"no key {key_id!r}")
    if row.revoked_at is not None:
        raise InputError(f"key {key_id!r} is already revoked")
    now = now or utcnow()
    conn.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=now))
    audit.append(
        conn,
        actor=actor,
        action="key.revoke",
        subject=f"key:{key_id}",
        before={"key_id": key_id, "revoked": False},
        after={"key_id": key_id, "revoked": True},
        detail={"account_id": row.account_id, "rows": seal(conn, "api_keys", key_id)},
        at=now,
    )
    return str(row.account_id)


def lookup_key(conn: Connection, key_id: str) -> Row[Any] | None:
    """The live (unrevoked) key row joined with its account's columns, or None."""
    stmt = (
        select(api_keys.c.key_id, api_keys.c.secret_hash, accounts)
        .join(accounts, accounts.c.id == api_keys.c.account_id)
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
    )
    return conn.execute(stmt).one_or_none()


def _keys(account_id: str | None) -> Any:
    c = api_keys.c
    stmt = select(c.key_id, c.account_id, c.created_at, c.revoked_at)
    return stmt if account_id is None else stmt.where(c.account_id == account_id)


def list_keys(conn: Connection, account_id: str | None = None) -> list[dict[str, Any]]:
    """Key ids with their account and state, oldest first; never the hashes."""
    stmt = _keys(account_id).order_by(api_keys.c.created_at, api_keys.c.key_id)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def page_keys(
    conn: Connection,
    account_id: str | None = None,
    *,
    after: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[dict[str, Any]]:
    """One page of :func:`list_keys`: those after the key ``after`` (ops.paging)."""
    c = api_keys.c
    page = keyset_page(
        conn, _keys(account_id), key=c.key_id, at=c.created_at, after=after, limit=limit
    )
    return Page([dict(r._mapping) for r in page.items], page.has_more)
