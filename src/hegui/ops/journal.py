"""The usage-record journal: a local append-only file, fsynced before an answer is released.

Why: a record held only in memory is lost when the process dies or the database hangs, and
Art. 11/14 records are the evidence a provider must keep. So every record is appended here and
``fdatasync``-ed (one sync for every record that arrived meanwhile: group commit) before the
gateway releases the answer; the writer (:mod:`hegui.ops.replay`) copies the journal into the
database, idempotently by record id, and deletes what is committed.

Layout of a journal folder (one per database, shared by every process on the machine):
``<owner>.lock`` is held (``flock``) by the live process that writes ``<owner>.<seq>.log``; a
segment whose owner's lock is free belongs to a dead process and is adopted by any writer.

A frame: ``HGJ1``, meta length, content length (``0xFFFFFFFF``: none), CRC-32 of both parts,
then the meta (JSON) and the content (already encrypted, only when the policy keeps it). There is
no size limit: a 500 KB prompt is one frame like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import secrets
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import make_url

from hegui.errors import StoreError

__all__ = [
    "Frame",
    "UsageJournal",
    "default_folder",
    "encode_frame",
    "owner_lock",
    "read_frames",
    "segments_of",
]

log = logging.getLogger(__name__)

MAGIC = b"HGJ1"
_HEAD = struct.Struct("<4sIII")
_NO_CONTENT = 0xFFFFFFFF
SEGMENT_BYTES = 16 << 20


@dataclass(slots=True)
class Frame:
    """One journal entry: ``meta`` (the record's fields, ``n`` its number in the owner's journal,
    ``final`` False for a stream's record written before its first byte) and the content."""

    meta: dict[str, Any]
    content: bytes | None
    end: int  # offset just past this frame in its segment


def encode_frame(meta: dict[str, Any], content: bytes | None) -> bytes:
    body = orjson.dumps(meta)
    data = body + (content or b"")
    size = _NO_CONTENT if content is None else len(content)
    return _HEAD.pack(MAGIC, len(body), size, zlib.crc32(data)) + data


def read_frames(data: bytes, start: int = 0) -> tuple[list[Frame], int, bool]:
    """Frames in ``data`` from ``start``: (frames, offset after the last whole frame, damaged).

    A short tail is a frame still being written (or torn by a crash: its answer was never
    released); ``damaged`` is True when a whole frame fails its checksum.
    """
    frames: list[Frame] = []
    pos = start
    while pos + _HEAD.size <= len(data):
        magic, meta_len, content_len, crc = _HEAD.unpack_from(data, pos)
        if magic != MAGIC:
            return frames, pos, True
        size = meta_len + (0 if content_len == _NO_CONTENT else content_len)
        end = pos + _HEAD.size + size
        if end > len(data):
            break
        payload = data[pos + _HEAD.size : end]
        if zlib.crc32(payload) != crc:
            return frames, pos, True
        content = None if content_len == _NO_CONTENT else bytes(payload[meta_len:])
        frames.append(Frame(orjson.loads(payload[:meta_len]), content, end))
        pos = end
    return frames, pos, False


def default_folder(url: str, configured: str | None) -> Path:
    """The journal folder: configured, else beside the SQLite file, else ``.hegui/usage-journal``
    with one sub-folder per database (so journals are never replayed into another database)."""
    if configured:
        return Path(configured)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(f"{parsed.database}.usage-journal")
    ident = parsed.set(password=None).render_as_string(hide_password=True)
    digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:16]
    return Path(".hegui") / "usage-journal" / digest


def segments_of(folder: Path, owner: str) -> list[Path]:
    """The owner's segments, oldest first."""
    return sorted(folder.glob(f"{owner}.*.log"))


def owner_lock(folder: Path, owner: str, *, wait: bool = False) -> int | None:
    """An fd holding ``owner``'s lock, or None when a live process holds it."""
    fd = os.open(folder / f"{owner}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class UsageJournal:
    """The serving process's journal: ``await append(frame)`` returns once the frame is on disk.

    One thread writes and syncs whatever has queued since its last sync, so 64 requests finishing
    together cost one ``fdatasync``, and the event loop never waits on the disk.
    """

    def __init__(self, folder: Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = folder
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.segment_bytes = segment_bytes
        self.appended = 0  # number of the last frame on disk (frames are numbered from 1)
        self._next = 0
        self._queue: list[tuple[bytes, int, asyncio.Future[None]]] = []
        self._cond = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._lock_fd: int | None = None
        self._fd: int | None = None
        self._seq = 0
        self._size = 0
        self.error: str | None = None

    def open(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._lock_fd = owner_lock(self.folder, self.owner)
            if self._lock_fd is None:
                raise StoreError("usage journal: owner lock is taken")
            self._open_segment()
        except OSError as exc:
            raise StoreError(
                f"usage journal {self.folder} cannot be opened: {exc.strerror or exc}"
            ) from None
        self._thread = threading.Thread(target=self._run, name="hegui-journal", daemon=True)
        self._thread.start()

    def next_number(self) -> int:
        """The number of the next frame (assigned in the order frames are appended)."""
        self._next += 1
        return self._next

    async def append(self, frame: bytes, number: int) -> None:
        """Queue ``frame`` (numbered ``number``) and wait until it is synced; :class:`StoreError`
        if it could not be."""
        fut = asyncio.get_running_loop().create_future()
        with self._cond:
            if self._closing or self._thread is None:
                raise StoreError("usage journal closed")
            self._queue.append((frame, number, fut))
            self._cond.notify()
        await fut

    def close(self) -> None:
        """Sync what is queued, stop the thread; the owner lock is kept until :meth:`release`."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def release(self) -> None:
        """Give up the owner lock: what is left in the journal is adopted by the next writer."""
        if self._lock_fd is not None:
            if not segments_of(self.folder, self.owner):  # all written: leave nothing behind
                with contextlib.suppress(OSError):
                    (self.folder / f"{self.owner}.lock").unlink()
            os.close(self._lock_fd)
            self._lock_fd = None

    def _open_segment(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)
        self._seq += 1
        path = self.folder / f"{self.owner}.{self._seq:08d}.log"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = 0
        _sync_dir(self.folder)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                batch, self._queue = self._queue, []
                if not batch and self._closing:
                    return
            error = self._write(b"".join(f for f, _, _ in batch))
            if error is None:
                self.appended = max(self.appended, *(n for _, n, _ in batch))
            # One hand-over per event loop and batch, not one per record: each costs the loop a
            # wake-up, and this thread the GIL.
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
            for _, _, fut in batch:
                by_loop.setdefault(fut.get_loop(), []).append(fut)
            for loop, futures in by_loop.items():
                with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits
                    loop.call_soon_threadsafe(_settle, futures, error)

    def _write(self, data: bytes) -> str | None:
        try:
            if self._fd is None or (self._size and self._size + len(data) > self.segment_bytes):
                self._open_segment()
            assert self._fd is not None
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fdatasync(self._fd)
        except OSError as exc:
            self.error = f"usage journal write failed: {exc.strerror or exc}"
            log.error("%s", self.error)
            # A partial frame would hide every later one from the reader: cut it off, and start
            # a new segment for the next write in any case.
            with contextlib.suppress(OSError):
                if self._fd is not None:
                    os.ftruncate(self._fd, self._size)
            with contextlib.suppress(OSError):
                self._open_segment()
            return self.error
        self._size += len(data)
        self.error = None
        return None


def _settle(futures: list[asyncio.Future[None]], error: str | None) -> None:
    for fut in futures:
        if fut.done():
            continue
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(StoreError(error))
