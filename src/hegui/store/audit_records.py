"""What the audit chain vouches for: the records themselves, not just the events.

Why: the chain proved that no *event* was edited, but a database administrator could still change
a usage record from ``block`` to ``allow``, delete its incident and every violation, lift a
sanction in ``accounts`` or un-revoke a key, and ``hegui audit verify`` said "intact". Now every
audited write *seals* the rows it changed: the event's ``detail`` carries, for each such row, a
digest of the row as it stands after the write (:func:`seal`), and a usage batch carries the ids
it wrote and a short digest per row. Since ``detail`` is part of the event's hash, the chain
vouches for those digests, and :func:`verify_records` recomputes them from the tables as they
are now and names every row that differs, is missing, or is vouched for by nothing.

Tracked tables: ``accounts``, ``api_keys``, ``incidents``, ``violations``, ``sanction_events``,
``agreements``, ``agreement_acceptances``, ``end_users``, ``admin_tokens`` (latest seal wins)
and ``usage_records`` (per batch).
Minors' daily counters are not vouched for (they are running totals, rewritten constantly).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select

from hegui.store import schema
from hegui.store.audit import canonical, digest

__all__ = [
    "TRACKED",
    "RecordProblem",
    "RecordsReport",
    "id_ranges",
    "row_digest",
    "seal",
    "usage_entry",
    "usage_seal",
    "verify_records",
]

TRACKED: dict[str, tuple[Table, str]] = {
    "accounts": (schema.accounts, "id"),
    "api_keys": (schema.api_keys, "key_id"),
    "incidents": (schema.incidents, "id"),
    "violations": (schema.violations, "id"),
    "sanction_events": (schema.sanction_events, "id"),
    "agreements": (schema.agreements, "version"),
    "agreement_acceptances": (schema.agreement_acceptances, "id"),
    "end_users": (schema.end_users, "account_id"),
    "admin_tokens": (schema.admin_tokens, "token_id"),
}
SHORT = 8  # hex characters per usage row digest: names the row; the batch digest is the proof
# Actions whose events seal the rows they changed.
_SEALING = (
    "account.",
    "sanction.",
    "agreement.",
    "key.",
    "incident.",
    "violation.",
    "end_user.",
    "admin_token.",
)
# Actions that delete usage records or erase their content on purpose, naming the ids.
_REMOVING = ("retention.purge", "pi.erase", "incident.eliminate")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    return value


def row_digest(table: str, row: Mapping[Any, Any]) -> str:
    """sha256 of a row's columns (datetimes in UTC, bytes by their hash), named by table."""
    values = {k: _plain(v) for k, v in row.items()}
    return hashlib.sha256(canonical([table, values]).encode("utf-8")).hexdigest()


def seal(conn: Connection, table: str, key: Any) -> dict[str, str | None]:
    """``{"table/key": digest}`` of the row as it is now in this transaction (None: no row)."""
    tbl, column = TRACKED[table]
    row = conn.execute(select(tbl).where(tbl.c[column] == key)).one_or_none()
    return {f"{table}/{key}": None if row is None else row_digest(table, row._mapping)}


# --------------------------------------------------------------------------- usage batches


def usage_entry(row_id: int, row: Mapping[str, Any]) -> list[Any]:
    """One usage row as the batch digest covers it (content by the hash of its ciphertext)."""
    content = row.get("content")
    return [
        row_id,
        row["pseudonym"],
        row["key_id"],
        _plain(row["at"]),
        row["model"],
        row["endpoint"],
        row["decision"],
        sorted(row["risk_codes"]),
        row["prompt_tokens"],
        row["completion_tokens"],
        row["latency_ms"],
        row["status"],
        row["incident_id"],
        None if content is None else _plain(content),
    ]


def _short(entry: Sequence[Any]) -> str:
    """The digest naming one row: every column but the content (erased by retention)."""
    return hashlib.sha256(canonical(list(entry[:-1])).encode("utf-8")).hexdigest()[:SHORT]


