"""Which end users the retention purge removes, and removing them (part of ``hegui purge``).

Why: an end user (issue 14) is a pseudonymous ``accounts`` row plus its ``end_users`` link, made
on first sight of an id an app sent. Without a purge they would pile up for ever, long after the
person stopped using the app, against PIPL's "no longer than necessary". An end user goes when,
for the whole log retention period, nothing happened to it and nothing must be kept about it:

- created and last changed before the cutoff, no agreement accepted since;
- no usage record or incident under its pseudonym left once the purge is done (those still
  kept are recent activity or evidence), no minors' counter left;
- no sanction now, and no sanction history or violation (records of measures, Art. 14);
- no complaint or personal-information request naming it (their own records), no API key.

Its agreement acceptances go with it; the audit chain keeps the events that created and changed
it. The removed rows are sealed as deleted in the purge's audit event, so record verification
tells this deletion from a quiet one. Usage records carry the keyed pseudonym, not the account
id, so this needs the store's key: without it no end user is removed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, not_, select

from hegui.store.audit_records import seal
from hegui.store.crypto import Keyring
from hegui.store.schema import (
    accounts,
    agreement_acceptances,
    api_keys,
    complaints,
    end_users,
    incidents,
    minors_usage,
    pi_requests,
    sanction_events,
    usage_records,
    violations,
)

__all__ = ["delete_end_users", "stale_end_users"]

_CHUNK = 500


def stale_end_users(
    conn: Connection,
    keyring: Keyring,
    cutoff: datetime,
    *,
    usage_purged: Any,
    minors_purged: Any,
) -> list[str]:
    """Account ids of end users to remove (module docstring), given the purge's own conditions
    for usage rows and minors' counters it deletes (so a dry run counts the same)."""
    a, e = accounts.c, end_users.c
    acc = agreement_acceptances.c
    keep_if_any = [
        (agreement_acceptances, and_(acc.account_id == a.id, acc.accepted_at >= cutoff)),
        (api_keys, api_keys.c.account_id == a.id),
        (sanction_events, sanction_events.c.account_id == a.id),
        (violations, violations.c.account_id == a.id),
        (complaints, complaints.c.account_id == a.id),
        (pi_requests, pi_requests.c.account_id == a.id),
        (minors_usage, and_(minors_usage.c.account_id == a.id, not_(minors_purged))),
    ]
    stmt = (
        select(a.id)
        .join(end_users, e.account_id == a.id)
        .where(e.created_at < cutoff, a.updated_at < cutoff, a.sanction == "normal")
        .where(*(not_(exists().where(where).select_from(t)) for t, where in keep_if_any))
        .order_by(a.id)
    )
    candidates = list(conn.execute(stmt).scalars())
    stale: list[str] = []
    for chunk in _chunks(candidates):
        names = {keyring.pseudonym(account_id): account_id for account_id in chunk}
        kept = set(
            conn.execute(
                select(usage_records.c.pseudonym).where(
                    usage_records.c.pseudonym.in_(list(names)), not_(usage_purged)
                )
            ).scalars()
        )
        kept.update(
            conn.execute(
                select(incidents.c.pseudonym).where(incidents.c.pseudonym.in_(list(names)))
            ).scalars()
        )
        stale.extend(account_id for name, account_id in names.items() if name not in kept)
    return sorted(stale)


def delete_end_users(conn: Connection, account_ids: Sequence[str]) -> dict[str, str | None]:
    """Delete the end users (their acceptances, minors' counters, link and account row); the
    seals naming every removed row as deleted, for the purge's audit event."""
    rows: dict[str, str | None] = {}
    for chunk in _chunks(list(account_ids)):
        acc = agreement_acceptances.c
        accepted = conn.execute(select(acc.id).where(acc.account_id.in_(chunk))).scalars()
        acceptance_ids = list(accepted)
        conn.execute(delete(agreement_acceptances).where(acc.account_id.in_(chunk)))
        conn.execute(delete(minors_usage).where(minors_usage.c.account_id.in_(chunk)))
        conn.execute(delete(end_users).where(end_users.c.account_id.in_(chunk)))
        conn.execute(delete(accounts).where(accounts.c.id.in_(chunk)))
        for acceptance_id in acceptance_ids:
            rows.update(seal(conn, "agreement_acceptances", acceptance_id))
        for account_id in chunk:
            rows.update(seal(conn, "end_users", account_id))
            rows.update(seal(conn, "accounts", account_id))
    return rows


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
