"""Read-only store commands never create or migrate a store; shared databases need the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from hegui.store.db import Store, open_store
from hegui.store.migrate import current_revision, upgrade

ROOT = Path(__file__).resolve().parents[2]


def hegui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real entry point, as a user runs it (exit codes and stderr included)."""
    code = "import sys; from hegui.cli import main; sys.argv[0] = 'hegui'; main()"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, env=env
    )


READS = [
    ("audit", "verify"),
    ("audit", "verify", "--records"),
    ("account", "list"),
    ("key", "list"),
    ("purge", "--dry-run"),
    ("corpus", "source", "list"),
]


@pytest.mark.parametrize("command", READS, ids=" ".join)
def test_read_command_on_a_missing_store_says_so_and_creates_nothing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """Was: `hegui audit verify --url sqlite:///typo.db` created an empty database, migrated it
    and reported "intact"; every store command made ./hegui.db wherever it ran."""
    typo = tmp_path / "typo.db"
    r = hegui(*command, "--url", f"sqlite:///{typo}", cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"no store at {typo}" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "intact" not in r.stdout
    assert not typo.exists()
    r = hegui(*command, cwd=tmp_path)  # the default URL: ./hegui.db
    assert r.returncode == 2 and "no store at hegui.db" in r.stderr
    assert list(tmp_path.iterdir()) == [], "nothing may be created by reading"


def test_audit_verify_does_not_migrate_an_older_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    try:
        upgrade(store, "0005")
    finally:
        store.close()
    r = hegui("audit", "verify", "--url", url, cwd=tmp_path)
    assert r.returncode == 2 and "hegui db upgrade" in r.stderr
    store = Store(url)
    try:
        assert current_revision(store) == "0005"
    finally:
        store.close()


def test_a_file_that_is_not_a_store_is_not_one(tmp_path: Path) -> None:
    import sqlite3

    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE t (x)").connection.close()
    r = hegui("audit", "verify", "--url", f"sqlite:///{tmp_path / 'other.db'}", cwd=tmp_path)
    assert r.returncode == 2 and "not a hegui database" in r.stderr


def test_read_commands_work_on_an_existing_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    open_store(url).close()
    assert hegui("audit", "verify", "--url", url, cwd=tmp_path).returncode == 0
    r = hegui("account", "list", "--url", url, cwd=tmp_path)
    assert r.returncode == 0 and "no accounts" in r.stdout


def test_write_commands_need_an_existing_store_except_the_first_ones(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    r = hegui("key", "revoke", "abc", "--url", url, cwd=tmp_path)
    assert r.returncode == 2 and "no store at" in r.stderr and not (tmp_path / "h.db").exists()
    r = hegui("account", "create", "--name", "a", "--age-band", "adult", "--url", url, cwd=tmp_path)
    assert r.returncode == 0 and (tmp_path / "h.db").exists()


@pytest.mark.postgres
def test_read_command_on_an_empty_postgresql_database(pg_url: str, tmp_path: Path) -> None:
    r = hegui("audit", "verify", "--url", pg_url, cwd=tmp_path)
    assert r.returncode == 2 and "no store at" in r.stderr
    store = Store(pg_url)
    try:
        with store.read() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")
            ).scalar_one()
    finally:
        store.close()
    assert tables == 0


@pytest.mark.postgres
def test_serve_refuses_a_shared_database_without_a_secret_key(pg_url: str, tmp_path: Path) -> None:
    """Was: each replica silently made its own key file in its working directory."""
    (tmp_path / "hegui.toml").write_text(f'[store]\nurl = "{pg_url}"\n', encoding="utf-8")
    r = hegui("serve", "--port", "1", cwd=tmp_path)
    assert r.returncode == 2
    assert "store.secret_key must be set" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.glob("*.key"))


def test_gitignore_covers_the_database_and_its_key(tmp_path: Path) -> None:
    names = ["hegui.db", "hegui.db.key", "hegui.db-wal", "hegui.db.usage-journal/x.log"]
    r = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True
    )
    assert sorted(r.stdout.split()) == sorted(names)
