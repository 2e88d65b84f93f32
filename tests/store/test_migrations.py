"""Migrations bring an empty SQLite or PostgreSQL database to exactly the declared schema."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from hegui.errors import ConfigError
from hegui.store.db import Store, normalise_url, open_store
from hegui.store.migrate import current_revision, head_revision, upgrade
from hegui.store.schema import metadata


def test_open_store_migrates_an_empty_database_to_head(fresh_url: str) -> None:
    store = open_store(fresh_url)
    try:
        assert current_revision(store) == head_revision()
        with store.read() as conn:
            tables = set(inspect(conn).get_table_names())
    finally:
        store.close()
    assert set(metadata.tables) <= tables


def test_migrated_schema_matches_declared_tables(store: Store) -> None:
    with store.read() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_twice_is_a_no_op_and_keeps_the_audit_genesis(store: Store) -> None:
    assert upgrade(store) == head_revision()
    with store.read() as conn:
        rows = conn.execute(text("SELECT id, seq, hash FROM audit_head")).all()
    assert rows == [(1, 0, "0" * 64)]


def test_a_store_at_head_is_opened_without_running_alembic(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: every open_store ran Alembic's upgrade, which loads and compiles every migration
    script even when there is nothing to do (tens of ms per CLI command and gateway start)."""
    from alembic import command

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("alembic upgrade ran on a database already at head")

    monkeypatch.setattr(command, "upgrade", refuse)
    assert upgrade(store) == head_revision()
    open_store(store.url).close()


def test_a_store_at_head_is_opened_without_importing_alembic(store: Store) -> None:
    """Importing Alembic was ~0.1 s of every ``hegui`` command and gateway start."""
    code = (
        "import sys; from hegui.store.db import open_existing, open_store; "
        f"open_store({store.url!r}).close(); open_existing({store.url!r}).close(); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("target", [None, "0001", "0005", "head"])
def test_the_revision_read_without_alembic_is_alembics(fresh_url: str, target: str | None) -> None:
    store = Store(fresh_url)
    try:
        if target is not None:
            upgrade(store, target)
        with store.read() as conn:
            expected = MigrationContext.configure(conn).get_current_revision()
        assert current_revision(store) == expected
    finally:
        store.close()


def test_the_head_read_from_the_scripts_is_alembics(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from hegui.store.migrate import _head_from_lines, alembic_config

    assert _head_from_lines() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    script = "revision = {}\ndown_revision = {}\n"
    (tmp_path / "a.py").write_text(script.format("'a'", "None"), encoding="utf-8")
    (tmp_path / "b.py").write_text(script.format('"b"', '"a"'), encoding="utf-8")
    assert _head_from_lines(tmp_path) == "b"
    (tmp_path / "c.py").write_text(script.format('"c"', '"a"'), encoding="utf-8")
    assert _head_from_lines(tmp_path) is None  # two heads: Alembic decides (and says so)
    (tmp_path / "c.py").write_text(script.format('"c"', '("a", "b")'), encoding="utf-8")
    assert _head_from_lines(tmp_path) is None  # a merge: Alembic decides


def test_an_older_store_is_still_upgraded(fresh_url: str) -> None:
    store = Store(fresh_url)
    try:
        assert upgrade(store, "0005") == "0005"
        assert upgrade(store) == head_revision()
        assert current_revision(store) == head_revision()
    finally:
        store.close()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    s = open_store(sqlite_url)
    try:
        with s.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        s.close()


def test_plain_postgresql_url_uses_psycopg3() -> None:
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")


@pytest.mark.parametrize("module", ["hegui.store", "hegui.ops"])
def test_public_names_are_sorted_and_resolve(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__all__ == sorted(mod.__all__)
    for name in mod.__all__:
        assert getattr(mod, name) is not None


def test_cli_import_does_not_load_sqlalchemy() -> None:
    code = "import sys, hegui.cli; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_unsupported_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unsupported database"):
        normalise_url("mysql://u@h/db")
    with pytest.raises(ConfigError, match="not a database URL"):
        normalise_url("::nonsense::")


def test_0006_upgrades_a_store_with_usage_rows_and_widens_its_columns(fresh_url: str) -> None:
    from datetime import UTC, datetime

    store = Store(fresh_url)
    try:
        assert upgrade(store, "0005") == "0005"
        old_row = {
            "pseudonym": "p",
            "key_id": None,
            "at": datetime(2026, 12, 1, tzinfo=UTC).replace(tzinfo=None),
            "model": "m",
            "endpoint": "chat",
            "decision": "allow",
            "risk_codes": "[]",
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "latency_ms": 1.0,
            "status": 200,
        }
        cols = ", ".join(old_row)
        with store.write_engine.begin() as conn:
            conn.execute(
                text(f"INSERT INTO usage_records ({cols}) VALUES (:{', :'.join(old_row)})"),
                old_row,
            )
        assert upgrade(store) == head_revision()  # 0006 and whatever follows it
        with store.write_engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO usage_records (pseudonym, at, model, endpoint, decision, risk_codes,"
                    " prompt_tokens, completion_tokens, latency_ms, status, record_id)"
                    " VALUES ('q', :at, :model, 'chat', 'refused_agreement', '[]', 0, 0, 0, 403, 'r1')"
                ),
                {"at": old_row["at"], "model": "m" * 512},
            )
            rows = conn.execute(
                text("SELECT pseudonym, decision, record_id FROM usage_records ORDER BY id")
            ).all()
        with store.read() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        store.close()
    assert [tuple(r) for r in rows] == [("p", "allow", None), ("q", "refused_agreement", "r1")]
    assert diff == []
