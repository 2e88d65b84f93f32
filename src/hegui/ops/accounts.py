"""Accounts: age band, agreement version, sanction state, training opt-out.

Every change writes its audit event (before/after digests of the account) in the same
transaction. Sanction changes live in :mod:`hegui.ops.sanctions`, acceptance in
:mod:`hegui.ops.agreements`.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, exists, insert, select, update

from hegui.errors import InputError
from hegui.ops.paging import DEFAULT_LIMIT, Page, keyset_page
from hegui.ops.records import AgeBand, Sanction
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.schema import accounts, end_users, utcnow

__all__ = [
    "Account",
    "create_account",
    "get_account",
    "list_accounts",
    "page_accounts",
    "parse_age_band",
    "set_age_band",
    "set_training_opt_out",
    "update_account",
]


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str
    age_band: AgeBand
    agreement_version: str | None
    sanction: Sanction
    sanction_reason: str | None
    sanction_until: datetime | None
    training_opt_out: bool
    created_at: datetime

    def state(self) -> dict[str, Any]:
        """The account as plain values, for audit digests and JSON output."""
        out = asdict(self)
        for key in ("sanction_until", "created_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["age_band"] = str(self.age_band)
        out["sanction"] = str(self.sanction)
        return out


def parse_age_band(value: str) -> AgeBand:
    """``adult``, ``under_16`` or ``16_17``; anything else is an input error."""
    try:
        return AgeBand(value)
    except ValueError:
        choices = ", ".join(b.value for b in AgeBand)
        raise InputError(f"unknown age band {value!r} (choose {choices})") from None


def _from_row(row: Row[Any]) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        age_band=AgeBand(row.age_band),
        agreement_version=row.agreement_version,
        sanction=Sanction(row.sanction),
        sanction_reason=row.sanction_reason,
        sanction_until=row.sanction_until,
        training_opt_out=bool(row.training_opt_out),
        created_at=row.created_at,
    )


def create_account(
    conn: Connection,
    *,
    name: str,
    age_band: AgeBand,
    actor: str,
    training_opt_out: bool = False,
    now: datetime | None = None,
) -> Account:
    """Create a normal-standing account that has accepted no agreement yet."""
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("account name must be 1–200 characters")
    now = now or utcnow()
    account_id = secrets.token_hex(8)
    values: dict[str, Any] = {
        "id": account_id,
        "name": name,
        "age_band": age_band.value,
        "agreement_version": None,
        "sanction": Sanction.NORMAL.value,
        "sanction_reason": None,
        "sanction_until": None,
        "training_opt_out": training_opt_out,
        "created_at": now,
        "updated_at": now,
    }
    conn.execute(insert(accounts).values(**values))
    account = get_account(conn, account_id)
    audit.append(
        conn,
        actor=actor,
        action="account.create",
        subject=f"account:{account.id}",
        after=account.state(),
        detail={"age_band": age_band.value, "rows": seal(conn, "accounts", account_id)},
        at=now,
    )
    return account


def get_account(conn: Connection, account_id: str) -> Account:
    """The account, or :class:`InputError` when there is none with that id."""
    row = conn.execute(select(accounts).where(accounts.c.id == account_id)).one_or_none()
    if row is None:
        raise InputError(f"no account {account_id!r}")
    return _from_row(row)


def _own_accounts() -> Any:
    return select(accounts).where(~exists().where(end_users.c.account_id == accounts.c.id))


def list_accounts(conn: Connection) -> list[Account]:
    """All accounts, oldest first; not the end users behind apps' keys (see ops.end_users)."""
    rows = conn.execute(_own_accounts().order_by(accounts.c.created_at, accounts.c.id))
    return [_from_row(r) for r in rows]


def page_accounts(
    conn: Connection, *, after: str | None = None, limit: int = DEFAULT_LIMIT
) -> Page[Account]:
    """One page of :func:`list_accounts`: those after the account ``after`` (ops.paging)."""
    c = accounts.c
    page = keyset_page(conn, _own_accounts(), key=c.id, at=c.created_at, after=after, limit=limit)
    return Page([_from_row(r) for r in page.items], page.has_more)


def update_account(
    conn: Connection,
    account_id: str,
    *,
    actor: str,
    action: str,
    values: dict[str, Any],
    detail: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Account:
    """Apply ``values`` to one account and audit the change (shared by every ops module).

    The event seals the account row as it now is, with any rows the caller sealed in
    ``detail["rows"]`` (:mod:`hegui.store.audit_records`).
    """
    now = now or utcnow()
    before = get_account(conn, account_id)
    conn.execute(
        update(accounts).where(accounts.c.id == account_id).values(**values, updated_at=now)
    )
    after = get_account(conn, account_id)
    detail = dict(detail or {})
    detail["rows"] = {**detail.get("rows", {}), **seal(conn, "accounts", account_id)}
    audit.append(
        conn,
        actor=actor,
        action=action,
        subject=f"account:{account_id}",
        before=before.state(),
        after=after.state(),
        detail=detail,
        at=now,
    )
    return after


def set_age_band(
    conn: Connection, account_id: str, age_band: AgeBand, *, actor: str, now: datetime | None = None
) -> Account:
    """Change the age band (turns minors' mode on or off for the account)."""
    return update_account(
        conn,
        account_id,
        actor=actor,
        action="account.age_band",
        values={"age_band": age_band.value},
        detail={"age_band": age_band.value},
        now=now,
    )


def set_training_opt_out(
    conn: Connection, account_id: str, opt_out: bool, *, actor: str, now: datetime | None = None
) -> Account:
    """Record the user's choice about use of their inputs for training (PIPL consent)."""
    return update_account(
        conn,
        account_id,
        actor=actor,
        action="account.training_opt_out",
        values={"training_opt_out": opt_out},
        detail={"training_opt_out": opt_out},
        now=now,
    )
