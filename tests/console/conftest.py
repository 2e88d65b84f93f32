"""Fixtures: a migrated store on SQLite and PostgreSQL, a keyring, and a person with records."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hegui.config import ConsoleSettings
from hegui.store.crypto import Keyring
from hegui.store.db import Store, open_store
from tests.gateway.conftest import mock_module, upstream  # noqa: F401  (fixtures)
from tests.store.conftest import (  # noqa: F401  (fixtures re-used from the store tests)
    NOW,
    _pg_session_url,
    copy_sqlite,
    db_url,
    open_migrated,
    pg_shared_url,
    pg_url,
    sqlite_template,
    sqlite_url,
)

MASTER = base64.b64encode(b"k" * 32).decode("ascii")


@pytest.fixture
def store(db_url: str, request: pytest.FixtureRequest) -> Iterator[Store]:  # noqa: F811
    s = open_migrated(db_url, request)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring(b"k" * 32)


@pytest.fixture
def console_settings() -> ConsoleSettings:
    return ConsoleSettings()


@dataclass
class Person:
    account_id: str
    api_key: str
    key_id: str
    name: str
    prompt: str
    pseudonym: str


def make_person(
    store: Store,
    keyring: Keyring,
    name: str = "张三丰测试",
    prompt: str = "我的秘密问题是关于青城山的天气",
) -> Person:
    """An account with a key, an accepted agreement, a sanction, usage with content, an incident."""
    from hegui.ops import accounts, agreements, incidents, keys, sanctions, usage
    from hegui.ops.records import AgeBand, IncidentRecord, Sanction, UsageRecord

    def build(conn):  # type: ignore[no-untyped-def]
        acct = accounts.create_account(
            conn, name=name, age_band=AgeBand.ADULT, actor="test", now=NOW
        )
        key = keys.create_key(conn, acct.id, actor="test", now=NOW)
        if agreements.current_agreement(conn) is None:
            agreements.publish_agreement(
                conn, "v1", "https://example.invalid/a", actor="test", text="条款", now=NOW
            )
        agreements.accept_agreement(conn, acct.id, actor="test", now=NOW)
        sanctions.set_sanction(
            conn, acct.id, Sanction.WARNED, reason="测试警告", actor="test", now=NOW
        )
        pseudonym = keyring.pseudonym(acct.id)
        inc = incidents.record_incident(
            conn,
            IncidentRecord(
                pseudonym=pseudonym,
                direction="input",
                stage="prompt",
                action="refuse",
                risk_codes=["A.1.a"],
                model="m",
                evidence=prompt,
            ),
            keyring=keyring,
            policy="violations",
            now=NOW,
        )
        usage.insert_usage(
            conn,
            [
                UsageRecord(
                    pseudonym=pseudonym,
                    key_id=key.key_id,
                    model="m",
                    endpoint="chat",
                    decision="refuse",
                    risk_codes=["A.1.a"],
                    content=prompt,
                    incident_id=inc,
                    created_at=NOW,
                ),
                UsageRecord(
                    pseudonym=pseudonym,
                    key_id=key.key_id,
                    model="m",
                    endpoint="chat",
                    decision="allow",
                    content=prompt + "（二）",
                    created_at=NOW,
                ),
            ],
            keyring=keyring,
            policy="all",
            now=NOW,
        )
        return Person(acct.id, key.api_key, key.key_id, name, prompt, pseudonym)

    return store.write(build)


def find_everywhere(store: Store, needles: list[str]) -> list[str]:
    """Where any needle still appears: every text column of every table, and the SQLite files."""
    from sqlalchemy import column, inspect, select, table

    hits: list[str] = []
    with store.read() as conn:
        for name in inspect(conn).get_table_names():
            cols = [c["name"] for c in inspect(conn).get_columns(name)]
            t = table(name, *[column(c) for c in cols])
            for row in conn.execute(select(*[t.c[c] for c in cols])):
                for col, value in zip(cols, row, strict=True):
                    if value is None:
                        continue
                    raw = (
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else str(value).encode()
                    )
                    for needle in needles:
                        if needle.encode("utf-8") in raw:
                            hits.append(f"{name}.{col}")
    if store.is_sqlite:
        path = Path(store.url.removeprefix("sqlite:///"))
        import sqlite3

        raw = sqlite3.connect(path, isolation_level=None)
        try:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        for f in path.parent.glob(path.name + "*"):
            data = f.read_bytes()
            for needle in needles:
                if needle.encode("utf-8") in data:
                    hits.append(f"file:{f.name}")
    return sorted(set(hits))


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path) -> Iterator[Store]:  # noqa: F811
    s = open_store(copy_sqlite(sqlite_template, tmp_path / "hegui.db"))
    try:
        yield s
    finally:
        s.close()
