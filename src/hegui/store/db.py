"""Engines and the single writer: SQLite (WAL) by default, PostgreSQL by URL.

Following Datasette, every write runs as a function handed a connection inside one transaction
(:meth:`Store.write`); on SQLite those functions run one at a time on a single writer thread and
begin with ``BEGIN IMMEDIATE``, so callers never meet "database is locked". Reads use a separate
engine and pool on SQLite; on both databases a read transaction sees one snapshot (REPEATABLE
READ on PostgreSQL). Driver errors surface as :class:`hegui.errors.StoreError` with no personal data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from hegui.errors import ConfigError, InputError, StoreError

__all__ = ["Store", "normalise_url", "open_existing", "open_store", "sqlite_path"]

T = TypeVar("T")
log = logging.getLogger(__name__)

_PG_WRITERS = 4


def normalise_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs to the psycopg 3 driver; reject unknown databases."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"not a database URL: {url!r}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend != "sqlite":
        raise ConfigError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for PostgreSQL and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _describe(exc: SQLAlchemyError) -> str:
    """The driver error's class name only: messages may quote parameters (personal data)."""
    return type(getattr(exc, "orig", None) or exc).__name__


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's is broken)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Store:
    """A database: a read engine, a write path, and the dialect-specific knobs ops need."""

    def __init__(self, url: str, *, connect_timeout: float = 5.0, create: bool = True) -> None:
        """``create=False``: never make the SQLite file or its folder (read-only commands)."""
        self.url = normalise_url(url)
        self.is_sqlite = make_url(self.url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            path = sqlite_path(self.url)
            if path is not None and create:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(self.url, immediate=True)
            self.read_engine = _sqlite_engine(self.url, immediate=False)
            workers = 1
        else:
            args = {"connect_timeout": max(1, int(connect_timeout))}
            self.write_engine = create_engine(
                self.url, connect_args=args, pool_size=_PG_WRITERS + 4, pool_pre_ping=True
            )
            # a read is one snapshot, as on SQLite: `hegui audit verify --records` reads the events,
            # then the rows, while the gateway commits (READ COMMITTED saw rows without events)
            self.read_engine = self.write_engine.execution_options(
                isolation_level="REPEATABLE READ"
            )
            workers = _PG_WRITERS
        self._writer = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hegui-writer")

    @property
    def dialect(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql"

    def _run(self, fn: Callable[[Connection], T]) -> T:
        try:
            with self.write_engine.begin() as conn:
                return fn(conn)
        except SQLAlchemyError as exc:
            raise StoreError(f"database write failed: {_describe(exc)}") from exc

    def write(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn(conn)`` in one write transaction (on the writer thread) and return its result."""
        return self._writer.submit(self._run, fn).result()

    async def awrite(self, fn: Callable[[Connection], T]) -> T:
        """:meth:`write` without blocking the event loop."""
        return await asyncio.wrap_future(self._writer.submit(self._run, fn))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction; driver errors become :class:`StoreError`."""
        try:
            with self.read_engine.connect() as conn, conn.begin():
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"database read failed: {_describe(exc)}") from exc

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.read() as conn:
                conn.execute(text("SELECT 1"))
        except StoreError:
            return False
        return True

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self.write_engine.dispose()
        if self.read_engine.pool is not self.write_engine.pool:
            self.read_engine.dispose()


def open_store(url: str, *, upgrade: bool = True, connect_timeout: float = 5.0) -> Store:
    """Open the database at ``url``, bringing its schema up to date first (unless told not to)."""
    store = Store(url, connect_timeout=connect_timeout)
    try:
        if upgrade:
            from hegui.store.migrate import upgrade as run_upgrade

            run_upgrade(store)
        elif not store.ping():
            raise StoreError("database unreachable")
    except BaseException:
        store.close()
        raise
    return store


def open_existing(url: str, *, migrate: bool = False) -> Store:
    """Open a store that must already exist: never creates a file or a schema.

    Read-only commands use this (``migrate=False``: not even an upgrade), so a mistyped URL is
    an error (:class:`InputError`, exit 2: "no store at …") rather than a new, empty, "intact"
    database. ``migrate=True`` (commands that change records) brings an older schema up to date.
    """
    from hegui.store.migrate import current_revision, head_revision

    target = normalise_url(url)
    path = sqlite_path(target)
    shown = str(path) if path is not None else make_url(target).render_as_string()
    if make_url(target).get_backend_name() == "sqlite" and (path is None or not path.is_file()):
        raise InputError(f"no store at {shown}")
    store = Store(target, create=False)
    try:
        revision = current_revision(store)  # StoreError (exit 2) when unreachable
        if revision is None:
            raise InputError(
                f"no store at {shown} (not a hegui database; `hegui db upgrade` makes one)"
            )
        if revision != head_revision():
            if not migrate:
                raise InputError(
                    f"store at {shown} is at schema {revision}, this hegui reads {head_revision()}:"
                    " run `hegui db upgrade` first"
                )
            from hegui.store.migrate import upgrade

            upgrade(store)
    except BaseException:
        store.close()
        raise
    return store
