"""The public disclosure (Interim Measures Art. 10): who the service is for and how it works.

Versioned like agreements: each publication is a new row, the newest is shown on the portal and
earlier ones stay readable. The fields follow Art. 10 and TC260-003 §7 (applicable groups,
occasions and uses, limitations, models and filing number, minors' mode, how labels look).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select

from hegui.errors import InputError
from hegui.ops.forms import optional_text
from hegui.store import audit
from hegui.store.schema import disclosures, utcnow

__all__ = [
    "FIELDS",
    "Disclosure",
    "current_disclosure",
    "disclosure_history",
    "publish_disclosure",
]

# field → (中文, English)
FIELDS: dict[str, tuple[str, str]] = {
    "audience": ("适用人群", "Who the service is for"),
    "uses": ("适用场合与用途", "Occasions and uses"),
    "limitations": ("局限性", "Limitations"),
    "models": ("所用模型", "Model(s)"),
    "filing_number": ("备案编号", "Filing number"),
    "minors": ("未成年人模式", "Minors' mode"),
    "labels": ("生成内容标识", "How AI-generated content is labelled"),
    "contact": ("联系方式", "Contact"),
}


@dataclass(frozen=True, slots=True)
class Disclosure:
    version: str
    content: dict[str, str]
    published_at: datetime
    published_by: str


def publish_disclosure(
    conn: Connection,
    version: str,
    content: dict[str, str],
    *,
    actor: str,
    limit: int = 5000,
    now: datetime | None = None,
) -> Disclosure:
    """Publish a new version (it becomes current); versions are never overwritten."""
    version = version.strip()
    if not version or len(version) > 64:
        raise InputError("disclosure version must be 1–64 characters")
    unknown = set(content) - set(FIELDS)
    if unknown:
        raise InputError(f"unknown disclosure fields: {', '.join(sorted(unknown))}")
    cleaned = {k: optional_text(content.get(k), k, limit) or "" for k in FIELDS}
    if not cleaned["audience"] or not cleaned["uses"]:
        raise InputError("a disclosure must say who the service is for and what it is used for")
    exists = conn.execute(
        select(disclosures.c.version).where(disclosures.c.version == version)
    ).one_or_none()
    if exists is not None:
        raise InputError(f"disclosure {version!r} is already published")
    now = now or utcnow()
    conn.execute(
        insert(disclosures).values(
            version=version, content=cleaned, published_at=now, published_by=actor[:100]
        )
    )
    audit.append(
        conn,
        actor=actor,
        action="disclosure.publish",
        subject=f"disclosure:{version}",
        after=cleaned,
        at=now,
    )
    return Disclosure(version, cleaned, now, actor)


def disclosure_history(conn: Connection) -> list[Disclosure]:
    """Every version, newest first."""
    rows = conn.execute(
        select(disclosures).order_by(
            disclosures.c.published_at.desc(), disclosures.c.version.desc()
        )
    )
    return [Disclosure(r.version, dict(r.content), r.published_at, r.published_by) for r in rows]


def current_disclosure(conn: Connection) -> Disclosure | None:
    history = conn.execute(
        select(disclosures)
        .order_by(disclosures.c.published_at.desc(), disclosures.c.version.desc())
        .limit(1)
    ).one_or_none()
    if history is None:
        return None
    r = history
    return Disclosure(r.version, dict(r.content), r.published_at, r.published_by)
