"""Scans in the store: when a scan started and ended, what it found per registered source.

The files in the scan's folder are the evidence; the store keeps the index to them (folder,
report digest) and the per-source numbers that the register's rules use: a source whose latest
scan is over the 5 % limit cannot be marked usable, and a usable one that fails a scan is marked
not usable (TC260-003 §5.1: it must not be used). Every write is audited in the same
transaction, like every other compliance-relevant change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import corpus_scan_results, corpus_scans, corpus_sources, utcnow

__all__ = ["get_scan", "record_scan_finish", "record_scan_start", "source_history"]


def record_scan_start(
    conn: Connection,
    *,
    scan_id: str,
    out_dir: str,
    options: dict[str, Any],
    actor: str,
    now: datetime | None = None,
) -> None:
    """Register a running scan (a resumed scan is already there and is left as it is)."""
    exists = conn.execute(select(corpus_scans.c.id).where(corpus_scans.c.id == scan_id)).first()
    if exists is not None:
        return
    now = now or utcnow()
    row = {
        "id": scan_id,
        "started_at": now,
        "finished_at": None,
        "status": "running",
        "out_dir": out_dir,
        "options": options,
        "report_sha256": None,
    }
    conn.execute(insert(corpus_scans).values(**row))
    audit.append(
        conn,
        actor=actor,
        action="corpus.scan.start",
        subject=f"corpus_scan:{scan_id}",
        after={**row, "started_at": now.isoformat()},
        detail={"out_dir": out_dir},
        at=now,
    )


def record_scan_finish(
    conn: Connection,
    *,
    scan_id: str,
    report: dict[str, Any],
    report_sha256: str,
    actor: str,
    now: datetime | None = None,
) -> None:
    """Mark the scan done and store its per-source results (registered sources only)."""
    now = now or utcnow()
    registered = set(conn.execute(select(corpus_sources.c.id)).scalars())
    results = []
    for s in report["sources"]:
        if s["id"] not in registered:
            continue
        u = s["unsafe"]
        results.append(
            {
                "scan_id": scan_id,
                "source_id": s["id"],
                "finished_at": now,
                "records": s["records"],
                "checked": s["checked"],
                "unsafe": u["count"],
                "kept": s["kept"],
                "unsafe_share": u["share"] or 0.0,
                "unsafe_upper": u["ci95"][1],
                "passed": bool(u["pass"]),
            }
        )
    conn.execute(delete(corpus_scan_results).where(corpus_scan_results.c.scan_id == scan_id))
    if results:
        conn.execute(insert(corpus_scan_results), results)
    conn.execute(
        update(corpus_scans)
        .where(corpus_scans.c.id == scan_id)
        .values(status="done", finished_at=now, report_sha256=report_sha256)
    )
    for r in results:
        if not r["passed"]:
            _withdraw(conn, r["source_id"], scan_id, r["unsafe_share"], actor, now)
    summary = {
        r["source_id"]: [r["records"], r["unsafe"], r["checked"], r["passed"]] for r in results
    }
    audit.append(
        conn,
        actor=actor,
        action="corpus.scan.finish",
        subject=f"corpus_scan:{scan_id}",
        after={"report_sha256": report_sha256, "results": summary},
        detail={"report_sha256": report_sha256, "sources": sorted(summary)},
        at=now,
    )


def _withdraw(
    conn: Connection, source_id: str, scan_id: str, share: float, actor: str, now: datetime
) -> None:
    """A usable source that failed the 5 % rule is marked not usable (audited)."""
    from hegui.corpus.registry import get_source, update_source

    if get_source(conn, source_id).usable:
        reason = f"scan {scan_id}: harmful share {share:.2%} over the 5 % limit"
        update_source(conn, source_id, actor=actor, usable=False, now=now, reason=reason)


def get_scan(conn: Connection, scan_id: str) -> dict[str, Any]:
    row = conn.execute(select(corpus_scans).where(corpus_scans.c.id == scan_id)).first()
    if row is None:
        raise InputError(f"scan {scan_id!r} is not in this database (scanned with another --url?)")
    return row._asdict()


def source_history(conn: Connection, source_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """The source's latest scan results, newest first."""
    rows = conn.execute(
        select(corpus_scan_results, corpus_scans.c.out_dir)
        .join(corpus_scans, corpus_scans.c.id == corpus_scan_results.c.scan_id)
        .where(corpus_scan_results.c.source_id == source_id)
        .order_by(corpus_scan_results.c.finished_at.desc())
        .limit(limit)
    ).all()
    return [r._asdict() for r in rows]
