"""Personal-information requests (Interim Measures Art. 11, PIPL Art. 44–47, TC260 §7).

The person proves who they are with their account's API key (:func:`identify`), chooses what they
want (access, copy, correct, supplement, delete, opt out of training use) and gets a tracking
number and a deadline in working days (``console.request_working_days``). Staff fulfil or refuse:
fulfilling *does* the thing — opt-out and erasure change the store at once; correction and
supplement apply the corrected name or age band staff enter; access and copy make the export
(:mod:`hegui.ops.personal_data`) available to the person on the status page and to staff.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, func, insert, select, update

from hegui.config import ConsoleSettings
from hegui.errors import InputError
from hegui.ops import accounts as account_ops
from hegui.ops.deadlines import due_after, parse_holidays
from hegui.ops.forms import hash_tracking, new_tracking, optional_text, required_text
from hegui.ops.keys import lookup_key, parse_api_key, verify_secret
from hegui.ops.personal_data import erase
from hegui.store import audit
from hegui.store.crypto import Keyring
from hegui.store.schema import pi_requests, utcnow

__all__ = [
    "KINDS",
    "PiRequest",
    "file_request",
    "fulfil_request",
    "get_request",
    "identify",
    "list_requests",
    "reject_request",
    "request_by_tracking",
    "request_counts",
]

# kind → (中文, English)
KINDS: dict[str, tuple[str, str]] = {
    "access": ("查阅", "Access"),
    "copy": ("复制（导出）", "Copy (export)"),
    "correct": ("更正", "Correct"),
    "supplement": ("补充", "Supplement"),
    "delete": ("删除", "Delete"),
    "opt_out": ("拒绝用于训练", "Opt out of training use"),
}
EXPORT_KINDS = ("access", "copy")


@dataclass(frozen=True, slots=True)
class PiRequest:
    id: str
    account_id: str | None
    kind: str
    detail: str | None
    status: str  # open | done | rejected
    outcome: str | None
    handled_by: str | None
    filed_at: datetime
    due_at: datetime
    closed_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.status == "open" and now > self.due_at


def _ctx(request_id: str) -> str:
    return f"pi_request:{request_id}"


def identify(conn: Connection, api_key: str) -> str | None:
    """The account id behind a live API key (argon2-verified), or None."""
    key_id = parse_api_key(api_key.strip())
    if key_id is None:
        return None
    row = lookup_key(conn, key_id)
    if not verify_secret(row.secret_hash if row is not None else None, api_key.strip()):
        return None
    return None if row is None else str(row.id)


def _from_row(row: Row[Any], keyring: Keyring) -> PiRequest:
    return PiRequest(
        id=row.id,
        account_id=row.account_id,
        kind=row.kind,
        detail=None if row.detail is None else keyring.decrypt_text(row.detail, _ctx(row.id)),
        status=row.status,
        outcome=row.outcome,
        handled_by=row.handled_by,
        filed_at=row.filed_at,
        due_at=row.due_at,
        closed_at=row.closed_at,
    )


def file_request(
    conn: Connection,
    *,
    account_id: str,
    kind: str,
    keyring: Keyring,
    settings: ConsoleSettings,
    detail: str | None = None,
    now: datetime | None = None,
) -> tuple[PiRequest, str]:
    """Record a request by an identified account; returns it and its tracking number."""
    if kind not in KINDS:
        raise InputError(f"unknown request {kind!r} (choose {', '.join(KINDS)})")
    account_ops.get_account(conn, account_id)
    text = optional_text(detail, "detail", settings.max_field_chars)
    if kind in ("correct", "supplement") and text is None:
        raise InputError("say what should be corrected or supplemented")
    now = now or utcnow()
    due = due_after(
        now, settings.request_working_days, settings.timezone, parse_holidays(settings.holidays)
    )
    request_id = "pir_" + secrets.token_hex(8)
    tracking = new_tracking("R")
    conn.execute(
        insert(pi_requests).values(
            id=request_id,
            tracking_hash=hash_tracking(tracking),
            account_id=account_id,
            kind=kind,
            detail=None if text is None else keyring.encrypt(text, _ctx(request_id)),
            status="open",
            filed_at=now,
            due_at=due,
        )
    )
    audit.append(
        conn,
        actor=f"account:{account_id}",
        action="pi_request.file",
        subject=f"pi_request:{request_id}",
        after={"kind": kind, "detail": text},
        detail={"kind": kind, "due_at": due.isoformat()},
        at=now,
    )
    return get_request(conn, request_id, keyring=keyring), tracking


def get_request(conn: Connection, request_id: str, *, keyring: Keyring) -> PiRequest:
    row = conn.execute(select(pi_requests).where(pi_requests.c.id == request_id)).one_or_none()
    if row is None:
        raise InputError(f"no request {request_id!r}")
    return _from_row(row, keyring)


def request_by_tracking(conn: Connection, tracking: str, *, keyring: Keyring) -> PiRequest | None:
    row = conn.execute(
        select(pi_requests).where(pi_requests.c.tracking_hash == hash_tracking(tracking))
    ).one_or_none()
    return None if row is None else _from_row(row, keyring)


def list_requests(
    conn: Connection,
    *,
    keyring: Keyring,
    now: datetime | None = None,
    state: str = "open",
    limit: int = 50,
    offset: int = 0,
) -> list[PiRequest]:
    """A page of requests: ``open`` (earliest deadline first), ``overdue``, ``closed``, ``all``."""
    now = now or utcnow()
    c = pi_requests.c
    stmt = select(pi_requests)
    if state == "open":
        stmt = stmt.where(c.status == "open").order_by(c.due_at, c.id)
    elif state == "overdue":
        stmt = stmt.where(c.status == "open", c.due_at < now).order_by(c.due_at, c.id)
    elif state == "closed":
        stmt = stmt.where(c.status != "open").order_by(c.closed_at.desc(), c.id)
    elif state == "all":
        stmt = stmt.order_by(c.filed_at.desc(), c.id)
    else:
        raise InputError(f"unknown queue {state!r} (open, overdue, closed, all)")
    rows = conn.execute(stmt.limit(max(1, min(limit, 500))).offset(max(0, offset)))
    return [_from_row(r, keyring) for r in rows]


def request_counts(conn: Connection, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    c = pi_requests.c
    open_n, overdue_n = conn.execute(
        select(
            func.count().filter(c.status == "open"),
            func.count().filter(and_(c.status == "open", c.due_at < now)),
        ).select_from(pi_requests)
    ).one()
    return {"open": open_n, "overdue": overdue_n}


def _close(
    conn: Connection, req: PiRequest, status: str, outcome: str, actor: str, now: datetime
) -> None:
    conn.execute(
        update(pi_requests)
        .where(pi_requests.c.id == req.id, pi_requests.c.status == "open")
        .values(status=status, outcome=outcome, handled_by=actor[:64], closed_at=now)
    )
    audit.append(
        conn,
        actor=actor,
        action=f"pi_request.{status}",
        subject=f"pi_request:{req.id}",
        before={"status": "open"},
        after={"status": status, "outcome": outcome},
        detail={"kind": req.kind, "late": now > req.due_at},
        at=now,
    )


def _open(conn: Connection, request_id: str, keyring: Keyring) -> PiRequest:
    req = get_request(conn, request_id, keyring=keyring)
    if req.status != "open":
        raise InputError(f"request {request_id} is already {req.status}")
    if req.account_id is None:
        raise InputError(f"request {request_id} has no account any more")
    return req


def fulfil_request(
    conn: Connection,
    request_id: str,
    *,
    keyring: Keyring,
    actor: str,
    name: str | None = None,
    age_band: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PiRequest:
    """Carry the request out (see module docstring) and close it as done, in one transaction."""
    req = _open(conn, request_id, keyring)
    assert req.account_id is not None
    now = now or utcnow()
    outcome = (note or "").strip()[:2000]
    if req.kind == "delete":
        counts = erase(
            conn, req.account_id, keyring=keyring, actor=actor, request_id=req.id, now=now
        )
        outcome = outcome or f"erased {sum(counts.values())} records"
    elif req.kind == "opt_out":
        account_ops.set_training_opt_out(conn, req.account_id, True, actor=actor, now=now)
        outcome = outcome or "inputs excluded from training use"
    elif req.kind in ("correct", "supplement"):
        values: dict[str, Any] = {}
        if name is not None and name.strip():
            values["name"] = required_text(name, "name", 200)
        if age_band:
            values["age_band"] = account_ops.parse_age_band(age_band).value
        if not values and not outcome:
            raise InputError("enter the corrected values or a note saying what was changed")
        if values:
            account_ops.update_account(
                conn,
                req.account_id,
                actor=actor,
                action=f"account.{req.kind}",
                values=values,
                detail={"request": req.id, "fields": sorted(values)},
                now=now,
            )
        outcome = outcome or f"updated {', '.join(sorted(values))}"
    else:
        outcome = outcome or "export available on the status page"
    _close(conn, req, "done", outcome, actor, now)
    return get_request(conn, request_id, keyring=keyring)


def reject_request(
    conn: Connection,
    request_id: str,
    reason: str,
    *,
    keyring: Keyring,
    actor: str,
    now: datetime | None = None,
) -> PiRequest:
    """Refuse the request, with the reason the person will read."""
    text = required_text(reason, "reason", 2000)
    req = _open(conn, request_id, keyring)
    _close(conn, req, "rejected", text, actor, now or utcnow())
    return get_request(conn, request_id, keyring=keyring)
