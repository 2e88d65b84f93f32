"""Alembic, run from code: ``hegui db upgrade`` and the automatic upgrade in ``open_store``.

The migration scripts ship inside the package (``hegui/store/migrations``), so an installed hegui
can upgrade any database without an ``alembic.ini``. On PostgreSQL an advisory lock keeps several
replicas starting at once from migrating twice. A database already at the head revision is left
alone without running Alembic's upgrade, which loads and compiles every migration script (tens of
milliseconds for each command and each gateway start).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hegui.errors import StoreError
from hegui.store.db import Store

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

_MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x6865677569  # "hegui"


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


@cache
def head_revision() -> str:
    """The newest revision shipped with this hegui (read from the scripts once per process)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(store: Store) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with store.read() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store, revision: str = "head") -> str:
    """Migrate ``store`` to ``revision`` in one transaction; returns the revision reached."""
    cfg = alembic_config()
    try:
        with store.write_engine.begin() as conn:
            if not store.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            current = MigrationContext.configure(conn).get_current_revision()
            if revision == "head" and current == head_revision():
                return current  # already there: Alembic would load every script to say so
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            reached = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(
            f"database upgrade failed: {type(getattr(exc, 'orig', None) or exc).__name__}"
        ) from exc
    return reached or ""
