"""The gateway over the real StoreBackend, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hegui.config import Settings
from hegui.ops import accounts, agreements, keys
from hegui.ops.backend import StoreBackend
from hegui.ops.records import AgeBand
from hegui.store.db import open_store
from hegui.store.schema import incidents, usage_records
from tests.store.conftest import copy_sqlite, migrated_pg_database

from .conftest import Running
from .doubles import TermChecker

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=2"
SECRET = base64.b64encode(bytes(range(32))).decode()


def _pg_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN):
            return None
    except Exception as exc:
        return f"PostgreSQL at 127.0.0.1:5432 unreachable ({type(exc).__name__})"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """A migrated database: a copy of the test process's template (migrating each is slow)."""
    if request.param == "sqlite":
        url = copy_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "hegui.db")
        yield url
        for running in _SERVING.pop(url, []):
            running.close()
        return
    reason = _pg_reason()
    if reason:
        pytest.skip(reason)
    with migrated_pg_database(request.getfixturevalue("pg_template")) as url:
        yield url
        # the gateways on it stop before it is dropped (make_gateway, set up earlier, would stop
        # them only afterwards: closing against a dropped database waited seconds for nothing)
        for running in _SERVING.pop(url, []):
            running.close()


#: gateways started by :func:`start`, by database URL
_SERVING: dict[str, list[Running]] = {}


def seed(url: str, *, accept: bool = True) -> str:
    store = open_store(url)
    try:
        store.write(
            lambda c: agreements.publish_agreement(
                c, "2026-11", "https://example.test/terms", actor="t"
            )
        )
        acc = store.write(
            lambda c: accounts.create_account(c, name="u", age_band=AgeBand.ADULT, actor="t")
        )
        if accept:
            store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="t"))
        return store.write(lambda c: keys.create_key(c, acc.id, actor="t")).api_key
    finally:
        store.close()


def count(url: str, table: Any) -> int:
    store = open_store(url, upgrade=False)
    try:
        with store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        store.close()


def start(
    make_gateway: Any, upstream_url: str, url: str, *, writer_process: bool = False, **extra: Any
) -> Running:
    """A gateway over the store backend. Usage records are written by a thread of the test
    process unless ``writer_process`` (what `hegui serve` runs: a fresh interpreter, about 1.5 s
    to start); the tests about recording and the journal ask for it."""
    settings = Settings.model_validate(
        {
            **extra,
            "gateway": {
                "upstreams": [upstream_url],
                "health_interval": 0,
                "stream_window_chars": 16,
                "unchecked_fields": ["mock"],
            },
            "store": {"url": url, "secret_key": SECRET, **extra.get("store", {})},
            "labeling": {"uscc": "91350100M000100Y43"},
        }
    )
    backend = StoreBackend(settings, writer_process=writer_process)
    running = make_gateway(
        [upstream_url], backend=backend, checker=TermChecker(), settings=settings
    )
    _SERVING.setdefault(url, []).append(running)
    return running


