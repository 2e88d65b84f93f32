"""The retention purge removes idle end users with nothing to keep, and only those."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from hegui.config import SanctionSettings, StoreSettings
from hegui.ops import accounts, agreements, end_users, sanctions, usage
from hegui.ops.records import AgeBand, Sanction, UsageRecord
from hegui.store import audit, retention
from hegui.store.audit_records import verify_records
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.schema import accounts as accounts_table
from hegui.store.schema import agreement_acceptances, audit_events
from hegui.store.schema import end_users as end_users_table

from .conftest import NOW

RING = Keyring(bytes(range(32)))
CFG = StoreSettings(log_retention_days=183, evidence_retention_days=1095)
OLD = NOW - timedelta(days=200)
RECENT = NOW - timedelta(days=10)


def _end_user(store: Store, app: str, name: str, at: datetime = OLD) -> str:
    ext = end_users.external_hash(RING, app, name)
    return str(store.write(lambda c: end_users.ensure_end_user(c, app, ext, now=at)).id)


def _used(store: Store, account_id: str, at: datetime) -> None:
    record = UsageRecord(
        pseudonym=RING.pseudonym(account_id),
        key_id="k",
        model="m",
        endpoint="/v1/chat/completions",
        decision="allow",
        risk_codes=[],
        prompt_tokens=1,
        completion_tokens=1,
        latency_ms=1.0,
        status=200,
        created_at=at,
    )
    store.write(lambda c: usage.insert_usage(c, [record], keyring=RING, policy="none"))


def _ids(store: Store) -> set[str]:
    with store.read() as conn:
        return set(conn.execute(select(end_users_table.c.account_id)).scalars())


def test_idle_end_users_without_records_to_keep_are_purged_and_audited(store: Store) -> None:
    app = store.write(
        lambda c: accounts.create_account(c, name="app", age_band=AgeBand.ADULT, actor="t", now=OLD)
    ).id
    store.write(
        lambda c: agreements.publish_agreement(c, "v1", "https://x.test", actor="t", now=OLD)
    )
    idle = _end_user(store, app, "idle")
    accepted_long_ago = _end_user(store, app, "accepted-long-ago")
    store.write(
        lambda c: agreements.accept_agreement(c, accepted_long_ago, None, actor="t", now=OLD)
    )
    used_lately = _end_user(store, app, "used-lately")
    _used(store, used_lately, RECENT)
    used_long_ago = _end_user(store, app, "used-long-ago")
    _used(store, used_long_ago, OLD)
    accepted_lately = _end_user(store, app, "accepted-lately")
    store.write(
        lambda c: agreements.accept_agreement(c, accepted_lately, None, actor="t", now=RECENT)
    )
    new = _end_user(store, app, "new", at=RECENT)
    lifted = _end_user(store, app, "lifted")  # sanction history is a record of measures
    for step in (Sanction.SUSPENDED, Sanction.NORMAL):

        def move(c: Connection, to: Sanction = step) -> None:
            sanctions.set_sanction(c, lifted, to, reason="r", actor="t", now=OLD)

        store.write(move)
    violated = _end_user(store, app, "violated")
    policy = SanctionSettings()
    store.write(
        lambda c: sanctions.record_violation(
            c, violated, ["A.1.a"], streak=1, policy=policy, tz="Asia/Shanghai", now=OLD
        )
    )
    gone = {idle, accepted_long_ago, used_long_ago}
    kept = {used_lately, accepted_lately, new, lifted, violated}

    with store.read() as conn:  # without the key nothing about end users is decided
        assert retention.purge(conn, CFG, actor="t", dry_run=True, now=NOW).end_users_deleted == 0
        dry = retention.purge(conn, CFG, actor="t", dry_run=True, now=NOW, keyring=RING)
    assert dry.end_users_deleted == len(gone)
    assert _ids(store) == gone | kept

    done = store.write(lambda c: retention.purge(c, CFG, actor="t", now=NOW, keyring=RING))
    assert done.end_users_deleted == len(gone)
    assert _ids(store) == kept
    with store.read() as conn:
        left = set(conn.execute(select(accounts_table.c.id)).scalars())
        assert not gone & left and app in left
        acceptances = conn.execute(
            select(func.count())
            .select_from(agreement_acceptances)
            .where(agreement_acceptances.c.account_id == accepted_long_ago)
        ).scalar_one()
        assert acceptances == 0
        assert audit.verify(conn).ok
        report = verify_records(conn)
        assert report.ok, report.problems[:3]
        last = conn.execute(select(audit_events).order_by(audit_events.c.seq.desc())).first()
    assert last is not None and last.action == "retention.purge"
    assert json.loads(last.detail)["end_users_deleted"] == len(gone)
    # coming back after the purge is a first sight: a new record, no agreement accepted
    again = _end_user(store, app, "idle", at=NOW)
    assert again != idle
