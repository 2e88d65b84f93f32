"""Admin API tokens: ``hga-<token id>-<secret>``, scoped, shown once, stored argon2-hashed.

Made from the shell (``hegui admin token create --scope accounts:write ...``) so the first one
needs no HTTP; each names the scopes it grants, and the admin API (``/admin/v1``) refuses a call
whose scope the token lacks. Creating and revoking a token are audited; so is every mutating
call made with one (as actor ``admin:<token id>``, by the ops function the call runs).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, insert, select, update

from hegui.errors import InputError
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.schema import admin_tokens, utcnow

__all__ = [
    "SCOPES",
    "AdminToken",
    "NewAdminToken",
    "create_token",
    "find_token",
    "list_tokens",
    "parse_admin_token",
    "parse_scopes",
    "revoke_token",
    "verify_token",
]

SCOPES: dict[str, str] = {
    "accounts:read": "list and read accounts, keys and agreements",
    "accounts:write": "create accounts",
    "keys:write": "create and revoke API keys",
    "end_users:read": "list and read end users",
    "end_users:write": "set an end user's minors' mode",
    "sanctions:write": "apply and lift sanctions on accounts and end users",
    "agreements:write": "publish agreements and record acceptances",
}

_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_TOKEN_RE = re.compile(r"^hga-([0-9a-f]{12})-([A-Za-z0-9_-]{20,100})$")
_DUMMY: list[str] = []  # a hash to verify unknown token ids against, made on first need


@dataclass(frozen=True, slots=True)
class AdminToken:
    token_id: str
    name: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """Who the audit chain names for calls made with this token."""
        return f"admin:{self.token_id}"


@dataclass(frozen=True, slots=True)
class NewAdminToken:
    token_id: str
    name: str
    scopes: tuple[str, ...]
    token: str  # the only time the whole token exists outside the caller's hands


def parse_scopes(values: list[str]) -> tuple[str, ...]:
    """Known scopes, sorted, each once; ``*`` grants them all; an unknown one is an error."""
    if not values:
        raise InputError("give at least one --scope (" + ", ".join(SCOPES) + ", or *)")
    chosen: set[str] = set()
    for value in values:
        for scope in value.split(","):
            scope = scope.strip()
            if scope == "*":
                chosen.update(SCOPES)
            elif scope in SCOPES:
                chosen.add(scope)
            else:
                raise InputError(f"unknown scope {scope!r} (choose {', '.join(SCOPES)}, or *)")
    return tuple(sorted(chosen))


def parse_admin_token(token: str) -> str | None:
    """The token id of a well-formed admin token, else None."""
    match = _TOKEN_RE.match(token)
    return match.group(1) if match else None


def create_token(
    conn: Connection, name: str, scopes: list[str], *, actor: str, now: datetime | None = None
) -> NewAdminToken:
    """Mint a token granting ``scopes``; the caller shows ``token`` once and forgets it."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("token name must be 1–200 characters")
    granted = parse_scopes(scopes)
    now = now or utcnow()
    token_id = secrets.token_hex(6)
    token = f"hga-{token_id}-{secrets.token_urlsafe(32)}"
    conn.execute(
        insert(admin_tokens).values(
            token_id=token_id,
            name=name,
            scopes=list(granted),
            secret_hash=_HASHER.hash(token),
            created_by=actor,
            created_at=now,
            revoked_at=None,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="admin_token.create",
        subject=f"admin_token:{token_id}",
        after={"token_id": token_id, "name": name, "scopes": list(granted)},
        detail={"rows": seal(conn, "admin_tokens", token_id)},
        at=now,
    )
    return NewAdminToken(token_id=token_id, name=name, scopes=granted, token=token)


def find_token(conn: Connection, token_id: str) -> tuple[str, AdminToken] | None:
    """The live token's hash and record, or None (unknown or revoked)."""
    row = conn.execute(
        select(admin_tokens).where(
            admin_tokens.c.token_id == token_id, admin_tokens.c.revoked_at.is_(None)
        )
    ).one_or_none()
    if row is None:
        return None
    return row.secret_hash, AdminToken(row.token_id, row.name, frozenset(row.scopes))


def verify_token(secret_hash: str | None, token: str) -> bool:
    """Constant-time argon2 check; an unknown token id is checked against a dummy hash."""
    try:
        if secret_hash is None:
            if not _DUMMY:
                _DUMMY.append(_HASHER.hash(secrets.token_urlsafe(32)))
            _HASHER.verify(_DUMMY[0], token)
            return False
        return _HASHER.verify(secret_hash, token)
    except (VerificationError, InvalidHashError):
        return False


def revoke_token(
    conn: Connection, token_id: str, *, actor: str, now: datetime | None = None
) -> None:
    """Revoke a token for good; revoking an unknown or revoked one is an input error."""
    if find_token(conn, token_id) is None:
        raise InputError(f"no live admin token {token_id!r}")
    now = now or utcnow()
    conn.execute(
        update(admin_tokens).where(admin_tokens.c.token_id == token_id).values(revoked_at=now)
    )
    audit.append(
        conn,
        actor=actor,
        action="admin_token.revoke",
        subject=f"admin_token:{token_id}",
        before={"token_id": token_id, "revoked": False},
        after={"token_id": token_id, "revoked": True},
        detail={"rows": seal(conn, "admin_tokens", token_id)},
        at=now,
    )


def list_tokens(conn: Connection) -> list[dict[str, Any]]:
    """Every token with its scopes and state; never the hashes."""
    rows = conn.execute(
        select(
            admin_tokens.c.token_id,
            admin_tokens.c.name,
            admin_tokens.c.scopes,
            admin_tokens.c.created_by,
            admin_tokens.c.created_at,
            admin_tokens.c.revoked_at,
        ).order_by(admin_tokens.c.created_at)
    )
    return [dict(r._mapping) for r in rows]
