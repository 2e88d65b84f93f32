"""Alembic environment: always run programmatically on a connection handed in by hegui.

``hegui.store.migrate.upgrade`` puts an open connection (already inside a transaction) into
``config.attributes["connection"]``; there is no ``alembic.ini`` and no URL here.
"""

from __future__ import annotations

from alembic import context

from hegui.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
