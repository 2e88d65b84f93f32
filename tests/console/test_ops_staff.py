"""Staff: argon2 passwords, sessions with CSRF tokens, expiry, throttled logins, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hegui.config import ConsoleSettings
from hegui.errors import AuthThrottledError, InputError
from hegui.ops import staff as ops
from hegui.store.db import Store
from hegui.store.schema import staff, staff_sessions
from tests.console.conftest import NOW


def _admin(store: Store) -> ops.StaffMember:
    return store.write(
        lambda c: ops.create_staff(
            c,
            username="Admin",
            name="管理员",
            role="admin",
            password="correct horse 1",
            actor="cli",
            now=NOW,
        )
    )


def test_password_is_stored_as_argon2_and_session_token_only_hashed(store: Store) -> None:
    _admin(store)
    session = store.write(
        lambda c: ops.log_in(
            c, "admin", "correct horse 1", client="1.2.3.4", settings=ConsoleSettings(), now=NOW
        )
    )
    assert session is not None and session.staff.role == "admin"
    with store.read() as conn:
        assert conn.execute(select(staff.c.password_hash)).scalar().startswith("$argon2id$")
        stored = conn.execute(select(staff_sessions.c.token_hash)).scalar()
        assert stored != session.token and len(stored) == 64
        assert ops.session_for(conn, session.token, NOW) == session
        assert ops.session_for(conn, session.token, session.expires_at) is None
        assert ops.session_for(conn, "forged", NOW) is None
    store.write(lambda c: ops.end_session(c, session.token))
    with store.read() as conn:
        assert ops.session_for(conn, session.token, NOW) is None


def test_logins_are_throttled_per_user_even_with_the_right_password(store: Store) -> None:
    _admin(store)
    settings = ConsoleSettings(login_failures=3, login_window_minutes=15)
    for i in range(3):
        assert (
            store.write(
                lambda c, i=i: ops.log_in(
                    c, "admin", "wrong", client=f"10.0.0.{i}", settings=settings, now=NOW
                )
            )
            is None
        )
    with pytest.raises(AuthThrottledError):
        store.write(
            lambda c: ops.log_in(
                c, "admin", "correct horse 1", client="10.0.0.9", settings=settings, now=NOW
            )
        )
    later = NOW + timedelta(minutes=16)
    assert (
        store.write(
            lambda c: ops.log_in(
                c, "admin", "correct horse 1", client="10.0.0.9", settings=settings, now=later
            )
        )
        is not None
    )


def test_bad_staff_input_is_refused() -> None:
    assert ops.has_role("admin", "reviewer") and not ops.has_role("auditor", "reviewer")


@pytest.mark.parametrize(
    ("username", "role", "password", "message"),
    [
        ("", "admin", "x" * 12, "user name"),
        ("a b", "admin", "x" * 12, "user name"),
        ("bob", "root", "x" * 12, "unknown role"),
        ("bob", "admin", "short", "at least"),
    ],
)
def test_create_staff_validates(
    store: Store, username: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        store.write(
            lambda c: ops.create_staff(
                c, username=username, name="", role=role, password=password, actor="t"
            )
        )


def test_user_names_are_unique(store: Store) -> None:
    _admin(store)
    with pytest.raises(InputError, match="taken"):
        _admin(store)
