"""The hash-chained audit log: append inside the caller's transaction, verify from the start.

Each event is ``{seq, at, actor, action, subject, before_hash, after_hash, detail, prev_hash,
hash}`` where ``hash = sha256(canonical JSON of every other field except seq)``. ``prev_hash``
links an event to the one before it, so the order is fixed by the hashes and ``seq`` only has to
be gap-free. Appends lock the single ``audit_head`` row, which serialises writers across gateway
replicas and remembers the tip, so a deleted tail is noticed too.

``before_hash``/``after_hash`` are digests of the subject's state (:func:`digest`), so the log
proves what changed without copying personal data into it. Rewriting the *whole* chain cannot be
detected from inside the database: publish :attr:`AuditReport.head_hash` elsewhere to anchor it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from hegui.store.schema import audit_events, audit_head, utcnow

__all__ = [
    "GENESIS",
    "AuditEvent",
    "AuditProblem",
    "AuditReport",
    "append",
    "canonical",
    "digest",
    "verify",
]

GENESIS = "0" * 64
_HASHED = ("at", "actor", "action", "subject", "before_hash", "after_hash", "detail", "prev_hash")


def canonical(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept, datetimes as ISO strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any) -> str | None:
    """sha256 of the canonical JSON of ``value`` (None stays None: "no state")."""
    if value is None:
        return None
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def _event_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: fields[k] for k in _HASHED}).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    before_hash: str | None
    after_hash: str | None
    detail: str
    prev_hash: str
    hash: str


def append(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with the change)."""
    head = conn.execute(select(audit_head).where(audit_head.c.id == 1).with_for_update()).one()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": (at or utcnow()).isoformat(),
        "actor": actor,
        "action": action,
        "subject": subject,
        "before_hash": digest(before),
        "after_hash": digest(after),
        "detail": canonical(detail or {}),
        "prev_hash": head.hash,
    }
    fields["hash"] = _event_hash(fields)
    conn.execute(insert(audit_events).values(**fields))
    conn.execute(
        update(audit_head)
        .where(audit_head.c.id == 1)
        .values(seq=fields["seq"], hash=fields["hash"])
    )
    return AuditEvent(**fields)


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    kind: str  # edited | deleted | reordered | broken_link | truncated
    message: str


@dataclass(slots=True)
class AuditReport:
    events: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "problems": [
                {"seq": p.seq, "kind": p.kind, "message": p.message} for p in self.problems
            ],
        }


def verify(conn: Connection, *, max_problems: int = 100) -> AuditReport:
    """Walk the chain in seq order and report every edited, deleted or reordered event."""
    head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).one()
    report = AuditReport(head_seq=head.seq, head_hash=head.hash)
    prev_seq, prev_hash = 0, GENESIS
    rows = conn.execute(
        select(audit_events).order_by(audit_events.c.seq).execution_options(yield_per=2000)
    )
    for row in rows:
        fields = row._asdict()
        report.events += 1
        seq = fields["seq"]
        if _event_hash(fields) != fields["hash"]:
            report.problems.append(
                AuditProblem(seq, "edited", f"event {seq} does not match its hash")
            )
        if seq != prev_seq + 1:
            missing = f"{prev_seq + 1}" if seq == prev_seq + 2 else f"{prev_seq + 1}–{seq - 1}"
            report.problems.append(AuditProblem(seq, "deleted", f"events {missing} are missing"))
        elif fields["prev_hash"] != prev_hash:
            report.problems.append(_link_problem(conn, seq, fields["prev_hash"]))
        prev_seq, prev_hash = seq, fields["hash"]
        if len(report.problems) >= max_problems:
            return report
    if (prev_seq, prev_hash) != (head.seq, head.hash):
        report.problems.append(
            AuditProblem(
                prev_seq,
                "truncated",
                f"chain ends at event {prev_seq} but the recorded tip is event {head.seq}",
            )
        )
    return report


def _link_problem(conn: Connection, seq: int, prev_hash: str) -> AuditProblem:
    """Name a broken link: pointing at another event means reordered, at nothing means altered."""
    target = conn.execute(
        select(audit_events.c.seq).where(audit_events.c.hash == prev_hash)
    ).scalar_one_or_none()
    if target is not None:
        return AuditProblem(seq, "reordered", f"event {seq} follows event {target}, not {seq - 1}")
    return AuditProblem(
        seq, "broken_link", f"event {seq} does not follow event {seq - 1} (altered or replaced)"
    )