def usage_seal(ids: Sequence[int], entries: Sequence[list[Any]]) -> dict[str, Any]:
    """The ``detail`` fields of a usage batch event: which rows, and a short digest of each."""
    content = {str(e[0]): e[-1][7 : 7 + SHORT] for e in entries if e[-1] is not None}
    return {
        "ids": id_ranges(ids),
        "row_digests": "".join(_short(e) for e in entries),
        "content": content,
    }


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """``[[first, last], …]`` runs of consecutive ids, in the order given."""
    out: list[list[int]] = []
    for i in ids:
        if out and i == out[-1][1] + 1:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _expand(ranges: Iterable[Sequence[int]]) -> Iterator[int]:
    for first, last in ranges:
        yield from range(first, last + 1)


# --------------------------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class RecordProblem:
    table: str
    key: str
    kind: str  # edited | deleted | unvouched | content_changed | batch_altered
    message: str
    seq: int | None = None  # the event that vouches for the row


@dataclass(slots=True)
class RecordsReport:
    checked: dict[str, int] = field(default_factory=dict)
    problems: list[RecordProblem] = field(default_factory=list)
    unsealed_events: int = 0  # events written before records were sealed (nothing to recompute)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "unsealed_events": self.unsealed_events,
            "problems": [
                {"table": p.table, "key": p.key, "kind": p.kind, "message": p.message, "seq": p.seq}
                for p in self.problems
            ],
        }


@dataclass(slots=True)
class _Expected:
    rows: dict[str, tuple[str | None, int]] = field(default_factory=dict)  # table/key → seal
    batches: list[tuple[int, dict[str, Any], str | None]] = field(default_factory=list)
    purged: set[int] = field(default_factory=set)
    erased: set[int] = field(default_factory=set)
    unsealed: int = 0


def _expectations(conn: Connection) -> _Expected:
    """Walk the chain once: the latest seal of every row, the batches, what retention removed."""
    exp = _Expected()
    events = schema.audit_events.c
    rows = conn.execute(
        select(events.seq, events.action, events.detail, events.after_hash)
        .order_by(events.seq)
        .execution_options(yield_per=2000)
    )
    for seq, action, detail_text, after_hash in rows:
        detail = json.loads(detail_text)
        for name, sealed in (detail.get("rows") or {}).items():
            exp.rows[name] = (sealed, seq)
        if action == "usage.batch":
            if "ids" in detail:
                exp.batches.append((seq, detail, after_hash))
            else:
                exp.unsealed += 1
        elif action in _REMOVING:
            exp.purged.update(_expand(detail.get("usage_deleted_ids", ())))
            exp.erased.update(_expand(detail.get("usage_content_erased_ids", ())))
        elif action.startswith(_SEALING) and "rows" not in detail:
            exp.unsealed += 1  # written by a hegui that did not seal records yet
    return exp


def verify_records(conn: Connection, *, max_problems: int = 1000) -> RecordsReport:
    """Recompute every sealed row and usage batch; name each row that differs (module doc)."""
    exp = _expectations(conn)
    report = RecordsReport(unsealed_events=exp.unsealed)
    try:
        for table in TRACKED:
            _verify_table(conn, table, exp, report, max_problems)
        _verify_usage(conn, exp, report, max_problems)
    except _EnoughError:
        pass
    return report


class _EnoughError(Exception):
    """``max_problems`` reached: stop looking."""


def _add(report: RecordsReport, limit: int, *args: Any) -> None:
    report.problems.append(RecordProblem(*args))
    if len(report.problems) >= limit:
        raise _EnoughError


