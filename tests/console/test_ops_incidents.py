"""Incident disposal: actions, elimination of stored content, closure rules, authority report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hegui.errors import InputError
from hegui.ops import incident_actions as ops
from hegui.ops.disclosures import current_disclosure, disclosure_history, publish_disclosure
from hegui.store.audit import verify
from hegui.store.audit_records import verify_records
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.schema import usage_records
from tests.console.conftest import NOW, make_person


def test_incident_is_worked_to_closure_and_reported(store: Store, keyring: Keyring) -> None:
    person = make_person(store, keyring)
    with store.read() as conn:
        [inc] = ops.list_incidents(conn)
    iid = inc["id"]
    store.write(
        lambda c: ops.add_action(
            c, iid, "stop_transmission", "已停止传输", actor="staff:a", now=NOW
        )
    )
    store.write(
        lambda c: ops.add_action(c, iid, "eliminate", "删除已存内容", actor="staff:a", now=NOW)
    )
    rectify = store.write(
        lambda c: ops.add_action(c, iid, "rectify", "调整模型过滤", actor="staff:a", now=NOW)
    )
    with store.read() as conn:
        contents = (
            conn.execute(select(usage_records.c.content).where(usage_records.c.incident_id == iid))
            .scalars()
            .all()
        )
        assert contents == [None]
    with pytest.raises(InputError, match="still open"):
        store.write(lambda c: ops.close_incident(c, iid, actor="staff:a"))
    store.write(lambda c: ops.close_action(c, rectify, "整改完成", actor="staff:a"))
    store.write(lambda c: ops.close_incident(c, iid, actor="staff:a"))
    with store.read() as conn:
        report = ops.incident_report(conn, iid, keyring=keyring)
        assert report["evidence"] == person.prompt
        assert [a["kind"] for a in report["actions"]] == [
            "stop_transmission",
            "eliminate",
            "rectify",
        ]
        assert report["incident"]["status"] == "closed"
        assert [e["action"] for e in report["audit"]][-1] == "incident.close"
        assert verify(conn).ok
        assert verify_records(conn).ok, verify_records(conn).as_dict()
    with pytest.raises(InputError, match="closed"):
        store.write(lambda c: ops.add_action(c, iid, "report", "x", actor="staff:a"))


def test_staff_open_incidents_with_known_risk_codes_only(store: Store, keyring: Keyring) -> None:
    iid = store.write(
        lambda c: ops.open_incident(
            c, risk_codes=["A.1.a"], description="用户举报", keyring=keyring, actor="staff:a"
        )
    )
    with store.read() as conn:
        assert ops.incident_counts(conn) == {"open": 1, "total": 1}
        assert ops.incident_report(conn, iid, keyring=keyring)["evidence"] == "用户举报"
    with pytest.raises(InputError, match="unknown risk code"):
        store.write(
            lambda c: ops.open_incident(
                c, risk_codes=["Z.9"], description="x", keyring=keyring, actor="a"
            )
        )
    with pytest.raises(InputError, match="unknown action"):
        store.write(lambda c: ops.add_action(c, iid, "nuke", "x", actor="a"))


def test_disclosures_are_versioned(store: Store) -> None:
    store.write(
        lambda c: publish_disclosure(
            c, "2026-1", {"audience": "成年人", "uses": "写作"}, actor="staff:a", now=NOW
        )
    )
    store.write(
        lambda c: publish_disclosure(
            c, "2026-2", {"audience": "成年人和学生", "uses": "写作"}, actor="staff:a"
        )
    )
    with store.read() as conn:
        current = current_disclosure(conn)
        assert current is not None and current.version == "2026-2"
        assert [d.version for d in disclosure_history(conn)] == ["2026-2", "2026-1"]
    with pytest.raises(InputError, match="already published"):
        store.write(
            lambda c: publish_disclosure(c, "2026-1", {"audience": "a", "uses": "b"}, actor="a")
        )
    with pytest.raises(InputError, match="who the service is for"):
        store.write(lambda c: publish_disclosure(c, "2026-3", {"audience": ""}, actor="a"))
