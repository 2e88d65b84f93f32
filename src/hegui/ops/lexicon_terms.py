"""Lexicon terms kept by staff in the console, applied by running gateways without a restart.

Staff add a term with its risk code and severity, or withdraw one; each change is audited. The
gateway's engine gets one more detector, :class:`StoreTermsDetector`: the engine's own
:class:`~hegui.safety.lexicon.detector.LexiconDetector` (same normalisation, variants and
evidence) compiled from the active terms, rebuilt in a background thread when the table changes
(checked every few seconds), so every replica picks a change up within that time. The shipped and
file lexicons stay as they are; :func:`search_builtin` lets staff look terms up in them.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select

from hegui.errors import InputError
from hegui.ops.forms import optional_text, required_text
from hegui.ops.toggles import set_row_active
from hegui.safety.lexicon.detector import LexiconDetector
from hegui.safety.lexicon.format import SEVERITIES, Entry
from hegui.safety.lexicon.matcher import LexiconMatcher
from hegui.safety.types import Direction, Doc, Finding, Layer
from hegui.store import audit
from hegui.store.schema import lexicon_terms, utcnow

__all__ = [
    "StoreTermsDetector",
    "add_term",
    "list_terms",
    "load_entries",
    "search_builtin",
    "set_term_active",
    "terms_version",
]

log = logging.getLogger(__name__)
RELOAD_SECONDS = 5.0


def add_term(
    conn: Connection,
    term: str,
    code: str,
    *,
    actor: str,
    severity: str = "high",
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Add an active term for risk ``code`` (a GB/T 45654 Appendix A code)."""
    from hegui import taxonomy

    text = required_text(term, "term", 200)
    try:
        taxonomy.get(code.strip())
    except taxonomy.UnknownRiskCodeError:
        raise InputError(f"unknown risk code {code!r}") from None
    if severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}")
    now = now or utcnow()
    term_id = conn.execute(
        insert(lexicon_terms)
        .values(
            term=text,
            code=code.strip(),
            severity=severity,
            active=True,
            note=optional_text(note, "note", 2000),
            created_by=actor[:100],
            created_at=now,
            updated_at=now,
        )
        .returning(lexicon_terms.c.id)
    ).scalar_one()
    audit.append(
        conn,
        actor=actor,
        action="lexicon.add",
        subject=f"lexicon_term:{term_id}",
        after={"term": text, "code": code, "severity": severity},
        detail={"code": code.strip(), "severity": severity},
        at=now,
    )
    return int(term_id)


def set_term_active(
    conn: Connection, term_id: int, active: bool, *, actor: str, now: datetime | None = None
) -> None:
    """Withdraw (or restore) a term; running gateways stop (or start) matching it."""
    set_row_active(
        conn,
        lexicon_terms,
        term_id,
        active,
        kind="lexicon",
        subject=f"lexicon_term:{term_id}",
        missing=f"no lexicon term {term_id}",
        actor=actor,
        now=now,
    )


def list_terms(conn: Connection, query: str = "", limit: int = 200) -> list[dict[str, Any]]:
    """Staff terms whose text, code or note contains ``query`` (all when empty), newest first."""
    c = lexicon_terms.c
    stmt = select(lexicon_terms)
    query = query.strip()[:100]
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                c.term.like(like, escape="\\"),
                c.code.like(like, escape="\\"),
                c.note.like(like, escape="\\"),
            )
        )
    rows = conn.execute(stmt.order_by(c.id.desc()).limit(max(1, min(limit, 1000))))
    return [dict(r._mapping) for r in rows]


def terms_version(conn: Connection) -> tuple[int, str]:
    """Changes whenever a term is added, withdrawn or restored (count and latest update)."""
    count, latest = conn.execute(
        select(func.count(), func.max(lexicon_terms.c.updated_at)).select_from(lexicon_terms)
    ).one()
    return int(count), str(latest)


def load_entries(conn: Connection) -> list[Entry]:
    rows = conn.execute(
        select(
            lexicon_terms.c.id, lexicon_terms.c.term, lexicon_terms.c.code, lexicon_terms.c.severity
        )
        .where(lexicon_terms.c.active.is_(True))
        .order_by(lexicon_terms.c.id)
    )
    return [
        Entry(term=r.term, code=r.code, severity=r.severity, path="console", line=r.id)
        for r in rows
    ]


def search_builtin(query: str, limit: int = 100) -> list[Entry]:
    """Terms of the engine's built-in lexicon containing ``query`` (read-only, for staff)."""
    query = query.strip()
    if not query:
        return []
    entries = LexiconDetector.default().matcher.entries
    return [e for e in entries if query in e.term][:limit]


class StoreTermsDetector:
    """A lexicon detector over the database's active terms (module docstring)."""

    name = "lexicon_console"
    layer = Layer.LEXICON

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self._detector: LexiconDetector | None = None
        self._version: tuple[int, str] | None = None
        self._checked_at = -RELOAD_SECONDS
        self._lock = threading.Lock()
        self._refreshing = False
        self._tried = False

    @property
    def max_term_length(self) -> int:
        detector = self._detector
        return 0 if detector is None else detector.max_term_length

    def open_tail(self, doc: Doc) -> int:
        """Where the end of ``doc.text`` may still grow into a staff term: a stream holds that
        part back (``Engine.hold_back``), as it does for the built-in lexicon."""
        detector = self._detector
        return len(doc.text) if detector is None else detector.open_tail(doc)

    def detect(self, doc: Doc, direction: Direction) -> list[Finding]:
        if not self._tried:
            self._tried = True
            self.refresh()  # the first check waits for the first load (one small query)
        elif time.monotonic() - self._checked_at >= RELOAD_SECONDS:
            self._refresh_in_background()
        detector = self._detector
        return [] if detector is None else detector.detect(doc, direction)

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
            self._checked_at = time.monotonic()
        threading.Thread(target=self.refresh, name="hegui-lexicon-terms", daemon=True).start()

    def refresh(self) -> None:
        """Rebuild the matcher when the table changed; keep the old one on any error."""
        try:
            store = self._backend.store
            with store.read() as conn:
                version = terms_version(conn)
                if version == self._version:
                    return
                entries = load_entries(conn)
            self._detector = LexiconDetector(LexiconMatcher(entries)) if entries else None
            self._version = version
        except Exception as exc:  # the database or the backend is not there yet
            log.warning("console lexicon terms not loaded: %s", type(exc).__name__)
        finally:
            self._checked_at = time.monotonic()
            self._refreshing = False
