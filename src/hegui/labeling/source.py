"""Files as read-only sources and labelled output as a splice plan, so memory stays bounded.

A carrier parses headers through :attr:`Source.buf` (the bytes, or a read-only ``mmap`` of the
file: slicing, ``struct.unpack_from`` and ``find`` work on both and touch only the pages read).
It answers a write with a *plan*: a list of new ``bytes`` and :class:`Span` ranges of the source.
:func:`write_plan` copies the spans file to file in the kernel (``copy_file_range``, else 1 MiB
reads), so labelling a 2 GiB video costs the metadata plus a constant, never the media.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

__all__ = [
    "Piece",
    "Source",
    "Span",
    "as_source",
    "materialise",
    "plan_size",
    "reader_of",
    "write_plan",
]

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Span:
    """Bytes ``[start, end)`` of the source, copied to the output unchanged."""

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start


Piece = bytes | Span


class Source:
    """A file or a byte string to label: ``buf`` for parsing, ``span``/``chunks`` for bulk data."""

    def __init__(self, buf: Any, fd: int | None = None) -> None:
        self.buf = buf
        self.fd = fd
        self.size = len(buf)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Source:
        return cls(bytes(data) if not isinstance(data, bytes) else data)

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: str | os.PathLike[str]) -> Iterator[Source]:
        """Map ``path`` read-only for the duration of the block."""
        fd = os.open(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size == 0:
                yield cls(b"", fd)
                return
            mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            try:
                yield cls(mapped, fd)
            finally:
                mapped.close()
        finally:
            os.close(fd)

    def __len__(self) -> int:
        return self.size

    def head(self, n: int) -> bytes:
        return bytes(self.buf[:n])

    def read(self, at: int, n: int) -> bytes:
        """``n`` bytes from ``at`` (fewer at the end), without mapping pages for files."""
        if self.fd is None:
            return bytes(self.buf[at : at + n])
        return os.pread(self.fd, n, at)

    def startswith(self, prefix: bytes, at: int = 0) -> bool:
        return bytes(self.buf[at : at + len(prefix)]) == prefix

    def span(self, start: int, end: int | None = None) -> Span:
        return Span(start, self.size if end is None else end)

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes | memoryview]:
        """The bytes of ``[start, end)`` in pieces of at most 1 MiB (``pread`` for files, so
        pages of a large file are not kept mapped in the process)."""
        end = self.size if end is None else end
        if self.fd is None:
            view = memoryview(self.buf)
            for at in range(start, end, _CHUNK):
                yield view[at : min(end, at + _CHUNK)]
            return
        at = start
        while at < end:
            block = os.pread(self.fd, min(_CHUNK, end - at), at)
            if not block:
                return
            yield block
            at += len(block)

    def digest(self, *ranges: tuple[int, int]) -> bytes:
        """SHA-256 over the given ranges, read in bounded chunks."""
        h = hashlib.sha256()
        for start, end in ranges:
            for block in self.chunks(start, end):
                h.update(block)
        return h.digest()


class _SourceIO(io.RawIOBase):
    """A seekable read-only file object over a :class:`Source` (``pread``, no shared offset)."""

    def __init__(self, src: Source) -> None:
        self._src, self._pos = src, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, self._src.size)[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        block = self._src.read(self._pos, len(buffer))
        buffer[: len(block)] = block
        self._pos += len(block)
        return len(block)


def reader_of(src: Source) -> IO[bytes]:
    """A binary file object reading ``src`` (for parsers such as pypdf that want one)."""
    if src.fd is None:
        return io.BytesIO(src.buf)
    return io.BufferedReader(_SourceIO(src), buffer_size=1 << 16)


def as_source(data: bytes | bytearray | memoryview | Source) -> Source:
    """Accept raw bytes wherever a carrier takes a :class:`Source` (the in-memory API)."""
    return data if isinstance(data, Source) else Source.from_bytes(data)


def plan_size(plan: list[Piece]) -> int:
    return sum(len(p) for p in plan)


def materialise(plan: list[Piece], src: Source) -> bytes:
    """The plan as one byte string (in-memory labelling)."""
    view = memoryview(src.buf) if src.fd is None else None
    parts: list[bytes | memoryview] = []
    for piece in plan:
        if isinstance(piece, Span):
            if view is not None:
                parts.append(view[piece.start : piece.end])
            else:
                parts.extend(src.chunks(piece.start, piece.end))
        else:
            parts.append(piece)
    return b"".join(parts)


def write_plan(plan: list[Piece], src: Source, fh: IO[bytes]) -> None:
    """Write the plan to the open file ``fh``; spans are copied without passing through Python
    when the source is a file (``os.copy_file_range``), else in 1 MiB blocks."""
    for piece in plan:
        if not isinstance(piece, Span):
            fh.write(piece)
            continue
        if src.fd is None:
            fh.write(memoryview(src.buf)[piece.start : piece.end])
            continue
        fh.flush()
        _copy_range(src.fd, fh.fileno(), piece.start, piece.end)


def _copy_range(src_fd: int, dst_fd: int, start: int, end: int) -> None:
    at = start
    copy = getattr(os, "copy_file_range", None)
    while at < end:
        n = 0
        if copy is not None:
            try:
                n = copy(src_fd, dst_fd, min(end - at, 1 << 30), at)
            except OSError:
                copy = None
        if n <= 0:
            block = os.pread(src_fd, min(_CHUNK, end - at), at)
            if not block:
                raise OSError(f"source ended at byte {at}, expected {end}")
            view = memoryview(block)
            while view:
                view = view[os.write(dst_fd, view) :]
            n = len(block)
        at += n
