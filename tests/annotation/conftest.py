"""Fixtures: the store's SQLite/PostgreSQL databases, and a project ready for annotation."""

from __future__ import annotations

import pytest

from hegui.store.db import Store
from tests.annotation.helpers import Setup, build_setup
from tests.store.conftest import (  # noqa: F401  (fixtures shared with the store's tests)
    _pg_session_url,
    db_url,
    pg_shared_url,
    pg_url,
    sqlite_template,
    sqlite_url,
    store,
)


@pytest.fixture
def ready(store: Store) -> Setup:  # noqa: F811
    """Rules r1 with an exam; alice, bob, dan (annotators) and carol (reviewer) passed it."""
    return store.write(build_setup)
