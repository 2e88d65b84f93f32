"""The source register: required fields before usable, the 5 % rule, every change audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from hegui.corpus.registry import (
    REQUIRED,
    add_source,
    get_source,
    list_sources,
    missing_fields,
    update_source,
)
from hegui.corpus.scans import record_scan_finish, record_scan_start, source_history
from hegui.errors import InputError
from hegui.store.audit import verify
from hegui.store.db import Store
from hegui.store.schema import audit_events
from tests.corpus.conftest import COMPLETE


def _events(store: Store) -> list[tuple[str, str]]:
    with store.read() as conn:
        rows = conn.execute(select(audit_events).order_by(audit_events.c.seq)).all()
    return [(r.action, r.subject) for r in rows]


def test_add_then_list_show_and_update(store: Store) -> None:
    store.write(lambda c: add_source(c, source_id="weibo-2024", actor="alice", name="Weibo"))
    with store.read() as conn:
        found = get_source(conn, "weibo-2024")
    assert not found.usable
    assert found.missing == list(REQUIRED)
    changed = store.write(
        lambda c: update_source(c, "weibo-2024", actor="bob", **COMPLETE, usable=True)
    )
    assert changed.usable and changed.missing == []
    with store.read() as conn:
        assert [s.id for s in list_sources(conn)] == ["weibo-2024"]
        assert get_source(conn, "weibo-2024").licence == "CC-BY-4.0"
        assert verify(conn).ok
    assert _events(store) == [
        ("corpus.source.add", "corpus_source:weibo-2024"),
        ("corpus.source.update", "corpus_source:weibo-2024"),
    ]


def test_update_audit_event_names_the_fields_and_digests_both_states(store: Store) -> None:
    store.write(lambda c: add_source(c, source_id="s1", actor="a", **COMPLETE))
    store.write(lambda c: update_source(c, "s1", actor="b", licence="MIT", notes="n"))
    with store.read() as conn:
        event = conn.execute(select(audit_events).order_by(audit_events.c.seq.desc())).first()
    assert event is not None
    assert json.loads(event.detail) == {"fields": ["licence", "notes"]}
    assert event.before_hash and event.after_hash and event.before_hash != event.after_hash
    assert event.actor == "b"


def test_a_change_that_changes_nothing_writes_no_event(store: Store) -> None:
    store.write(lambda c: add_source(c, source_id="s1", actor="a", **COMPLETE))
    store.write(lambda c: update_source(c, "s1", actor="b", licence="CC-BY-4.0"))
    assert len(_events(store)) == 1


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"licence": None}, ["licence"]),
        ({"legal_basis": ""}, ["legal_basis"]),
        ({"personal_info": None}, ["personal_info"]),
        ({"personal_info": True}, ["consent_evidence"]),
        ({"personal_info": True, "consent_evidence": "contracts/2024-17.pdf"}, []),
    ],
)
def test_usable_needs_every_required_field(
    store: Store, overrides: dict[str, object], missing: list[str]
) -> None:
    values = {**COMPLETE, **overrides}
    if missing:
        with pytest.raises(
            InputError, match="cannot be marked usable: missing " + ", ".join(missing)
        ):
            store.write(lambda c: add_source(c, source_id="s1", actor="a", usable=True, **values))
        assert _events(store) == []
    else:
        assert store.write(
            lambda c: add_source(c, source_id="s1", actor="a", usable=True, **values)
        ).usable


def test_a_usable_source_cannot_lose_a_required_field(store: Store) -> None:
    store.write(lambda c: add_source(c, source_id="s1", actor="a", usable=True, **COMPLETE))
    with pytest.raises(InputError, match="missing licence"):
        store.write(lambda c: update_source(c, "s1", actor="a", licence=""))
    store.write(lambda c: update_source(c, "s1", actor="a", usable=False))
    assert missing_fields(store.write(lambda c: update_source(c, "s1", actor="a", licence=""))) == [
        "licence"
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_basis", "scraped", "legal_basis must be one of consent, public, contract, own"),
        ("kind", "stolen", "kind must be one of"),
        ("modality", "smell", "modality must be one of"),
        ("colour", "red", "unknown source field"),
    ],
)
def test_closed_vocabularies(store: Store, field: str, value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        store.write(lambda c: add_source(c, source_id="s1", actor="a", **{field: value}))


@pytest.mark.parametrize("bad", ["", "Upper", "-dash", "a" * 65, "has space", "中文"])
def test_source_ids_are_short_slugs(store: Store, bad: str) -> None:
    with pytest.raises(InputError, match="source id"):
        store.write(lambda c: add_source(c, source_id=bad, actor="a"))


def test_duplicate_and_unknown_ids(store: Store) -> None:
    store.write(lambda c: add_source(c, source_id="s1", actor="a"))
    with pytest.raises(InputError, match="already exists"):
        store.write(lambda c: add_source(c, source_id="s1", actor="a"))
    with pytest.raises(InputError, match="no corpus source 'nope'"):
        store.write(lambda c: update_source(c, "nope", actor="a", notes="x"))


def _report(share: float, passed: bool) -> dict[str, object]:
    return {
        "sources": [
            {
                "id": "s1",
                "records": 1000,
                "checked": 1000,
                "kept": 900,
                "unsafe": {
                    "count": int(share * 1000),
                    "share": share,
                    "ci95": [0.0, share + 0.01],
                    "pass": passed,
                },
            },
            {
                "id": "not-registered",
                "records": 5,
                "checked": 5,
                "kept": 0,
                "unsafe": {"count": 0, "share": 0.0, "ci95": [0.0, 0.4], "pass": True},
            },
        ]
    }


def test_a_failing_scan_withdraws_a_usable_source_and_blocks_marking_it_usable(
    store: Store,
) -> None:
    store.write(lambda c: add_source(c, source_id="s1", actor="a", usable=True, **COMPLETE))
    store.write(
        lambda c: record_scan_start(c, scan_id="scan1", out_dir="/tmp/x", options={}, actor="a")
    )
    store.write(
        lambda c: record_scan_finish(
            c, scan_id="scan1", report=_report(0.07, False), report_sha256="ab" * 32, actor="a"
        )
    )
    with store.read() as conn:
        assert not get_source(conn, "s1").usable
        history = source_history(conn, "s1")
        assert verify(conn).ok
    assert [(h["scan_id"], h["passed"], h["records"]) for h in history] == [("scan1", False, 1000)]
    with pytest.raises(InputError, match=r"latest scan \(scan1\) found 7.00% harmful"):
        store.write(lambda c: update_source(c, "s1", actor="a", usable=True))
    actions = [a for a, _ in _events(store)]
    assert actions == [
        "corpus.source.add",
        "corpus.scan.start",
        "corpus.source.update",
        "corpus.scan.finish",
    ]
    # a later passing scan lets a person mark it usable again
    store.write(
        lambda c: record_scan_start(c, scan_id="scan2", out_dir="/tmp/y", options={}, actor="a")
    )
    store.write(
        lambda c: record_scan_finish(
            c, scan_id="scan2", report=_report(0.01, True), report_sha256="cd" * 32, actor="a"
        )
    )
    assert store.write(lambda c: update_source(c, "s1", actor="a", usable=True)).usable


def test_recording_a_scan_twice_is_idempotent(store: Store) -> None:
    store.write(lambda c: add_source(c, source_id="s1", actor="a", **COMPLETE))
    for _ in range(2):
        store.write(
            lambda c: record_scan_start(c, scan_id="scan1", out_dir="/x", options={}, actor="a")
        )
        store.write(
            lambda c: record_scan_finish(
                c, scan_id="scan1", report=_report(0.01, True), report_sha256="e" * 64, actor="a"
            )
        )
    with store.read() as conn:
        assert len(source_history(conn, "s1")) == 1
