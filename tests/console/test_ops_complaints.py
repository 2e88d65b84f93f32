"""Complaints: filing, tracking, queue with SLA, answering, overdue escalation (moving the clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hegui.config import ConsoleSettings
from hegui.errors import InputError
from hegui.ops import complaints as ops
from hegui.store.audit import verify
from hegui.store.audit_records import verify_records
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.schema import complaints
from tests.console.conftest import NOW, find_everywhere


def _file(
    store: Store, keyring: Keyring, settings: ConsoleSettings, text: str = "生成内容有误导"
) -> tuple[ops.Complaint, str]:
    return store.write(
        lambda c: ops.file_complaint(
            c,
            category="generated_content",
            content=text,
            reference="chatcmpl-123",
            contact="me@example.org",
            keyring=keyring,
            settings=settings,
            now=NOW,
        )
    )


def test_filed_complaint_is_readable_only_by_its_tracking_number(
    store: Store, keyring: Keyring, console_settings: ConsoleSettings
) -> None:
    complaint, tracking = _file(store, keyring, console_settings)
    assert tracking.startswith("C-") and len(tracking) == 26
    with store.read() as conn:
        status = ops.public_status(conn, tracking)
        assert status is not None and status.status == "open" and status.due_at == complaint.due_at
        assert ops.public_status(conn, tracking.lower().replace("-", "- ", 1)) is not None
        assert ops.public_status(conn, "C-0000-0000-0000-0000-0000") is None
    # content and contact are stored encrypted, the tracking number only as a hash
    assert find_everywhere(store, ["生成内容有误导", "me@example.org", tracking]) == []


def test_empty_or_oversized_content_writes_nothing(store: Store, keyring: Keyring) -> None:
    settings = ConsoleSettings(max_field_chars=10)
    for text in ("   ", "字" * 11):
        with pytest.raises(InputError):
            _file(store, keyring, settings, text)
    with pytest.raises(InputError, match="unknown category"):
        store.write(
            lambda c: ops.file_complaint(
                c, category="x", content="a", keyring=keyring, settings=settings
            )
        )
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(complaints)).scalar() == 0


def test_answer_reaches_the_status_page_and_closes_the_item(
    store: Store, keyring: Keyring, console_settings: ConsoleSettings
) -> None:
    complaint, tracking = _file(store, keyring, console_settings)
    store.write(
        lambda c: ops.assign_complaint(c, complaint.id, "alice", actor="staff:admin", now=NOW)
    )
    store.write(
        lambda c: ops.answer_complaint(
            c, complaint.id, "已核实并处理", actor="staff:alice", settings=console_settings, now=NOW
        )
    )
    with store.read() as conn:
        status = ops.public_status(conn, tracking)
        assert (
            status is not None and status.status == "answered" and status.answer == "已核实并处理"
        )
        assert ops.list_complaints(conn, keyring=keyring, now=NOW) == []
        assert [c.id for c in ops.list_complaints(conn, keyring=keyring, state="closed")] == [
            complaint.id
        ]
    with pytest.raises(InputError, match="already answered"):
        store.write(
            lambda c: ops.answer_complaint(
                c, complaint.id, "again", actor="x", settings=console_settings
            )
        )
    with store.read() as conn:
        assert verify(conn).ok and verify_records(conn).ok


def test_overdue_items_are_flagged_and_escalated_once_when_the_clock_moves(
    store: Store, keyring: Keyring
) -> None:
    settings = ConsoleSettings(complaint_working_days=3)
    early, _ = _file(store, keyring, settings)
    with store.read() as conn:
        assert ops.complaint_counts(conn, NOW)["overdue"] == 0
        before_due = early.due_at - timedelta(minutes=1)
        assert ops.list_complaints(conn, keyring=keyring, now=before_due, state="overdue") == []
    later = early.due_at + timedelta(seconds=1)
    with store.read() as conn:
        overdue = ops.list_complaints(conn, keyring=keyring, now=later, state="overdue")
        assert [c.id for c in overdue] == [early.id] and overdue[0].overdue(later)
        assert ops.complaint_counts(conn, later) == {"open": 1, "overdue": 1, "answered": 0}
    assert store.write(lambda c: ops.escalate_overdue(c, actor="system", now=before_due)) == []
    assert store.write(lambda c: ops.escalate_overdue(c, actor="system", now=later)) == [early.id]
    assert store.write(lambda c: ops.escalate_overdue(c, actor="system", now=later)) == []
    with store.read() as conn:
        assert ops.get_complaint(conn, early.id, keyring=keyring).escalated_at == later