def _verify_table(
    conn: Connection, table: str, exp: _Expected, report: RecordsReport, limit: int
) -> None:
    tbl, column = TRACKED[table]
    seen: set[str] = set()
    for row in conn.execute(select(tbl).execution_options(yield_per=2000)):
        key = str(row._mapping[column])
        name = f"{table}/{key}"
        seen.add(name)
        sealed = exp.rows.get(name)
        if sealed is None:
            _add(report, limit, table, key, "unvouched",
                 f"{name} is vouched for by no audit event (written outside hegui)")  # fmt: skip
        elif sealed[0] is None:
            _add(report, limit, table, key, "edited",
                 f"{name} exists but audit event {sealed[1]} deleted it", sealed[1])  # fmt: skip
        elif sealed[0] != row_digest(table, row._mapping):
            _add(report, limit, table, key, "edited",
                 f"{name} differs from the state sealed by audit event {sealed[1]}", sealed[1])  # fmt: skip
    report.checked[table] = len(seen)
    prefix = table + "/"
    for name, (sealed_digest, seq) in exp.rows.items():
        if name.startswith(prefix) and sealed_digest is not None and name not in seen:
            _add(report, limit, table, name[len(prefix) :], "deleted",
                 f"{name}, sealed by audit event {seq}, is missing", seq)  # fmt: skip


def _verify_usage(conn: Connection, exp: _Expected, report: RecordsReport, limit: int) -> None:
    u = schema.usage_records
    covered: set[int] = set()
    for seq, detail, after_hash in exp.batches:
        ids = list(_expand(detail["ids"]))
        covered.update(ids)
        wanted = set(ids)
        rows = conn.execute(select(u).where(u.c.id >= min(ids), u.c.id <= max(ids)))
        found = {r.id: r._mapping for r in rows if r.id in wanted}
        packed = detail["row_digests"]
        shorts = [packed[i : i + SHORT] for i in range(0, len(packed), SHORT)]
        entries = [
            _check_usage_row(row_id, found.get(row_id), short, seq, detail, exp, report, limit)
            for row_id, short in zip(ids, shorts, strict=True)
        ]
        whole = [e for e in entries if e is not None]
        if len(whole) == len(ids) and digest(whole) != after_hash:
            span = f"{detail['ids'][0][0]}-{detail['ids'][-1][1]}"
            _add(report, limit, "usage_records", span, "batch_altered",
                 f"the rows of audit event {seq} no longer hash to its digest", seq)  # fmt: skip
    count = 0
    ids_now = conn.execute(select(u.c.id).order_by(u.c.id).execution_options(yield_per=5000))
    for (row_id,) in ids_now:
        count += 1
        if row_id not in covered:
            _add(report, limit, "usage_records", str(row_id), "unvouched",
                 f"usage record {row_id} is vouched for by no audit event"
                 " (written outside hegui, or before records were sealed)")  # fmt: skip
    report.checked["usage_records"] = count


def _check_usage_row(
    row_id: int,
    row: Mapping[Any, Any] | None,
    short: str,
    seq: int,
    detail: dict[str, Any],
    exp: _Expected,
    report: RecordsReport,
    limit: int,
) -> list[Any] | None:
    """The row's batch entry when it is exactly as written (None otherwise, problems added)."""
    key = str(row_id)
    if row is None:
        if row_id not in exp.purged:
            _add(report, limit, "usage_records", key, "deleted",
                 f"usage record {row_id}, written by audit event {seq}, is missing", seq)  # fmt: skip
        return None
    entry = usage_entry(row_id, row)
    if _short(entry) != short:
        _add(report, limit, "usage_records", key, "edited",
             f"usage record {row_id} differs from what audit event {seq} wrote", seq)  # fmt: skip
        return None
    written = detail["content"].get(key)
    stored = None if entry[-1] is None else entry[-1][7 : 7 + SHORT]
    if written == stored:
        return entry
    if not (stored is None and row_id in exp.erased):  # retention erases content on purpose
        _add(report, limit, "usage_records", key, "content_changed",
             f"usage record {row_id}: stored content differs from what audit event {seq} wrote",
             seq)  # fmt: skip
    return None
