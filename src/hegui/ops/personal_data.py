"""Everything stored about one person: collect it (access, copy) and erase it (deletion).

A person is an account. Their records are found by account id (accounts, keys, acceptances,
sanctions, violations, minors' counters, complaints, requests) and by the account's pseudonym
(usage records, incidents). :func:`collect` returns them with encrypted content opened;
:func:`export_zip` packs that as one JSON file plus one CSV per table. :func:`erase` deletes every
row, anonymises the incidents (Art. 14 requires keeping the record of the measures taken, not the
person or the content), erases the content of the request that asked for it, and writes one
audit event that seals the deleted rows as gone so ``hegui audit verify --records`` stays clean.
The audit chain itself is append-only: earlier events keep digests and the account's random id,
never the name, contact or content.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update

from hegui.ops.accounts import get_account
from hegui.store import audit
from hegui.store.audit_records import id_ranges, seal
from hegui.store.crypto import Keyring
from hegui.store.schema import (
    accounts,
    agreement_acceptances,
    api_keys,
    complaints,
    incidents,
    minors_usage,
    pi_requests,
    sanction_events,
    usage_records,
    utcnow,
    violations,
)

__all__ = ["collect", "erase", "export_zip"]

_USAGE_CONTEXT = "usage"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return value


def _rows(conn: Connection, stmt: Any) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r._mapping.items()} for r in conn.execute(stmt)]


def collect(
    conn: Connection, account_id: str, *, keyring: Keyring
) -> dict[str, list[dict[str, Any]]]:
    """Every stored record of the account, table by table, content decrypted; no key hashes."""
    get_account(conn, account_id)
    pseudonym = keyring.pseudonym(account_id)
    out: dict[str, list[dict[str, Any]]] = {}
    out["accounts"] = _rows(conn, select(accounts).where(accounts.c.id == account_id))
    out["api_keys"] = _rows(
        conn,
        select(api_keys.c.key_id, api_keys.c.created_at, api_keys.c.revoked_at).where(
            api_keys.c.account_id == account_id
        ),
    )
    for name, table in (
        ("agreement_acceptances", agreement_acceptances),
        ("sanction_events", sanction_events),
        ("violations", violations),
        ("minors_usage", minors_usage),
    ):
        out[name] = _rows(conn, select(table).where(table.c.account_id == account_id))
    usage = []
    for r in conn.execute(select(usage_records).where(usage_records.c.pseudonym == pseudonym)):
        row = {k: _plain(v) for k, v in r._mapping.items()}
        row["content"] = (
            None if r.content is None else keyring.decrypt_text(r.content, _USAGE_CONTEXT)
        )
        usage.append(row)
    out["usage_records"] = usage
    found = []
    for r in conn.execute(select(incidents).where(incidents.c.pseudonym == pseudonym)):
        row = {k: _plain(v) for k, v in r._mapping.items()}
        row["evidence"] = (
            None if r.evidence is None else keyring.decrypt_text(r.evidence, f"incident:{r.id}")
        )
        found.append(row)
    out["incidents"] = found
    filed = []
    for r in conn.execute(select(complaints).where(complaints.c.account_id == account_id)):
        ctx = f"complaint:{r.id}"
        row = {k: _plain(v) for k, v in r._mapping.items() if k != "tracking_hash"}
        row["content"] = keyring.decrypt_text(r.content, ctx)
        row["contact"] = None if r.contact is None else keyring.decrypt_text(r.contact, ctx)
        filed.append(row)
    out["complaints"] = filed
    asked = []
    for r in conn.execute(select(pi_requests).where(pi_requests.c.account_id == account_id)):
        row = {k: _plain(v) for k, v in r._mapping.items() if k != "tracking_hash"}
        row["detail"] = (
            None if r.detail is None else keyring.decrypt_text(r.detail, f"pi_request:{r.id}")
        )
        asked.append(row)
    out["pi_requests"] = asked
    return out


def export_zip(data: dict[str, list[dict[str, Any]]]) -> bytes:
    """``personal_data.json`` with everything, and ``<table>.csv`` for each non-empty table."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "personal_data.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
        for table, rows in data.items():
            if not rows:
                continue
            text = io.StringIO()
            columns = list(rows[0])
            writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for k, v in row.items()
                    }
                )
            # UTF-8 with BOM so spreadsheet programs open Chinese text correctly
            zf.writestr(f"{table}.csv", "\ufeff" + text.getvalue())
    return buf.getvalue()


def _ids(conn: Connection, column: Any, where: Any) -> list[Any]:
    return list(conn.execute(select(column).where(where).order_by(column)).scalars())


def erase(
    conn: Connection,
    account_id: str,
    *,
    keyring: Keyring,
    actor: str,
    request_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Delete everything stored about the account (module docstring); returns counts per table."""
    get_account(conn, account_id)
    now = now or utcnow()
    pseudonym = keyring.pseudonym(account_id)
    if conn.dialect.name == "sqlite":  # overwrite freed pages so no copy stays in the file
        conn.exec_driver_sql("PRAGMA secure_delete=ON")
    rows: dict[str, str | None] = {}
    counts: dict[str, int] = {}
    by_account = (
        ("agreement_acceptances", agreement_acceptances, agreement_acceptances.c.id),
        ("sanction_events", sanction_events, sanction_events.c.id),
        ("violations", violations, violations.c.id),
        ("api_keys", api_keys, api_keys.c.key_id),
    )
    for name, table, key in by_account:
        ids = _ids(conn, key, table.c.account_id == account_id)
        conn.execute(delete(table).where(table.c.account_id == account_id))
        counts[name] = len(ids)
        for ident in ids:
            rows.update(seal(conn, name, ident))
    counts["minors_usage"] = conn.execute(
        delete(minors_usage).where(minors_usage.c.account_id == account_id)
    ).rowcount
    usage_ids = _ids(conn, usage_records.c.id, usage_records.c.pseudonym == pseudonym)
    conn.execute(delete(usage_records).where(usage_records.c.pseudonym == pseudonym))
    counts["usage_records"] = len(usage_ids)
    incident_ids = _ids(conn, incidents.c.id, incidents.c.pseudonym == pseudonym)
    conn.execute(
        update(incidents)
        .where(incidents.c.pseudonym == pseudonym)
        .values(pseudonym="erased", evidence=None)
    )
    counts["incidents_anonymised"] = len(incident_ids)
    for ident in incident_ids:
        rows.update(seal(conn, "incidents", ident))
    counts["complaints"] = conn.execute(
        delete(complaints).where(complaints.c.account_id == account_id)
    ).rowcount
    keep = pi_requests.c.id == request_id if request_id else None
    others = pi_requests.c.account_id == account_id
    if keep is not None:
        others = others & ~keep
        conn.execute(update(pi_requests).where(keep).values(account_id=None, detail=None))
    counts["pi_requests"] = conn.execute(delete(pi_requests).where(others)).rowcount
    conn.execute(delete(accounts).where(accounts.c.id == account_id))
    counts["accounts"] = 1
    rows.update(seal(conn, "accounts", account_id))
    audit.append(
        conn,
        actor=actor,
        action="pi.erase",
        subject=f"account:{account_id}",
        detail={
            "request": request_id,
            "counts": counts,
            "usage_deleted_ids": id_ranges(usage_ids),
            "rows": rows,
        },
        at=now,
    )
    return counts
