"""Copy a usage journal into the database: in order, idempotently, never stuck on one bad row.

A :class:`Replayer` follows one owner's segments (:mod:`hegui.ops.journal`). A stream's record is
journaled twice, before its first byte (``final: false``) and at its end; the first is held until
the second arrives, or written as it is when the owner is gone. A batch the database refuses while
it still answers is split in halves until the bad row is alone; that row goes to
``usage_quarantine`` (or, if even that fails, to a file in the journal folder), is logged and
counted, and the rest is written. A batch that fails because the database is down or locked stays
where it is and is retried: nothing is skipped and nothing is resent forever. A segment is
deleted once all its records are committed.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError, StatementError

from hegui.errors import StoreError
from hegui.ops import usage
from hegui.ops.journal import Frame, owner_lock, read_frames, segments_of
from hegui.store.db import Store
from hegui.store.schema import utcnow

__all__ = ["Replayer", "adopt_orphans", "row_problem"]

log = logging.getLogger(__name__)

_BATCH_BYTES = 8 << 20


def row_problem(exc: BaseException) -> bool:
    """True when the database refused this data (split, then quarantine), False when the database
    itself is unavailable (keep the batch and retry)."""
    cause = exc.__cause__ if isinstance(exc, StoreError) else exc
    if isinstance(cause, DataError | IntegrityError):
        return True
    if isinstance(cause, StatementError) and not isinstance(cause, DBAPIError):
        return True  # a value the driver could not bind
    # Any other database error means the database is unavailable; anything else is a bad value.
    return not (isinstance(cause, SQLAlchemyError) or isinstance(exc, StoreError))


@dataclass
class _Segment:
    path: Path
    offset: int = 0
    read_all: bool = False
    held: set[str] = field(default_factory=set)


class Replayer:
    """Writes one owner's journal; :meth:`step` does one batch and returns the progress."""

    def __init__(
        self,
        store: Store,
        folder: Path,
        owner: str,
        *,
        batch_size: int = 500,
        on_quarantine: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.folder = folder
        self.owner = owner
        self.batch_size = max(1, batch_size)
        self.on_quarantine = on_quarantine
        self.done_upto = 0  # every frame numbered up to here is committed, held or skipped
        self.written = 0
        self.quarantined = 0
        self.error: str | None = None
        self._segments: list[_Segment] = []
        self._held: dict[str, tuple[Frame, _Segment]] = {}
        self._pending: list[tuple[Frame, _Segment]] = []
        self._taken_upto = 0
        self._scanned = False

    @property
    def finished(self) -> bool:
        """Nothing left: every segment read, committed and deleted."""
        return self._scanned and not self._segments and not self._pending and not self._held

    def step(self, *, owner_gone: bool = False) -> int:
        """Read up to one batch and commit it; returns the rows written. Raises StoreError (batch
        kept) when the database is unavailable. ``owner_gone``: nothing more will be appended,
        so held stream records are written as they are and torn tails are ignored."""
        self._scan()
        if not self._pending:
            self._fill(owner_gone)
        if owner_gone and not self._pending and self._held:
            self._pending = list(self._held.values())
            self._held.clear()
            for _, seg in self._pending:
                seg.held.clear()
        batch, self._pending = self._pending, []
        if batch:
            try:
                n = self._write([f for f, _ in batch])
            except StoreError as exc:
                self._pending = batch
                self.error = str(exc)
                raise
            self.written += n
            self.error = None
        self.done_upto = self._taken_upto
        self._delete_done()
        return len(batch)

    # -- reading ---------------------------------------------------------------------------

    def _scan(self) -> None:
        known = {s.path for s in self._segments}
        for path in segments_of(self.folder, self.owner):
            if path not in known:
                self._segments.append(_Segment(path))
        self._segments.sort(key=lambda s: s.path.name)
        self._scanned = True

    def _fill(self, owner_gone: bool) -> None:
        size = 0
        for i, seg in enumerate(self._segments):
            if seg.read_all:
                continue
            sealed = owner_gone or i < len(self._segments) - 1
            try:
                with seg.path.open("rb") as f:
                    f.seek(seg.offset)
                    data = f.read()
            except FileNotFoundError:
                seg.read_all = True
                continue
            frames, _used, damaged = read_frames(data)
            base = seg.offset
            for frame in frames:
                if len(self._pending) >= self.batch_size or size > _BATCH_BYTES:
                    return
                self._take(frame, seg)
                seg.offset = base + frame.end
                size += len(frame.content or b"") + 256
            if damaged:
                log.error("usage journal %s: damaged frame at byte %d", seg.path.name, seg.offset)
            if not sealed:
                return  # the owner is still writing this segment: wait for more
            # The rest of a sealed segment is a frame torn by a crash (its sync never completed,
            # so its answer was never released) or damage: nothing here is a released record.
            seg.read_all = True

    def _take(self, frame: Frame, seg: _Segment) -> None:
        rid = str(frame.meta.get("record_id") or "")
        if not frame.meta.get("final", True) and rid:
            self._held[rid] = (frame, seg)
            seg.held.add(rid)
            self._taken_upto = max(self._taken_upto, int(frame.meta.get("n", 0)))
            return
        earlier = self._held.pop(rid, None) if rid else None
        if earlier is not None:
            earlier[1].held.discard(rid)
        self._pending.append((frame, seg))
        self._taken_upto = max(self._taken_upto, int(frame.meta.get("n", 0)))

    def _delete_done(self) -> None:
        while self._segments:
            seg = self._segments[0]
            if not seg.read_all or seg.held or any(s is seg for _, s in self._pending):
                return
            with contextlib.suppress(FileNotFoundError):
                seg.path.unlink()
            self._segments.pop(0)

    # -- writing ---------------------------------------------------------------------------

    def _write(self, frames: list[Frame]) -> int:
        rows: list[dict[str, Any]] = []
        for frame in frames:
            try:
                rows.append(usage.row_from_frame(frame.meta, frame.content))
            except Exception as exc:  # a frame that cannot even become a row
                self._quarantine(frame, type(exc).__name__)
        return self._insert(rows, frames)

    def _insert(self, rows: list[dict[str, Any]], frames: list[Frame]) -> int:
        if not rows:
            return 0
        try:
            return self.store.write(lambda c: usage.insert_rows(c, rows))
        except Exception as exc:
            if not row_problem(exc):
                raise StoreError(f"usage records not written: {exc}") from exc
            reason = _reason(exc)
        if len(rows) > 1:
            mid = len(rows) // 2
            return self._insert(rows[:mid], frames) + self._insert(rows[mid:], frames)
        try:  # once more alone: a conflict with a concurrent writer is not the row's fault
            return self.store.write(lambda c: usage.insert_rows(c, rows))
        except Exception as exc:
            if not row_problem(exc):
                raise StoreError(f"usage records not written: {exc}") from exc
        rid = rows[0].get("record_id")
        frame = next((f for f in frames if f.meta.get("record_id") == rid), None)
        if frame is None:
            frame = Frame({"record_id": rid, "row": repr(sorted(rows[0]))}, None, 0)
        self._quarantine(frame, reason)
        return 0

    def _quarantine(self, frame: Frame, reason: str) -> None:
        rid = str(frame.meta.get("record_id") or "-")
        now = utcnow()
        try:
            self.store.write(
                lambda c: usage.quarantine(c, frame.meta, frame.content, reason, now=now)
            )
            where = "usage_quarantine"
        except Exception:
            where = str(_quarantine_file(self.folder, frame))
        self.quarantined += 1
        log.error("usage record %s quarantined in %s: %s", rid, where, reason)
        if self.on_quarantine is not None:
            self.on_quarantine(rid)


def _reason(exc: BaseException) -> str:
    """The error's class names only: driver messages may quote the values (personal data)."""
    cause = exc.__cause__ if isinstance(exc, StoreError) else exc
    orig = getattr(cause, "orig", None)
    names = [type(x).__name__ for x in (cause, orig) if x is not None]
    return ": ".join(dict.fromkeys(names)) or type(exc).__name__


def _quarantine_file(folder: Path, frame: Frame) -> Path:
    qdir = folder / "quarantine"
    qdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    rid = str(frame.meta.get("record_id") or os.urandom(8).hex())
    path = qdir / f"{rid}.json"
    doc = {"meta": frame.meta, "content": (frame.content or b"").hex() or None}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, orjson.dumps(doc))
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def adopt_orphans(
    store: Store,
    folder: Path,
    own: str,
    *,
    batch_size: int = 500,
    on_quarantine: Callable[[str], None] | None = None,
) -> int:
    """Write the journals of processes that died (their owner lock is free); returns the rows
    written. Stops at the first database error (the journal stays for the next attempt)."""
    written = 0
    for lock in sorted(folder.glob("*.lock")):
        owner = lock.name.removesuffix(".lock")
        if owner == own:
            continue
        fd = owner_lock(folder, owner)
        if fd is None:
            continue  # alive
        try:
            rp = Replayer(store, folder, owner, batch_size=batch_size, on_quarantine=on_quarantine)
            idle = 0
            while not rp.finished and idle < 3:  # idle: nothing left that can be read
                n = rp.step(owner_gone=True)
                written += n
                idle = 0 if n else idle + 1
            if written:
                log.warning("usage journal of %s replayed: %d records written", owner, rp.written)
            if rp.finished:
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
        finally:
            os.close(fd)
    return written
