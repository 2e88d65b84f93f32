"""The audit chain: appends verify clean; any edit, deletion or reordering is reported."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text

from hegui.errors import StoreError
from hegui.store import audit
from hegui.store.db import Store
from hegui.store.schema import audit_events


def _fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        store.write(
            lambda c, i=i: audit.append(
                c,
                actor="test",
                action="thing.do",
                subject=f"thing:{i}",
                before={"n": i},
                after={"n": i + 1},
                detail={"i": i, "名": "值"},
            )
        )


def _verify(store: Store) -> audit.AuditReport:
    with store.read() as conn:
        return audit.verify(conn)


def _kinds(report: audit.AuditReport) -> list[tuple[int, str]]:
    return [(p.seq, p.kind) for p in report.problems]


def test_empty_chain_verifies(store: Store) -> None:
    report = _verify(store)
    assert report.ok and report.events == 0 and report.head_hash == audit.GENESIS


def test_appended_events_chain_and_verify(store: Store) -> None:
    _fill(store)
    report = _verify(store)
    assert report.ok, report.problems
    assert report.events == report.head_seq == 5
    with store.read() as conn:
        rows = conn.execute(audit_events.select().order_by(audit_events.c.seq)).all()
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert rows[0].after_hash == audit.digest({"n": 1})


def test_event_rolls_back_with_the_change_it_records(store: Store) -> None:
    def failing(conn) -> None:
        audit.append(conn, actor="t", action="a", subject="s")
        conn.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(StoreError):
        store.write(failing)
    assert _verify(store).events == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor", "mallory"),
        ("detail", '{"i":99}'),
        ("after_hash", "f" * 64),
        ("at", "2020-01-01T00:00:00+00:00"),
    ],
)
def test_edited_event_is_reported(store: Store, column: str, value: str) -> None:
    _fill(store)
    store.write(
        lambda c: c.execute(
            audit_events.update().where(audit_events.c.seq == 3).values({column: value})
        )
    )
    assert _kinds(_verify(store)) == [(3, "edited")]


def test_edit_with_recomputed_hash_breaks_the_next_link(store: Store) -> None:
    _fill(store)

    def forge(conn) -> None:
        row = conn.execute(audit_events.select().where(audit_events.c.seq == 3)).one()._asdict()
        row["actor"] = "mallory"
        row["hash"] = audit._event_hash(row)
        conn.execute(
            audit_events.update()
            .where(audit_events.c.seq == 3)
            .values(actor="mallory", hash=row["hash"])
        )

    store.write(forge)
    assert _kinds(_verify(store)) == [(4, "broken_link")]


def test_deleted_event_is_reported(store: Store) -> None:
    _fill(store)
    store.write(lambda c: c.execute(audit_events.delete().where(audit_events.c.seq == 2)))
    assert _kinds(_verify(store)) == [(3, "deleted")]


def test_deleted_first_event_is_reported(store: Store) -> None:
    _fill(store)
    store.write(lambda c: c.execute(audit_events.delete().where(audit_events.c.seq == 1)))
    assert _kinds(_verify(store)) == [(2, "deleted")]


def test_deleted_tail_is_reported(store: Store) -> None:
    _fill(store)
    store.write(lambda c: c.execute(audit_events.delete().where(audit_events.c.seq >= 4)))
    assert _kinds(_verify(store)) == [(3, "truncated")]


def test_reordered_events_are_reported(store: Store) -> None:
    _fill(store)

    def swap(conn) -> None:
        conn.execute(audit_events.update().where(audit_events.c.seq == 2).values(seq=-2))
        conn.execute(audit_events.update().where(audit_events.c.seq == 3).values(seq=2))
        conn.execute(audit_events.update().where(audit_events.c.seq == -2).values(seq=3))

    store.write(swap)
    assert _kinds(_verify(store)) == [(2, "reordered"), (3, "reordered"), (4, "reordered")]


def test_canonical_json_is_stable() -> None:
    assert audit.canonical({"b": 1, "a": "合规"}) == '{"a":"合规","b":1}'
    assert audit.digest(None) is None


def test_concurrent_writers_keep_one_unbroken_chain(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def work(worker: int) -> None:
        for i in range(25):
            store.write(
                lambda c, i=i: audit.append(c, actor=f"w{worker}", action="a", subject=f"s{i}")
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    report = _verify(store)
    assert report.ok and report.events == report.head_seq == 200
