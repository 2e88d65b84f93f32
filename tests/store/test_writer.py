"""The usage writer process: records written, flushed at close, failures fail closed."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hegui.errors import StoreError
from hegui.gateway.backend import UsageRecord
from hegui.ops.backend import StoreBackend
from hegui.store import audit
from hegui.store.db import open_store
from hegui.store.schema import usage_records

from .test_backend import Clock, settings_for

AT = datetime(2026, 11, 28, 3, 0, 0, 123456, tzinfo=UTC)


def record(n: int, decision: str = "allow") -> UsageRecord:
    return UsageRecord(
        pseudonym=f"p_{n}",
        key_id="k1",
        model="m",
        endpoint="chat",
        decision=decision,
        risk_codes=["A.1.a"] if decision != "allow" else [],
        prompt_tokens=n,
        completion_tokens=2 * n,
        latency_ms=1.5,
        status=200,
        incident_id=None,
        created_at=AT,
        content="secret text" if decision != "allow" else None,
    )


def rows(url: str) -> list[tuple[object, ...]]:
    s = open_store(url, upgrade=False)
    try:
        with s.read() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    select(
                        usage_records.c.pseudonym,
                        usage_records.c.decision,
                        usage_records.c.risk_codes,
                        usage_records.c.prompt_tokens,
                        usage_records.c.completion_tokens,
                        usage_records.c.at,
                        usage_records.c.content.is_not(None),
                    ).order_by(usage_records.c.prompt_tokens)
                )
            ]
    finally:
        s.close()


async def test_records_are_written_by_the_process_field_for_field(sqlite_url: str) -> None:
    b = StoreBackend(settings_for(sqlite_url), clock=Clock())
    await b.start()
    try:
        assert b._writer is not None and b._writer.alive
        proc = b._writer._proc
        assert proc is not None
        stat = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        assert int(stat[16]) == min(19, os.nice(0) + 10)  # background priority
        await b.record_usage(record(1))
        await b.record_usage(record(2, "refuse"))
        await b.flush()
        assert b.records_written == 2
        with b.store.read() as conn:
            assert audit.verify(conn).ok
    finally:
        await b.close()
    assert rows(sqlite_url) == [
        ("p_1", "allow", [], 1, 2, AT, False),
        ("p_2", "refuse", ["A.1.a"], 2, 4, AT, True),  # violation content kept, encrypted
    ]


async def test_close_flushes_everything_and_stops_the_process(sqlite_url: str) -> None:
    b = StoreBackend(settings_for(sqlite_url, usage_flush_interval=30.0), clock=Clock())
    await b.start()
    writer = b._writer
    assert writer is not None
    proc = writer._proc
    for n in range(1234):
        await b.record_usage(record(n))
    await b.close()
    assert proc is not None and proc.poll() is not None  # the process has exited
    assert len(rows(sqlite_url)) == 1234


async def test_failed_batch_fails_closed_then_recovers_without_loss(sqlite_url: str) -> None:
    b = StoreBackend(settings_for(sqlite_url), clock=Clock())
    await b.start()
    try:
        b.check_writable()
        path = sqlite_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:  # the table disappears under the writer
            conn.execute("ALTER TABLE usage_records RENAME TO usage_records_away")
        await b.record_usage(record(1))
        with pytest.raises(StoreError):
            await b.flush()
        with pytest.raises(StoreError):
            b.check_writable()  # the gateway answers 503 to every new request now
        with sqlite3.connect(path) as conn:
            conn.execute("ALTER TABLE usage_records_away RENAME TO usage_records")
        await b.record_usage(record(2))
        await b.flush()
        b.check_writable()
        assert b.records_written == 2
    finally:
        await b.close()
    assert [r[0] for r in rows(sqlite_url)] == ["p_1", "p_2"]  # kept, written once


async def test_a_dead_writer_process_is_restarted_and_nothing_is_lost(sqlite_url: str) -> None:
    b = StoreBackend(settings_for(sqlite_url), clock=Clock())
    await b.start()
    try:
        writer = b._writer
        assert writer is not None and writer._proc is not None
        writer._proc.kill()
        writer._proc.wait()
        await asyncio.sleep(0.05)
        await b.record_usage(record(1))
        try:
            await b.flush()
        except StoreError:  # the death may be noticed by this batch: it goes back to the queue
            await b.flush()
        assert writer.alive
    finally:
        await b.close()
    assert [r[0] for r in rows(sqlite_url)] == ["p_1"]


async def test_in_process_writer_still_available(sqlite_url: str) -> None:
    b = StoreBackend(settings_for(sqlite_url), clock=Clock(), writer_process=False)
    await b.start()
    try:
        assert b._writer is None
        await b.record_usage(record(1))
        await b.flush()
        with b.store.read() as conn:
            assert conn.execute(select(func.count()).select_from(usage_records)).scalar_one() == 1
    finally:
        await b.close()