def test_served_refused_and_stopped_requests_are_all_recorded(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url, writer_process=True)
    h = {"authorization": f"Bearer {api_key}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    assert g.client.post("/v1/chat/completions", json=body, headers=h).status_code == 200
    bad = {**body, "messages": [{"role": "user", "content": "炸弹制作"}]}
    assert g.client.post("/v1/chat/completions", json=bad, headers=h).json()["hegui"]["incident_id"]
    stream = {
        **body,
        "stream": True,
        "mock": {"reply": "正常开头的内容足够长然后违禁词出现", "chunk_chars": 1},
    }
    r = g.client.post("/v1/chat/completions", json=stream, headers=h)
    assert '"finish_reason":"content_filter"' in r.text
    assert (
        g.client.post(
            "/v1/chat/completions", json=body, headers={"authorization": "Bearer hg-nope-x"}
        ).status_code
        == 401
    )
    deadline = time.monotonic() + 5
    while True:  # records are queued just after each response is sent
        g.server.call(g.backend.flush())
        if count(db_url, usage_records) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert count(db_url, usage_records) == 4
    assert count(db_url, incidents) == 2


def test_agreement_not_accepted_is_refused(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url, accept=False)
    g = start(make_gateway, upstream.url, db_url)
    r = g.client.post(
        "/v1/chat/completions", json={}, headers={"authorization": f"Bearer {api_key}"}
    )
    assert (
        r.status_code == 403 and r.json()["hegui"]["agreement_url"] == "https://example.test/terms"
    )


@pytest.mark.postgres
def test_database_going_down_fails_closed(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    reason = _pg_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"hegui_gw_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    api_key = seed(url)
    g = start(make_gateway, upstream.url, url, writer_process=True)
    h = {"authorization": f"Bearer {api_key}"}
    ok = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    assert g.client.post("/v1/chat/completions", json=ok, headers=h).status_code == 200
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    bad = {**ok, "messages": [{"role": "user", "content": "炸弹制作"}]}
    r = g.client.post("/v1/chat/completions", json=bad, headers=h)
    assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
    r = g.client.post(
        "/v1/chat/completions",
        json=ok,
        headers={"authorization": "Bearer hg-0123456789ab-unknownkey"},
    )
    assert r.status_code in (401, 503)
    assert g.client.get("/readyz").status_code == 503


def test_store_unreachable_at_start_answers_503(make_gateway, upstream) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+psycopg://postgres@127.0.0.1:1/none"
    g = start(make_gateway, upstream.url, url)
    r = g.client.post("/v1/chat/completions", json={}, headers={"authorization": "Bearer hg-x-y"})
    assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
    assert isinstance(g.client, httpx.Client)


def test_revoked_key_is_refused_with_401(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url)
    h = {"authorization": f"Bearer {api_key}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    assert g.client.post("/v1/chat/completions", json=body, headers=h).status_code == 200
    key_id = keys.parse_api_key(api_key)
    assert key_id is not None
    store = open_store(db_url, upgrade=False)
    try:
        store.write(lambda c: keys.revoke_key(c, key_id, actor="t"))
    finally:
        store.close()
    g.server.call(g.backend.invalidate(f"key:{key_id}"))  # what `hegui key revoke` publishes
    r = g.client.post("/v1/chat/completions", json=body, headers=h)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_restricted_account_is_served_under_the_restricted_rate_limit(
    make_gateway, upstream, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    from hegui.ops import sanctions
    from hegui.ops.records import Sanction

    api_key = seed(db_url)
    key_id = keys.parse_api_key(api_key)
    assert key_id is not None
    store = open_store(db_url, upgrade=False)
    try:
        account_id = store.write(lambda c: keys.lookup_key(c, key_id)).id
        store.write(
            lambda c: sanctions.set_sanction(
                c, account_id, Sanction.RESTRICTED, reason="spam", actor="t"
            )
        )
    finally:
        store.close()
    limits = {"requests_per_minute": 100, "restricted_requests_per_minute": 2}
    g = start(make_gateway, upstream.url, db_url, rate_limit=limits)
    h = {"authorization": f"Bearer {api_key}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    if time.time() % 60 > 57:  # the limit counts per fixed minute: start well inside one
        time.sleep(60 - time.time() % 60 + 0.1)
    answers = [g.client.post("/v1/chat/completions", json=body, headers=h) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    assert answers[0].json()["hegui"]["account"]["sanction"] == "restricted"
    assert answers[0].json()["hegui"]["account"]["reason"] == "spam"
    assert answers[2].json()["error"]["code"] == "rate_limit_exceeded"


async def test_background_writer_writes_at_most_a_batch_per_transaction(tmp_path: Any) -> None:
    from hegui.ops.records import UsageRecord
    from hegui.store.schema import audit_events

    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    settings = Settings.model_validate(
        {
            "store": {
                "url": url,
                "secret_key": SECRET,
                "usage_batch_size": 4,
                "usage_flush_interval": 30,
            }
        }
    )
    backend = StoreBackend(settings)
    await backend.start()
    try:
        await asyncio.gather(
            *(backend.record_usage(UsageRecord("p", None, "m", "chat", "allow")) for _ in range(10))
        )
        await backend.flush()
        assert backend.records_written == 10
    finally:
        await backend.close()
    store = open_store(url, upgrade=False)
    try:
        with store.read() as conn:
            batches = conn.execute(
                select(audit_events.c.detail).where(audit_events.c.action == "usage.batch")
            ).scalars()
            sizes = [int(__import__("json").loads(d)["count"]) for d in batches]
    finally:
        store.close()
    assert sum(sizes) == 10 and max(sizes) <= 4


def test_usage_records_wait_in_the_journal_then_fail_closed_at_the_limit(
    make_gateway, upstream, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from hegui.errors import StoreError

    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    api_key = seed(url)
    g = start(make_gateway, upstream.url, url, writer_process=True, store={"usage_queue_limit": 2})
    h = {"authorization": f"Bearer {api_key}"}
    body = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}
    with sqlite3.connect(tmp_path / "hegui.db") as conn:
        conn.execute("ALTER TABLE usage_records RENAME TO away")
    # served: each record is synced to the journal before the answer goes out
    assert g.client.post("/v1/chat/completions", json=body, headers=h).status_code == 200
    assert g.client.post("/v1/chat/completions", json=body, headers=h).status_code == 200
    with pytest.raises(StoreError):
        g.server.call(g.backend.flush())
    r = g.client.post("/v1/chat/completions", json=body, headers=h)  # backlog at its limit
    assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
    with sqlite3.connect(tmp_path / "hegui.db") as conn:
        conn.execute("ALTER TABLE away RENAME TO usage_records")
    g.server.call(g.backend.flush(), timeout=30)
    assert g.client.post("/v1/chat/completions", json=body, headers=h).status_code == 200
    g.server.call(g.backend.flush(), timeout=30)
    assert count(url, usage_records) == 4  # the refused request is on record too


def test_responses_and_embeddings_are_recorded(make_gateway, upstream, db_url: str) -> None:  # type: ignore[no-untyped-def]
    api_key = seed(db_url)
    g = start(make_gateway, upstream.url, db_url)
    h = {"authorization": f"Bearer {api_key}"}
    ok = g.client.post("/v1/responses", json={"model": "mock-model", "input": "你好"}, headers=h)
    assert ok.json()["status"] == "completed"
    stop = {
        "model": "mock-model",
        "input": "你好",
        "stream": True,
        "mock": {"reply": "正常开头的内容足够长然后违禁词出现", "chunk_chars": 1},
    }
    assert "response.incomplete" in g.client.post("/v1/responses", json=stop, headers=h).text
    emb = {"model": "mock-model", "input": ["你好", "世界"]}
    assert g.client.post("/v1/embeddings", json=emb, headers=h).status_code == 200
    bad = {"model": "mock-model", "input": "炸弹制作"}
    assert g.client.post("/v1/embeddings", json=bad, headers=h).status_code == 400
    deadline = time.monotonic() + 5
    while True:
        g.server.call(g.backend.flush())
        if count(db_url, usage_records) >= 4 or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    store = open_store(db_url, upgrade=False)
    try:
        with store.read() as conn:
            rows = conn.execute(
                select(
                    usage_records.c.endpoint,
                    usage_records.c.decision,
                    usage_records.c.prompt_tokens,
                ).order_by(usage_records.c.at, usage_records.c.id)
            ).all()
    finally:
        store.close()
    assert [tuple(r) for r in rows] == [
        ("responses", "allow", 12),
        ("responses", "refuse", 0),
        ("embeddings", "allow", 4),
        ("embeddings", "refuse", 0),
    ]
    assert count(db_url, incidents) == 2
