"""The serving process's side of usage records: journal each one durably, let the writer copy it.

:meth:`UsageLog.append` returns once the record is synced to the local journal
(:mod:`hegui.ops.journal`); the gateway releases an answer only after that, and refuses the
request (503) when it fails. Content the policy will not store is dropped here and kept content is
encrypted here, so it never leaves the request in clear. The writer (:mod:`hegui.ops.writer`,
:mod:`hegui.ops.replay`) copies the journal into the database; the backlog (records and bytes
journaled but not yet in the database) is bounded: beyond ``usage_queue_limit`` records or
``usage_journal_limit_mb`` new requests are refused, so a database that hangs costs service,
never records or memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any

from hegui.config import StoreSettings
from hegui.errors import StoreError
from hegui.ops import usage
from hegui.ops.journal import UsageJournal, default_folder, encode_frame
from hegui.ops.records import UsageRecord
from hegui.ops.writer import WriterClient
from hegui.store.crypto import Keyring

__all__ = ["UsageLog"]

log = logging.getLogger(__name__)

_FLUSH_TIMEOUT = 10.0
_RESTART_EVERY = 1.0


class UsageLog:
    """Journal + writer for one serving process (see module docstring)."""

    def __init__(self, settings: StoreSettings, keyring: Keyring, *, in_process: bool) -> None:
        self.settings = settings
        self.keyring = keyring
        self.in_process = in_process
        self.journal: UsageJournal | None = None
        self.writer: WriterClient | None = None
        self._sizes: deque[tuple[int, int]] = deque()  # (frame number, bytes) not yet written
        self._backlog_bytes = 0
        self._restarting: asyncio.Task[None] | None = None
        self._last_start = 0.0
        self._config: dict[str, Any] = {}

    async def start(self, url: str) -> None:
        cfg = self.settings
        journal = UsageJournal(default_folder(url, cfg.usage_journal))
        await asyncio.to_thread(journal.open)
        self.journal = journal
        self._config = {
            "url": url,
            "folder": str(journal.folder),
            "owner": journal.owner,
            "batch_size": cfg.usage_batch_size,
            "interval": cfg.usage_flush_interval,
        }
        try:
            await self._start_writer()
        except StoreError:
            await asyncio.to_thread(journal.close)
            journal.release()
            self.journal = None
            raise

    async def _start_writer(self) -> None:
        self._last_start = time.monotonic()
        writer = WriterClient(self._config, in_process=self.in_process)
        if self.writer is not None:  # frames the old writer finished stay finished
            writer.done = self.writer.done
        await writer.start()
        self.writer = writer

    def _restart_soon(self) -> None:
        """A writer that died is started again (at most once a second); the journal holds on."""
        if self._restarting is not None and not self._restarting.done():
            return
        if time.monotonic() - self._last_start < _RESTART_EVERY:
            return

        async def restart() -> None:
            old = self.writer
            if old is not None:
                await old.stop(timeout=1.0)
            try:
                await self._start_writer()
            except StoreError as exc:
                log.error("usage writer restart failed: %s", exc)

        self._restarting = asyncio.ensure_future(restart())

    # -- the hot path ----------------------------------------------------------------------

    def backlog(self) -> tuple[int, int]:
        """(records, bytes) journaled and not yet in the database."""
        journal, writer = self.journal, self.writer
        if journal is None:
            return 0, 0
        done = writer.done if writer is not None else 0
        while self._sizes and self._sizes[0][0] <= done:
            self._backlog_bytes -= self._sizes.popleft()[1]
        return max(0, journal.appended - done), self._backlog_bytes

    def check_writable(self) -> None:
        """Fail closed before any work when records could not be kept (journal or backlog)."""
        if self.journal is None:
            raise StoreError("usage journal not open")
        if self.writer is None or not self.writer.seems_alive():
            self._restart_soon()
        records, size = self.backlog()
        cfg = self.settings
        if records >= cfg.usage_queue_limit or size >= cfg.usage_journal_limit_mb << 20:
            raise StoreError(
                f"usage record backlog over its limit ({records} records, {size >> 20} MB not yet"
                " in the database): refusing requests until the database catches up"
            )

    async def append(self, record: UsageRecord, *, final: bool = True) -> None:
        """Journal ``record`` (``final=False``: a stream's record before its first byte; the final
        one with the same record id replaces it); returns once it is on disk."""
        journal = self.journal
        if journal is None:
            raise StoreError("usage journal not open")
        content = usage.kept_content(record, self.keyring, self.settings.store_content)
        number = journal.next_number()
        frame = encode_frame(usage.record_meta(record, number, final=final), content)
        self._sizes.append((number, len(frame)))
        self._backlog_bytes += len(frame)
        await journal.append(frame, number)
        writer = self.writer
        if writer is not None and journal.appended - writer.done >= self.settings.usage_batch_size:
            writer.wake()

    # -- flush, close, status --------------------------------------------------------------

    async def flush(self, timeout: float = _FLUSH_TIMEOUT) -> None:
        """Wait until everything journaled so far is in the database (StoreError if it is not)."""
        journal, writer = self.journal, self.writer
        if journal is None:
            return
        if writer is None or not writer.alive:
            raise StoreError("usage writer not running; records stay in the journal")
        await writer.wait_done(journal.appended, timeout)

    async def close(self) -> None:
        """Sync the journal, let the writer finish, then give up the journal's owner lock."""
        journal, writer = self.journal, self.writer
        if self._restarting is not None:
            with contextlib.suppress(Exception):
                await self._restarting
        if journal is not None:
            await asyncio.to_thread(journal.close)
        if writer is not None:
            await writer.stop()
        if journal is not None:
            records, _ = self.backlog()
            if records:
                log.error(
                    "%d usage records left in the journal; the next start writes them", records
                )
            journal.release()
        self.journal = self.writer = None

    def status(self) -> dict[str, Any]:
        """Numbers for /readyz and /metrics."""
        records, size = self.backlog()
        writer = self.writer
        return {
            "writer": bool(writer is not None and writer.alive),
            "backlog_records": records,
            "backlog_bytes": size,
            "written": writer.written if writer else 0,
            "adopted": writer.adopted if writer else 0,
            "quarantined": writer.quarantined if writer else 0,
            "error": writer.error if writer else "usage writer not running",
        }
