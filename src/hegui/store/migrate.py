"""Alembic, run from code: ``hegui db upgrade`` and the automatic upgrade in ``open_store``.

The migration scripts ship inside the package (``hegui/store/migrations``), so an installed hegui
can upgrade any database without an ``alembic.ini``. On PostgreSQL an advisory lock keeps several
replicas starting at once from migrating twice.

A database already at the head revision, which is every start but the first after an upgrade,
is left alone without Alembic: the head is read from the scripts' ``revision`` and
``down_revision`` lines, and the database's revision from ``alembic_version``. Importing
Alembic costs ~0.1 s, and its upgrade loads and compiles every migration script; that was most
of the start-up of a read-only ``hegui`` command.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from hegui.errors import StoreError
from hegui.store.db import Store

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

_MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x6865677569  # "hegui"
_LITERAL = re.compile(r"([\"'])([\w.-]+)\1")  # a quoted revision id
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config() -> Config:
    """An Alembic config pointing at the packaged migration scripts."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


@cache
def head_revision() -> str:
    """The newest revision shipped with this hegui (read from the scripts once per process)."""
    return _head_from_lines() or _head_from_alembic()


def _head_from_lines(folder: Path = _MIGRATIONS / "versions") -> str | None:
    """The one revision no script names as its ``down_revision``, or None when the scripts
    are not one plain chain of string revisions (Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        found = {m[1]: m[2] for m in _REVISION.finditer(source)}
        if "revision" not in found:
            continue
        literal = _LITERAL.fullmatch(found["revision"])
        parent = found.get("down_revision", "None")
        parent_literal = _LITERAL.fullmatch(parent)
        if literal is None or (parent != "None" and parent_literal is None):
            return None
        revisions.add(literal[2])
        if parent_literal is not None:
            parents.add(parent_literal[2])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _head_from_alembic() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(store: Store) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with store.read() as conn:
        return _revision_of(conn)


def _revision_of(conn: Connection) -> str | None:
    """What Alembic's ``MigrationContext.get_current_revision`` answers, read directly."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) > 1:  # branches: Alembic's own error says which
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()
    return str(rows[0]) if rows else None


def upgrade(store: Store, revision: str = "head") -> str:
    """Migrate ``store`` to ``revision`` in one transaction; returns the revision reached."""
    try:
        with store.write_engine.begin() as conn:
            if not store.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            current = _revision_of(conn)
            if revision == "head" and current == head_revision():
                return current  # already there: Alembic would load every script to say so
            from alembic import command

            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            reached = _revision_of(conn)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"database upgrade failed: {type(getattr(exc, 'orig', None) or exc).__name__}"
        ) from exc
    return reached or ""
