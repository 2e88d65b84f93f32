"""The source register: where each training-data source came from and on what legal basis.

Article 7 of the Interim Measures and TC260-003 §5.1 ask for lawful sources, respected IP and
consent for personal information; Article 19 lets inspectors ask for the source, scale and type
of the training data. Every source gets one row in ``corpus_sources``. The rules are here, as
plain functions over a connection (the CLI and, later, the console call them):

* a source can be marked usable only when every required field is filled (:data:`REQUIRED`,
  plus the consent evidence when it holds personal information), and only while its latest scan
  is within the 5 % limit of harmful records (TC260-003 §5.1);
* every change writes an audit event in the same transaction, with digests of the row before
  and after.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import corpus_scan_results, corpus_sources, utcnow

__all__ = [
    "CHOICES",
    "EDITABLE",
    "REQUIRED",
    "Source",
    "add_source",
    "get_source",
    "list_sources",
    "missing_fields",
    "update_source",
]

LEGAL_BASES = ("consent", "public", "contract", "own")
KINDS = ("open_source", "self_collected", "commercial", "user_input")
REGIONS = ("domestic", "foreign")
MODALITIES = ("text", "image", "audio", "video", "multimodal")
CHOICES: dict[str, tuple[str, ...]] = {
    "legal_basis": LEGAL_BASES,
    "kind": KINDS,
    "region": REGIONS,
    "modality": MODALITIES,
}
# Fields a source needs before it may be marked usable (personal_info must be answered too).
REQUIRED = (
    "origin",
    "licence",
    "legal_basis",
    "kind",
    "region",
    "collected",
    "collection_method",
    "languages",
    "modality",
    "personal_info",
)
_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Fields a person may set, in the order reports show them.
EDITABLE = ("name", *REQUIRED, "consent_evidence", "notes")
_EDITABLE = frozenset(EDITABLE)


@dataclass(frozen=True, slots=True)
class Source:
    """One registered training-data source."""

    id: str
    name: str
    origin: str | None = None
    licence: str | None = None
    legal_basis: str | None = None
    kind: str | None = None
    region: str | None = None
    collected: str | None = None
    collection_method: str | None = None
    languages: str | None = None
    modality: str | None = None
    personal_info: bool | None = None
    consent_evidence: str | None = None
    notes: str | None = None
    usable: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def state(self) -> dict[str, Any]:
        """The row as plain values (for audit digests, JSON output and scan reports)."""
        out = asdict(self)
        for key in ("created_at", "updated_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out

    @property
    def missing(self) -> list[str]:
        return missing_fields(self)


def missing_fields(source: Source) -> list[str]:
    """Required fields that are still empty; a source with any cannot be marked usable."""
    missing = [name for name in REQUIRED if getattr(source, name) in (None, "")]
    if source.personal_info and not source.consent_evidence:
        missing.append("consent_evidence")
    return missing


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Strip strings, turn blanks into None and check the closed vocabularies."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in _EDITABLE:
            raise InputError(f"unknown source field {key!r}")
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and key in CHOICES and value not in CHOICES[key]:
            raise InputError(f"{key} must be one of {', '.join(CHOICES[key])}, not {value!r}")
        if key == "name" and (value is None or len(value) > 200):
            raise InputError("source name must be 1–200 characters")
        if key == "licence" and value is not None and len(value) > 200:
            raise InputError("licence must be at most 200 characters (put details in notes)")
        if key == "collected" and value is not None and len(value) > 64:
            raise InputError("collected must be a date or a range, at most 64 characters")
        if key == "languages" and value is not None:
            value = ",".join(part.strip() for part in value.split(",") if part.strip()) or None
        out[key] = value
    return out


def _from_row(row: Row[Any]) -> Source:
    data = row._asdict()
    data["personal_info"] = None if data["personal_info"] is None else bool(data["personal_info"])
    data["usable"] = bool(data["usable"])
    return Source(**{f.name: data[f.name] for f in fields(Source)})


def get_source(conn: Connection, source_id: str) -> Source:
    """The source with this id; an unknown id is an input error."""
    row = conn.execute(select(corpus_sources).where(corpus_sources.c.id == source_id)).first()
    if row is None:
        raise InputError(f"no corpus source {source_id!r} (see `hegui corpus source list`)")
    return _from_row(row)


def list_sources(conn: Connection) -> list[Source]:
    """Every registered source, by id."""
    rows = conn.execute(select(corpus_sources).order_by(corpus_sources.c.id)).all()
    return [_from_row(r) for r in rows]


def _check_usable(conn: Connection, source: Source) -> None:
    missing = missing_fields(source)
    if missing:
        raise InputError(
            f"source {source.id!r} cannot be marked usable: missing {', '.join(missing)}"
        )
    latest = conn.execute(
        select(corpus_scan_results)
        .where(corpus_scan_results.c.source_id == source.id)
        .order_by(corpus_scan_results.c.finished_at.desc())
        .limit(1)
    ).first()
    if latest is not None and not latest.passed:
        raise InputError(
            f"source {source.id!r} cannot be marked usable: its latest scan ({latest.scan_id}) "
            f"found {latest.unsafe_share:.2%} harmful records, over the 5 % limit"
        )


def add_source(
    conn: Connection,
    *,
    source_id: str,
    actor: str,
    usable: bool = False,
    now: datetime | None = None,
    **values: Any,
) -> Source:
    """Register a source; with ``usable=True`` every required field must be given."""
    if not _ID.fullmatch(source_id):
        raise InputError(
            f"source id {source_id!r} must be 1–64 characters of a-z, 0-9, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    exists = conn.execute(
        select(corpus_sources.c.id).where(corpus_sources.c.id == source_id)
    ).first()
    if exists is not None:
        raise InputError(f"corpus source {source_id!r} already exists (use `source update`)")
    values = _clean({"name": values.pop("name", None) or source_id, **values})
    now = now or utcnow()
    source = Source(id=source_id, usable=usable, created_at=now, updated_at=now, **values)
    if usable:
        _check_usable(conn, source)
    conn.execute(
        insert(corpus_sources).values(**{f.name: getattr(source, f.name) for f in fields(Source)})
    )
    audit.append(
        conn,
        actor=actor,
        action="corpus.source.add",
        subject=f"corpus_source:{source_id}",
        after=source.state(),
        detail={"usable": usable, "missing": missing_fields(source)},
        at=now,
    )
    return source


def update_source(
    conn: Connection,
    source_id: str,
    *,
    actor: str,
    usable: bool | None = None,
    now: datetime | None = None,
    reason: str | None = None,
    **values: Any,
) -> Source:
    """Change fields and/or the usable flag; a usable source stays usable only while complete.

    ``reason`` goes into the audit event (e.g. the scan that withdrew the source).
    """
    before = get_source(conn, source_id)
    changes = _clean(values)
    now = now or utcnow()
    after = replace(before, **changes, updated_at=now)
    if usable is not None:
        after = replace(after, usable=usable)
    if after.usable:
        _check_usable(conn, after)
    changed = sorted(k for k in (*changes, "usable") if getattr(before, k) != getattr(after, k))
    if not changed:
        return before
    conn.execute(
        update(corpus_sources)
        .where(corpus_sources.c.id == source_id)
        .values(**{k: getattr(after, k) for k in changed}, updated_at=now)
    )
    audit.append(
        conn,
        actor=actor,
        action="corpus.source.update",
        subject=f"corpus_source:{source_id}",
        before=before.state(),
        after=after.state(),
        detail={"fields": changed, **({"reason": reason} if reason else {})},
        at=now,
    )
    return after
