"""Service agreements (Interim Measures Art. 9): publish versions, record acceptance.

The *current* agreement is the one published last. The gateway refuses service to an account
whose accepted version differs from it, so publishing a new version asks everyone to accept again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from hegui.errors import InputError
from hegui.ops.accounts import Account, get_account, update_account
from hegui.ops.records import Agreement
from hegui.store import audit
from hegui.store.audit_records import seal
from hegui.store.schema import agreement_acceptances, agreements, utcnow

__all__ = ["accept_agreement", "acceptances", "current_agreement", "publish_agreement"]


def publish_agreement(
    conn: Connection,
    version: str,
    url: str,
    *,
    actor: str,
    text: str | None = None,
    now: datetime | None = None,
) -> Agreement:
    """Publish ``version`` (it becomes current); a version can be published only once."""
    version, url = version.strip(), url.strip()
    if not version or len(version) > 64:
        raise InputError("agreement version must be 1–64 characters")
    if not url:
        raise InputError("agreement URL must not be empty")
    exists = conn.execute(
        select(agreements.c.version).where(agreements.c.version == version)
    ).one_or_none()
    if exists is not None:
        raise InputError(f"agreement {version!r} is already published")
    now = now or utcnow()
    text_sha = hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else None
    conn.execute(
        insert(agreements).values(
            version=version, url=url, text=text, text_sha256=text_sha, published_at=now
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="agreement.publish",
        subject=f"agreement:{version}",
        after={"version": version, "url": url, "text_sha256": text_sha},
        detail={"rows": seal(conn, "agreements", version)},
        at=now,
    )
    return Agreement(version=version, url=url)


def current_agreement(conn: Connection) -> Agreement | None:
    """The most recently published agreement, or None before the first one."""
    row = conn.execute(
        select(agreements.c.version, agreements.c.url)
        .order_by(agreements.c.published_at.desc(), agreements.c.version.desc())
        .limit(1)
    ).one_or_none()
    return Agreement(version=row.version, url=row.url) if row else None


def accept_agreement(
    conn: Connection,
    account_id: str,
    version: str | None = None,
    *,
    actor: str,
    now: datetime | None = None,
) -> Account:
    """Record that the account accepted ``version`` (default: the current one)."""
    now = now or utcnow()
    if version is None:
        current = current_agreement(conn)
        if current is None:
            raise InputError("no agreement has been published yet")
        version = current.version
    elif (
        conn.execute(
            select(agreements.c.version).where(agreements.c.version == version)
        ).one_or_none()
        is None
    ):
        raise InputError(f"no agreement {version!r}")
    get_account(conn, account_id)  # an unknown account is an input error, before any write
    acceptance_id = conn.execute(
        insert(agreement_acceptances)
        .values(account_id=account_id, version=version, accepted_at=now)
        .returning(agreement_acceptances.c.id)
    ).scalar_one()
    return update_account(
        conn,
        account_id,
        actor=actor,
        action="agreement.accept",
        values={"agreement_version": version},
        detail={
            "version": version,
            "rows": seal(conn, "agreement_acceptances", acceptance_id),
        },
        now=now,
    )


def acceptances(conn: Connection, account_id: str) -> list[dict[str, Any]]:
    """Every acceptance by the account, oldest first (evidence of consent)."""
    rows = conn.execute(
        select(agreement_acceptances.c.version, agreement_acceptances.c.accepted_at)
        .where(agreement_acceptances.c.account_id == account_id)
        .order_by(agreement_acceptances.c.id)
    )
    return [dict(r._mapping) for r in rows]
