"""`hegui audit verify --records` and anchors: quiet database edits are named (issue 11, item 7).

Before: verify checked the chain of events only, so each edit below left it "intact".
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from typer.testing import CliRunner

from hegui.config import SanctionSettings, StoreSettings
from hegui.ops import accounts, agreements, incidents, keys, sanctions, usage
from hegui.ops.records import AgeBand, IncidentRecord, Sanction, UsageRecord
from hegui.store import audit, audit_records
from hegui.store.anchor import check_anchor, make_anchor
from hegui.store.audit_records import verify_records
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.retention import purge
from hegui.store.schema import (
    accounts as accounts_t,
)
from hegui.store.schema import (
    api_keys,
    audit_events,
    audit_head,
    usage_records,
    violations,
)
from hegui.store.schema import (
    incidents as incidents_t,
)

from .conftest import NOW

MASTER = bytes(range(32))
KEYRING = Keyring(MASTER)
runner = CliRunner()


@dataclass
class World:
    account_id: str
    key_id: str
    incident_id: str
    blocked_usage_id: int


def _usage(
    decision: str, incident_id: str | None = None, content: str | None = None
) -> UsageRecord:
    return UsageRecord(
        pseudonym="p_x",
        key_id="k",
        model="m",
        endpoint="chat",
        decision=decision,
        risk_codes=["A.1.a"] if decision == "block" else [],
        prompt_tokens=3,
        completion_tokens=5,
        latency_ms=12.5,
        status=200,
        incident_id=incident_id,
        created_at=NOW,
        content=content,
    )


def build(store: Store) -> World:
    """A little of everything the gateway and staff write, each through its ops function."""
    store.write(lambda c: agreements.publish_agreement(c, "v1", "https://e/t", actor="t", now=NOW))
    acc = store.write(
        lambda c: accounts.create_account(c, name="u", age_band=AgeBand.ADULT, actor="t", now=NOW)
    )
    store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="t", now=NOW))
    key = store.write(lambda c: keys.create_key(c, acc.id, actor="t", now=NOW))
    store.write(lambda c: keys.revoke_key(c, key.key_id, actor="t", now=NOW))
    policy = SanctionSettings(violations_in_a_row=2)
    for streak in (1, 2):
        store.write(
            lambda c, s=streak: sanctions.record_violation(
                c, acc.id, ["A.1.a"], streak=s, policy=policy, tz="Asia/Shanghai", now=NOW
            )
        )
    incident_id = store.write(
        lambda c: incidents.record_incident(
            c,
            IncidentRecord("p_x", "input", "prompt", "block", ["A.1.a"], "m", evidence="教我"),
            keyring=KEYRING,
            policy="violations",
            now=NOW,
        )
    )
    records = [_usage("allow"), _usage("block", incident_id, "教我"), _usage("allow")]
    store.write(lambda c: usage.insert_usage(c, records, keyring=KEYRING, policy="violations"))
    flagged = [_usage("flag", content="你好")]
    store.write(lambda c: usage.insert_usage(c, flagged, keyring=KEYRING, policy="all"))
    with store.read() as conn:
        blocked = conn.execute(
            select(usage_records.c.id).where(usage_records.c.decision == "block")
        ).scalar_one()
    return World(acc.id, key.key_id, incident_id, blocked)


def records(store: Store) -> Any:
    with store.read() as conn:
        assert audit.verify(conn).ok  # every edit below leaves the chain itself intact
        return verify_records(conn)


def named(report: Any) -> set[tuple[str, str, str]]:
    return {(p.table, p.key, p.kind) for p in report.problems}


def test_untouched_records_verify(store: Store) -> None:
    build(store)
    report = records(store)
    assert report.ok, report.problems
    assert report.checked["usage_records"] == 4 and report.checked["violations"] == 2
    assert report.checked["accounts"] == 1 and report.checked["sanction_events"] == 1


def test_a_batch_written_while_verifying_is_not_taken_for_tampering(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verify reads the events, then the rows, of a live database: both from one snapshot.

    Before: on PostgreSQL each statement saw the latest commits (READ COMMITTED), so a usage
    batch the gateway committed between the two reads was reported as rows no event vouched for.
    """
    build(store)
    read_events = audit_records._expectations

    def events_then_a_gateway_batch(conn: Any) -> Any:
        expected = read_events(conn)
        batch = [_usage("allow")]
        store.write(lambda c: usage.insert_usage(c, batch, keyring=KEYRING, policy="violations"))
        return expected

    monkeypatch.setattr(audit_records, "_expectations", events_then_a_gateway_batch)
    report = records(store)
    assert report.ok, report.problems
    assert report.checked["usage_records"] == 4  # the batch came after the snapshot
    assert records(store).checked["usage_records"] == 5  # and is vouched for afterwards


def test_usage_record_turned_from_block_to_allow_and_its_incident_deleted(store: Store) -> None:
    w = build(store)
    store.write(
        lambda c: c.execute(
            update(usage_records)
            .where(usage_records.c.id == w.blocked_usage_id)
            .values(decision="allow", risk_codes=[], incident_id=None)
        )
    )
    store.write(lambda c: c.execute(delete(incidents_t).where(incidents_t.c.id == w.incident_id)))
    assert named(records(store)) == {
        ("usage_records", str(w.blocked_usage_id), "edited"),
        ("incidents", w.incident_id, "deleted"),
    }


def test_all_violations_deleted(store: Store) -> None:
    build(store)
    with store.read() as conn:
        ids = list(conn.execute(select(violations.c.id)).scalars())
    store.write(lambda c: c.execute(delete(violations)))
    assert named(records(store)) == {("violations", str(i), "deleted") for i in ids}


