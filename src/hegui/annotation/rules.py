"""Versioned annotation rules (Art. 8 "clear, specific and workable rules"; TC260-003 §5.3).

A rules version is immutable once published: Markdown text (kept with its sha256), a kind
(``security`` or ``functional``, which TC260-003 asks to keep apart) and the label set annotators
choose from. Security rules must have a section heading for each of the 31 Appendix-A risks.
The *current* rules of a kind are the ones published last; new projects pin them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from hegui.annotation.labels import default_label_set, parse_label_set, standard_codes
from hegui.errors import InputError
from hegui.store import audit
from hegui.store.schema import annotation_rules, utcnow

__all__ = [
    "KINDS",
    "Rules",
    "check_version_name",
    "current_rules",
    "find_rules",
    "get_rules",
    "list_rules",
    "missing_codes",
    "publish_rules",
]

KINDS = ("security", "functional")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CODE = re.compile(r"(?<![\w.])A\.[1-5]\.[a-z](?![\w.])")
_TITLE = re.compile(r"^#\s+(.+?)\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Rules:
    version: str
    kind: str
    title: str
    labels: tuple[str, ...]
    text: str
    text_sha256: str
    published_at: datetime
    published_by: str

    def summary(self) -> dict[str, object]:
        """Everything but the text (for listings, reports and audit records)."""
        return {
            "version": self.version,
            "kind": self.kind,
            "title": self.title,
            "labels": list(self.labels),
            "text_sha256": self.text_sha256,
            "published_at": self.published_at.isoformat(),
            "published_by": self.published_by,
        }


def check_version_name(version: str, what: str = "rules version") -> str:
    """1–64 characters of letters, digits, dot, dash, underscore, starting with a letter/digit."""
    version = version.strip()
    if not _VERSION.match(version):
        raise InputError(
            f"{what} {version!r}: use 1–64 letters, digits, '.', '-' or '_' (e.g. 2026-12)"
        )
    return version


def missing_codes(text: str) -> list[str]:
    """The Appendix-A codes that no Markdown heading of ``text`` names."""
    found: set[str] = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            found.update(_CODE.findall(line))
    return [code for code in standard_codes() if code not in found]


def publish_rules(
    conn: Connection,
    version: str,
    text: str,
    *,
    actor: str,
    kind: str = "security",
    labels: Iterable[str] | None = None,
    title: str | None = None,
    now: datetime | None = None,
) -> Rules:
    """Publish a new rules version (it becomes current for its kind); versions never change."""
    version = check_version_name(version)
    if kind not in KINDS:
        raise InputError(f"rules kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not text.strip():
        raise InputError(f"rules {version}: the text is empty")
    label_set = parse_label_set(labels) if labels is not None else default_label_set()
    if kind == "security":
        missing = missing_codes(text)
        if missing:
            raise InputError(
                f"rules {version}: security rules must cover all 31 Appendix-A risks; no heading "
                f"names {', '.join(missing)}"
            )
    if find_rules(conn, version) is not None:
        raise InputError(f"rules {version} are already published (versions never change)")
    match = _TITLE.search(text)
    title = (title or (match.group(1) if match else version)).strip()[:200]
    rules = Rules(
        version=version,
        kind=kind,
        title=title,
        labels=label_set,
        text=text,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        published_at=now or utcnow(),
        published_by=actor,
    )
    conn.execute(
        insert(annotation_rules).values(
            version=rules.version,
            kind=rules.kind,
            title=rules.title,
            labels=",".join(rules.labels),
            text=rules.text,
            text_sha256=rules.text_sha256,
            published_at=rules.published_at,
            published_by=rules.published_by,
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="annotation.rules.publish",
        subject=f"annotation_rules:{version}",
        after=rules.summary(),
        at=rules.published_at,
    )
    return rules


def _from_row(row: object) -> Rules:
    m = row._mapping  # type: ignore[attr-defined]
    return Rules(
        version=m["version"],
        kind=m["kind"],
        title=m["title"],
        labels=tuple(m["labels"].split(",")),
        text=m["text"],
        text_sha256=m["text_sha256"],
        published_at=m["published_at"],
        published_by=m["published_by"],
    )


def find_rules(conn: Connection, version: str) -> Rules | None:
    """The rules ``version``, or None when it was never published."""
    row = conn.execute(
        select(annotation_rules).where(annotation_rules.c.version == version)
    ).one_or_none()
    return _from_row(row) if row is not None else None


def get_rules(conn: Connection, version: str) -> Rules:
    """The rules ``version``; an :class:`InputError` naming it when unknown."""
    rules = find_rules(conn, version)
    if rules is None:
        raise InputError(f"no annotation rules {version!r} (see: hegui annotate rules list)")
    return rules


def current_rules(conn: Connection, kind: str = "security") -> Rules | None:
    """The rules of ``kind`` published last, or None before the first."""
    row = conn.execute(
        select(annotation_rules)
        .where(annotation_rules.c.kind == kind)
        .order_by(annotation_rules.c.published_at.desc(), annotation_rules.c.version.desc())
        .limit(1)
    ).one_or_none()
    return _from_row(row) if row is not None else None


def list_rules(conn: Connection) -> list[Rules]:
    """Every published version, oldest first."""
    rows = conn.execute(
        select(annotation_rules).order_by(
            annotation_rules.c.published_at, annotation_rules.c.version
        )
    )
    return [_from_row(r) for r in rows]
