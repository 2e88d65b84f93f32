"""The sanction ladder of Interim Measures Art. 14: warn, restrict, suspend, terminate.

Staff move an account to any step (:func:`set_sanction`); the gateway moves it up one step at a
time when the escalation policy says so (:func:`record_violation`). Press reports of regulator
practice (reference/standards.md §1.9) set the defaults: 3 violations in a row or 5 in one day.
Timed steps expire back to ``normal`` (:func:`expire_if_due`). Every step is a row in
``sanction_events`` and an audit event, written in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select

from hegui.config import SanctionSettings
from hegui.errors import InputError
from hegui.ops.accounts import get_account, update_account
from hegui.ops.records import Sanction, SanctionOutcome
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.schema import sanction_events, utcnow, violations

__all__ = [
    "LADDER",
    "escalation_reason",
    "expire_if_due",
    "local_day_start",
    "next_step",
    "parse_sanction",
    "record_violation",
    "set_sanction",
]

LADDER: tuple[Sanction, ...] = (
    Sanction.NORMAL,
    Sanction.WARNED,
    Sanction.RESTRICTED,
    Sanction.SUSPENDED,
    Sanction.TERMINATED,
)


def parse_sanction(value: str) -> Sanction:
    try:
        return Sanction(value)
    except ValueError:
        choices = ", ".join(s.value for s in LADDER)
        raise InputError(f"unknown sanction {value!r} (choose {choices})") from None


def next_step(current: Sanction) -> Sanction:
    """One step up the ladder (terminated stays terminated)."""
    return LADDER[min(LADDER.index(current) + 1, len(LADDER) - 1)]


def escalation_reason(streak: int, today: int, policy: SanctionSettings) -> str | None:
    """Why the latest violation moves the account up the ladder, or None when it does not.

    ``streak`` counts violations in a row including this one; ``today`` counts today's including
    this one. The per-day rule fires at every multiple, so 5 and then 10 a day are two steps.
    """
    if policy.violations_in_a_row > 0 and streak >= policy.violations_in_a_row:
        return f"{streak} violations in a row"
    if policy.violations_per_day > 0 and today > 0 and today % policy.violations_per_day == 0:
        return f"{today} violations today"
    return None


def local_day_start(now: datetime, tz: str) -> datetime:
    """Midnight of ``now``'s local day in ``tz``, as an aware datetime."""
    local = now.astimezone(ZoneInfo(tz))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def set_sanction(
    conn: Connection,
    account_id: str,
    to: Sanction,
    *,
    reason: str,
    actor: str,
    until: datetime | None = None,
    now: datetime | None = None,
) -> SanctionOutcome:
    """Move the account to ``to`` (any step), recording who, why and until when."""
    if not reason.strip():
        raise InputError("a sanction needs a reason")
    now = now or utcnow()
    if until is not None and until <= now:
        raise InputError("sanction end must be in the future")
    if to is Sanction.NORMAL:
        until = None
    before = get_account(conn, account_id)
    if before.sanction is to and before.sanction_until == until:
        return SanctionOutcome(
            sanction=to, changed=False, reason=before.sanction_reason, until=until
        )
    event_id = conn.execute(
        insert(sanction_events)
        .values(
            account_id=account_id,
            at=now,
            actor=actor,
            from_state=before.sanction.value,
            to_state=to.value,
            reason=reason,
            until=until,
        )
        .returning(sanction_events.c.id)
    ).scalar_one()
    update_account(
        conn,
        account_id,
        actor=actor,
        action="sanction.set",
        values={"sanction": to.value, "sanction_reason": reason, "sanction_until": until},
        detail={
            "from": before.sanction.value,
            "to": to.value,
            "until": until,
            "rows": seal(conn, "sanction_events", event_id),
        },
        now=now,
    )
    return SanctionOutcome(sanction=to, changed=True, reason=reason, until=until)


def expire_if_due(
    conn: Connection, account_id: str, *, now: datetime | None = None
) -> SanctionOutcome | None:
    """Return a timed sanction whose end has passed to ``normal``; None when nothing was due."""
    now = now or utcnow()
    account = get_account(conn, account_id)
    if account.sanction_until is None or account.sanction_until > now:
        return None
    return set_sanction(
        conn,
        account_id,
        Sanction.NORMAL,
        reason=f"{account.sanction.value} expired",
        actor="system",
        now=now,
    )


def record_violation(
    conn: Connection,
    account_id: str,
    codes: list[str],
    *,
    streak: int,
    policy: SanctionSettings,
    tz: str,
    now: datetime | None = None,
) -> SanctionOutcome:
    """Record one violation and escalate one step when the policy says so."""
    now = now or utcnow()
    violation_id = conn.execute(
        insert(violations)
        .values(account_id=account_id, at=now, risk_codes=sorted(codes))
        .returning(violations.c.id)
    ).scalar_one()
    audit.append(
        conn,
        actor="gateway",
        action="violation.record",
        subject=f"account:{account_id}",
        detail={
            "risk_codes": sorted(codes),
            "streak": streak,
            "rows": seal(conn, "violations", violation_id),
        },
        at=now,
    )
    expire_if_due(conn, account_id, now=now)
    today = conn.execute(
        select(func.count())
        .select_from(violations)
        .where(violations.c.account_id == account_id, violations.c.at >= local_day_start(now, tz))
    ).scalar_one()
    account = get_account(conn, account_id)
    reason = escalation_reason(streak, today, policy)
    ceiling = LADDER.index(parse_sanction(policy.max_automatic))
    step = next_step(account.sanction)
    if reason is None or LADDER.index(step) > ceiling or step is account.sanction:
        return SanctionOutcome(
            sanction=account.sanction,
            changed=False,
            reason=account.sanction_reason,
            until=account.sanction_until,
        )
    hours = {
        Sanction.RESTRICTED: policy.restricted_hours,
        Sanction.SUSPENDED: policy.suspended_hours,
    }
    duration = hours.get(step, 0.0)
    until = now + timedelta(hours=duration) if duration > 0 else None
    return set_sanction(conn, account_id, step, reason=reason, actor="policy", until=until, now=now)