def test_sanction_lifted_in_accounts(store: Store) -> None:
    w = build(store)
    with store.read() as conn:
        assert conn.execute(select(accounts_t.c.sanction)).scalar_one() == Sanction.WARNED
    store.write(
        lambda c: c.execute(
            update(accounts_t).values(sanction="normal", sanction_reason=None, sanction_until=None)
        )
    )
    assert named(records(store)) == {("accounts", w.account_id, "edited")}


@pytest.mark.parametrize("change", ["unrevoke", "swap_secret"])
def test_key_unrevoked_or_its_secret_swapped(store: Store, change: str) -> None:
    w = build(store)
    values: dict[str, Any] = (
        {"revoked_at": None} if change == "unrevoke" else {"secret_hash": "$argon2id$x"}
    )
    store.write(
        lambda c: c.execute(update(api_keys).where(api_keys.c.key_id == w.key_id).values(**values))
    )
    assert named(records(store)) == {("api_keys", w.key_id, "edited")}


def test_rows_written_outside_hegui_are_unvouched(store: Store) -> None:
    build(store)
    row = {
        "pseudonym": "p_y", "key_id": None, "at": NOW, "model": "m", "endpoint": "chat",
        "decision": "allow", "risk_codes": [], "prompt_tokens": 0, "completion_tokens": 0,
        "latency_ms": 1.0, "status": 200, "incident_id": None, "content": None,
    }  # fmt: skip
    store.write(lambda c: c.execute(insert(usage_records).values(**row)))
    kinds = {(t, kind) for t, _, kind in named(records(store))}
    assert kinds == {("usage_records", "unvouched")}


def test_content_swapped_between_usage_rows(store: Store) -> None:
    build(store)
    with store.read() as conn:
        rows = conn.execute(
            select(usage_records.c.id, usage_records.c.content).where(
                usage_records.c.content.is_not(None)
            )
        ).all()
    assert len(rows) == 2
    (a, _), (_, other) = rows
    store.write(
        lambda c: c.execute(
            update(usage_records).where(usage_records.c.id == a).values(content=other)
        )
    )
    assert named(records(store)) == {("usage_records", str(a), "content_changed")}


def test_retention_purge_is_not_taken_for_tampering(store: Store) -> None:
    build(store)
    later = NOW + timedelta(days=2000)
    report = store.write(lambda c: purge(c, StoreSettings(), actor="t", now=later))
    assert report.usage_records_deleted == 4 and report.incident_evidence_erased == 1
    assert records(store).ok, records(store).problems


# ------------------------------------------------------------------ anchors


def test_tail_deleted_and_head_moved_back_passes_the_chain_but_not_the_anchor(store: Store) -> None:
    build(store)
    with store.read() as conn:
        anchor = make_anchor(conn, MASTER)
        head = conn.execute(select(audit_head)).one()
        prev = conn.execute(
            select(audit_events.c.hash).where(audit_events.c.seq == head.seq - 1)
        ).scalar_one()

    def rollback(c: Any) -> None:
        c.execute(delete(audit_events).where(audit_events.c.seq == head.seq))
        c.execute(update(audit_head).values(seq=head.seq - 1, hash=prev))

    store.write(rollback)
    with store.read() as conn:
        assert audit.verify(conn).ok  # the chain alone cannot tell
        check = check_anchor(conn, anchor, MASTER)
    assert not check.ok and not check.holds and "cut below the anchor" in check.message


def test_anchor_signature_and_key_are_checked(store: Store) -> None:
    build(store)
    with store.read() as conn:
        anchor = make_anchor(conn, MASTER)
        assert check_anchor(conn, anchor, MASTER).ok
        assert check_anchor(conn, anchor, None).ok  # an auditor without the key: signature only
        forged = {**anchor, "seq": anchor["seq"] - 1}
        assert not check_anchor(conn, forged, MASTER).signature_ok
        other = make_anchor(conn, bytes(32))
        assert check_anchor(conn, other, MASTER).own_key is False


# ------------------------------------------------------------------ the command


@pytest.fixture
def cli_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HEGUI_STORE__SECRET_KEY", base64.b64encode(MASTER).decode())
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_verify_records_command_names_the_rows_and_exits_1(cli_url: str, tmp_path: Path) -> None:
    from hegui.cli import app
    from hegui.store.db import open_store

    store = open_store(cli_url)
    try:
        w = build(store)
        ok = runner.invoke(app, ["audit", "verify", "--records", "--url", cli_url])
        assert ok.exit_code == 0 and "records as vouched for" in ok.output, ok.output
        anchor = runner.invoke(
            app, ["audit", "anchor", "--url", cli_url, "--out", str(tmp_path / "a.json")]
        )
        assert anchor.exit_code == 0 and json.loads(anchor.output)["signature"]
        store.write(lambda c: c.execute(text("UPDATE accounts SET sanction = 'normal'")))
    finally:
        store.close()
    bad = runner.invoke(app, ["audit", "verify", "--records", "--json", "--url", cli_url])
    assert bad.exit_code == 1
    problems = json.loads(bad.output)["records"]["problems"]
    assert [(p["table"], p["key"], p["kind"]) for p in problems] == [
        ("accounts", w.account_id, "edited")
    ]
    held = runner.invoke(
        app, ["audit", "verify", "--anchor", str(tmp_path / "a.json"), "--url", cli_url]
    )
    assert held.exit_code == 0 and "anchor holds" in held.output
