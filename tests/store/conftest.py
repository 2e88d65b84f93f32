"""Fixtures: a fresh SQLite file and a throwaway PostgreSQL database per test, Redis prefixes.

Migrating a database costs about 0.15 s on SQLite and 0.8 s on PostgreSQL, paid by hundreds of
tests; so each test process migrates one template of each once, and a test that wants a migrated
store gets a copy of it (a file copy, or ``CREATE DATABASE ... TEMPLATE``). Tests of migration
itself use ``fresh_url``/``pg_url``, which nobody has migrated.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from hegui.store.db import Store, open_store

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=2"
REDIS_URL = "redis://127.0.0.1:6379/0"
NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def _pg_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN):
            return None
    except Exception as exc:  # any failure means: no server to test against
        return f"PostgreSQL at 127.0.0.1:5432 unreachable ({type(exc).__name__})"


_PG_SKIP = _pg_reason()


@contextmanager
def _throwaway_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (empty, or a copy of ``template``), dropped afterwards."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    import psycopg

    name = f"hegui_test_{secrets.token_hex(6)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head, once per test process (see :func:`copy_sqlite`)."""
    path = tmp_path_factory.mktemp("template") / "hegui.db"
    open_store(f"sqlite:///{path}").close()
    return path


def copy_sqlite(template: Path, dest: Path) -> str:
    """Copy the migrated template (with any WAL beside it) to ``dest``; returns its URL."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    for part in template.parent.glob(template.name + "*"):
        shutil.copyfile(part, dest.parent / (dest.name + part.name[len(template.name) :]))
    return f"sqlite:///{dest}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """The name of a PostgreSQL database migrated to head, once per test process."""
    with _throwaway_database() as url:
        open_store(url).close()
        yield url.rsplit("/", 1)[1]


@contextmanager
def migrated_pg_database(template: str) -> Iterator[str]:
    """A new database copied from ``template`` (already migrated), dropped afterwards."""
    with _throwaway_database(template) as url:
        yield url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new empty database ``hegui_test_<random>``, dropped afterwards."""
    with _throwaway_database() as url:
        yield url


@pytest.fixture(scope="session")
def _pg_session_url() -> Iterator[str]:
    with _throwaway_database() as url:
        open_store(url).close()
        yield url


@pytest.fixture
def pg_shared_url(_pg_session_url: str) -> str:
    """One migrated database for the session, emptied before each test (creating one is slow)."""
    import psycopg

    dsn = _pg_session_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:  # one transaction, committed on leaving the block
        conn.execute(_empty_sql())
        conn.execute("UPDATE audit_head SET seq = 0, hash = %s WHERE id = 1", ("0" * 64,))
    return _pg_session_url


@cache
def _empty_sql() -> str:
    """DELETE every table (children first) and restart every sequence: what ``TRUNCATE ...
    RESTART IDENTITY`` does, at a sixth of its server CPU on tables a test left nearly empty
    (TRUNCATE makes new files for every table and index: 60 ms of PostgreSQL's CPU per test)."""
    from hegui.store.schema import metadata

    tables = [t.name for t in reversed(metadata.sorted_tables) if t.name != "audit_head"]
    return "".join(f'DELETE FROM "{t}";' for t in tables) + (
        "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)"
        " FROM pg_sequences WHERE schemaname = current_schema();"
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hegui.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hegui.db'}"
    return request.getfixturevalue("pg_shared_url")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    s = open_migrated(db_url, request)
    try:
        yield s
    finally:
        s.close()


def open_migrated(url: str, request: pytest.FixtureRequest) -> Store:
    """``open_store(url)``; a SQLite file not made yet is first copied from the template."""
    path = Path(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else None
    if path is not None and not path.exists():
        copy_sqlite(request.getfixturevalue("sqlite_template"), path)
    return open_store(url)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A unique key prefix on the local Redis, cleaned up afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        client.close()
        pytest.skip(f"Redis at 127.0.0.1:6379 unreachable ({type(exc).__name__})")
    prefix = f"hegui_test_{secrets.token_hex(6)}:"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()
