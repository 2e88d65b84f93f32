"""Usage records, incidents and retention: pseudonymous, encrypted when kept, purged on time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hegui.config import StoreSettings
from hegui.errors import ConfigError
from hegui.ops import accounts, incidents, minors, usage
from hegui.ops.records import AgeBand, IncidentRecord, UsageRecord
from hegui.store import audit, retention
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.schema import incidents as incidents_table
from hegui.store.schema import minors_usage, usage_records

from .conftest import NOW

RING = Keyring(bytes(range(32)))


def _usage(decision: str, *, at=NOW, content: str | None = "用户输入") -> UsageRecord:
    return UsageRecord(
        pseudonym="p_x",
        key_id="k",
        model="m",
        endpoint="/v1/chat/completions",
        decision=decision,
        risk_codes=["A.1.b", "A.1.a"] if decision != "allow" else [],
        prompt_tokens=3,
        completion_tokens=5,
        created_at=at,
        content=content,
    )


@pytest.mark.parametrize(
    ("policy", "decision", "kept"),
    [
        ("none", "block", False),
        ("violations", "allow", False),
        ("violations", "refuse", True),
        ("violations", "block", True),
        ("violations", "failed", True),
        ("violations", "review", True),  # a person has to read it
        ("none", "review", False),
        ("all", "allow", True),
    ],
)
def test_content_policy(policy: str, decision: str, kept: bool) -> None:
    assert usage.keeps_content(decision, policy) is kept


def test_unknown_content_policy_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        usage.keeps_content("allow", "some")


def test_usage_batch_encrypts_only_violations_and_is_audited(store: Store) -> None:
    batch = [_usage("allow"), _usage("block"), _usage("allow", content=None)]
    assert (
        store.write(lambda c: usage.insert_usage(c, batch, keyring=RING, policy="violations")) == 3
    )
    with store.read() as conn:
        rows = conn.execute(usage_records.select().order_by(usage_records.c.id)).all()
        report = audit.verify(conn)
    assert [r.content is not None for r in rows] == [False, True, False]
    assert b"\xe7\x94\xa8" not in rows[1].content  # "用" never in clear
    assert RING.decrypt_text(rows[1].content, usage.USAGE_CONTEXT) == "用户输入"
    assert rows[1].risk_codes == ["A.1.a", "A.1.b"] and rows[1].at == NOW
    assert report.ok and report.events == 1


def test_review_queue_lists_review_records_newest_first(store: Store) -> None:
    batch = [_usage("review", at=NOW - timedelta(hours=2)), _usage("allow"), _usage("flag"),
             _usage("review", at=NOW - timedelta(hours=1), content="第二条")]  # fmt: skip
    store.write(lambda c: usage.insert_usage(c, batch, keyring=RING, policy="violations"))
    with store.read() as conn:
        queue = usage.review_queue(conn)
        recent = usage.review_queue(conn, since=NOW - timedelta(minutes=90))
    assert [r["decision"] for r in queue] == ["review", "review"]
    assert RING.decrypt_text(queue[0]["content"], usage.USAGE_CONTEXT) == "第二条"
    assert [r["at"] for r in recent] == [NOW - timedelta(hours=1)]


def test_incident_evidence_is_encrypted_and_bound_to_its_id(store: Store) -> None:
    record = IncidentRecord(
        pseudonym="p_x",
        direction="input",
        stage="prompt",
        action="refuse",
        risk_codes=["A.1.a"],
        model="m",
        evidence="违禁证据",
        detail={"n": 1},
    )
    first = store.write(
        lambda c: incidents.record_incident(c, record, keyring=RING, policy="violations")
    )
    second = store.write(
        lambda c: incidents.record_incident(c, record, keyring=RING, policy="none")
    )
    with store.read() as conn:
        got = incidents.get_incident(conn, first, keyring=RING)
        assert incidents.get_incident(conn, second, keyring=RING).evidence is None
        blob = conn.execute(
            select(incidents_table.c.evidence).where(incidents_table.c.id == first)
        ).scalar_one()
    assert got.evidence == "违禁证据" and got.status == "open" and got.detail == {"n": 1}
    with pytest.raises(Exception, match="authentication"):
        RING.decrypt(blob, f"incident:{second}")


def _count(store: Store, table) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_purge_respects_log_and_evidence_retention(store: Store) -> None:
    cfg = StoreSettings(log_retention_days=183, evidence_retention_days=1095)
    old, ancient = NOW - timedelta(days=200), NOW - timedelta(days=1200)
    batch = [
        _usage("allow", at=NOW),
        _usage("allow", at=old),
        _usage("block", at=old),
        _usage("block", at=ancient),
    ]
    store.write(lambda c: usage.insert_usage(c, batch, keyring=RING, policy="violations"))
    acc = store.write(
        lambda c: accounts.create_account(c, name="m", age_band=AgeBand.UNDER_16, actor="t")
    )
    store.write(
        lambda c: minors.save_state(c, acc.id, "2026-01-01", minors.MinorsState(10, old, old))
    )
    record = IncidentRecord("p_x", "input", "prompt", "refuse", ["A.1.a"], "m", evidence="e")
    inc = store.write(
        lambda c: incidents.record_incident(c, record, keyring=RING, policy="all", now=ancient)
    )

    with store.read() as conn:
        dry = retention.purge(conn, cfg, actor="t", dry_run=True, now=NOW)
    assert (dry.usage_records_deleted, dry.incident_evidence_erased, dry.minors_days_deleted) == (
        2,
        1,
        1,
    )
    assert _count(store, usage_records) == 4  # dry run deleted nothing

    done = store.write(lambda c: retention.purge(c, cfg, actor="t", now=NOW))
    assert done.as_dict() | {"dry_run": True} == dry.as_dict()
    with store.read() as conn:
        left = conn.execute(
            select(usage_records.c.at, usage_records.c.decision).order_by(usage_records.c.at)
        ).all()
        assert incidents.get_incident(conn, inc, keyring=RING).evidence is None
        assert audit.verify(conn).ok
        last = conn.execute(
            audit.audit_events.select().order_by(audit.audit_events.c.seq.desc())
        ).first()
    # the violation from 200 days ago is still evidence; the plain one is gone
    assert left == [(old, "block"), (NOW, "allow")]
    assert _count(store, minors_usage) == 0
    assert last is not None and last.action == "retention.purge"


def test_purge_refuses_log_retention_under_six_months(store: Store) -> None:
    with store.read() as conn, pytest.raises(ConfigError, match="183"):
        retention.purge(conn, StoreSettings(log_retention_days=30), actor="t", dry_run=True)


def test_minors_state_upsert_never_lowers_the_total(store: Store) -> None:
    acc = store.write(
        lambda c: accounts.create_account(c, name="m", age_band=AgeBand.UNDER_16, actor="t")
    )
    store.write(
        lambda c: minors.save_state(c, acc.id, "2026-11-28", minors.MinorsState(300, NOW, NOW))
    )
    store.write(
        lambda c: minors.save_state(c, acc.id, "2026-11-28", minors.MinorsState(200, NOW, NOW))
    )
    with store.read() as conn:
        assert minors.load_state(conn, acc.id, "2026-11-28").seconds == 300
        assert minors.load_state(conn, acc.id, "2026-11-29") == minors.MinorsState()
