"""Staff of the console: accounts with roles, argon2 passwords, sessions, login throttling.

Roles rank ``auditor`` (reads everything, changes nothing) < ``reviewer`` (handles complaints,
requests, incidents, sanctions) < ``admin`` (also publishes agreements and disclosures, manages
staff). A session is a random token held in the browser's cookie; the database keeps only its
sha256 and the CSRF token bound to it. Failed logins are counted per user name and per address
in the database, so the limit holds across gateway replicas.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, insert, or_, select, update

from hegui.config import ConsoleSettings
from hegui.errors import AuthThrottledError, InputError
from hegui.store import audit
from hegui.store.schema import login_failures, staff, staff_sessions, utcnow

__all__ = [
    "ROLES",
    "Session",
    "StaffMember",
    "create_staff",
    "end_session",
    "has_role",
    "list_staff",
    "log_in",
    "session_for",
]

ROLES = ("auditor", "reviewer", "admin")
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY = _HASHER.hash("not a password of anyone")
MIN_PASSWORD = 10


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    username: str
    name: str
    role: str
    active: bool


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # only in the cookie; never stored
    csrf: str
    staff: StaffMember
    expires_at: datetime


def has_role(role: str, needed: str) -> bool:
    """True when ``role`` ranks at least ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_staff(
    conn: Connection,
    *,
    username: str,
    name: str,
    role: str,
    password: str,
    actor: str,
    now: datetime | None = None,
) -> StaffMember:
    """Add a member of staff; the user name is unique, the password at least 10 characters."""
    username = username.strip().lower()
    if (
        not username
        or len(username) > 64
        or not username.replace("_", "").replace(".", "").isalnum()
    ):
        raise InputError("user name must be 1–64 letters, digits, '.' or '_'")
    if role not in ROLES:
        raise InputError(f"unknown role {role!r} (choose {', '.join(ROLES)})")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password must be at least {MIN_PASSWORD} characters")
    name = name.strip() or username
    taken = conn.execute(select(staff.c.id).where(staff.c.username == username)).one_or_none()
    if taken is not None:
        raise InputError(f"user name {username!r} is taken")
    now = now or utcnow()
    staff_id = "stf_" + secrets.token_hex(6)
    conn.execute(
        insert(staff).values(
            id=staff_id,
            username=username,
            name=name[:200],
            role=role,
            password_hash=_HASHER.hash(password),
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="staff.create",
        subject=f"staff:{username}",
        after={"username": username, "role": role},
        detail={"role": role},
        at=now,
    )
    return StaffMember(id=staff_id, username=username, name=name, role=role, active=True)


def list_staff(conn: Connection) -> list[StaffMember]:
    rows = conn.execute(select(staff).order_by(staff.c.username))
    return [StaffMember(r.id, r.username, r.name, r.role, bool(r.active)) for r in rows]


def _throttled(
    conn: Connection, username: str, client: str, settings: ConsoleSettings, now: datetime
) -> bool:
    since = now - timedelta(minutes=settings.login_window_minutes)
    f = login_failures.c
    count_user, count_client = conn.execute(
        select(
            func.count().filter(f.username == username),
            func.count().filter(f.client == client),
        ).where(f.at >= since, or_(f.username == username, f.client == client))
    ).one()
    # an address may try a few more names than one name may be tried (shared office NAT)
    return count_user >= settings.login_failures or count_client >= settings.login_failures * 4


def log_in(
    conn: Connection,
    username: str,
    password: str,
    *,
    client: str,
    settings: ConsoleSettings,
    now: datetime | None = None,
) -> Session | None:
    """A new session for the right password; None otherwise (failure counted and audited).

    Raises :class:`AuthThrottledError` without checking the password once the user name or the
    address has failed ``login_failures`` times within the window.
    """
    now = now or utcnow()
    username = username.strip().lower()[:64]
    client = client[:64]
    if _throttled(conn, username, client, settings, now):
        raise AuthThrottledError(
            "too many failed logins; try again later",
            retry_after=settings.login_window_minutes * 60,
        )
    row = conn.execute(select(staff).where(staff.c.username == username)).one_or_none()
    ok = False
    try:
        ok = _HASHER.verify(row.password_hash if row is not None else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        ok = False
    if row is None or not ok or not row.active:
        conn.execute(insert(login_failures).values(username=username, client=client, at=now))
        audit.append(
            conn, actor="public", action="staff.login_failed", subject=f"staff:{username}", at=now
        )
        return None
    conn.execute(delete(login_failures).where(login_failures.c.username == username))
    conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at < now))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_hours)
    conn.execute(
        insert(staff_sessions).values(
            token_hash=_hash_token(token),
            staff_id=row.id,
            csrf=csrf,
            created_at=now,
            expires_at=expires,
        )
    )
    if _HASHER.check_needs_rehash(row.password_hash):
        conn.execute(
            update(staff).where(staff.c.id == row.id).values(password_hash=_HASHER.hash(password))
        )
    audit.append(
        conn, actor=f"staff:{username}", action="staff.login", subject=f"staff:{username}", at=now
    )
    member = StaffMember(row.id, row.username, row.name, row.role, True)
    return Session(token=token, csrf=csrf, staff=member, expires_at=expires)


def session_for(conn: Connection, token: str, now: datetime | None = None) -> Session | None:
    """The live session behind a cookie token, or None (unknown, expired, or staff disabled)."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = conn.execute(
        select(staff_sessions.c.csrf, staff_sessions.c.expires_at, staff)
        .join(staff, staff.c.id == staff_sessions.c.staff_id)
        .where(staff_sessions.c.token_hash == _hash_token(token))
    ).one_or_none()
    if row is None or row.expires_at <= now or not row.active:
        return None
    member = StaffMember(row.id, row.username, row.name, row.role, True)
    return Session(token=token, csrf=row.csrf, staff=member, expires_at=row.expires_at)


def end_session(conn: Connection, token: str) -> None:
    conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == _hash_token(token)))
