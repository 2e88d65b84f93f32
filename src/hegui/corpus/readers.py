"""Finding input files and reading them as chunks of raw records, in order, from any position.

Discovery walks the given paths (``SOURCE=PATH`` assigns a source), classifies files by their
suffixes and reports what it cannot read; :func:`read_file` and :func:`iter_chunks` drive the
per-format readers of :mod:`hegui.corpus.formats` and cut their records into the chunks that
workers receive. The types are re-exported here for callers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from hegui.corpus.formats import (
    FILE_DONE,
    FORMATS,
    READ_ERRORS,
    READERS,
    InputFile,
    Meter,
    Position,
    Raw,
    decode,
)
from hegui.errors import InputError

__all__ = [
    "FILE_DONE",
    "FORMATS",
    "Chunk",
    "InputFile",
    "Position",
    "Raw",
    "decode",
    "discover",
    "iter_chunks",
    "read_file",
    "source_prefix",
]

_COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_SOURCE_PREFIX = re.compile(r"([a-z0-9][a-z0-9._-]{0,63})=(.+)")


def _classify(path: Path) -> tuple[str | None, str | None]:
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    compression = _COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression is not None:
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt == "parquet" and compression is not None:
        fmt = None  # Parquet compresses its own pages
    return fmt, compression


def source_prefix(arg: str) -> str | None:
    """The source id of a ``SOURCE=PATH`` argument (None for a plain path)."""
    match = _SOURCE_PREFIX.fullmatch(arg)
    if match is None or Path(arg).exists():
        return None
    return match.group(1)


def discover(args: list[str]) -> tuple[list[InputFile], list[tuple[str, str]]]:
    """Files under the given paths (folders walked in name order) and skipped (path, reason)s.

    An argument ``SOURCE=PATH`` assigns the source to every file under PATH. A path that does
    not exist is a usage error; an unsupported file type is skipped and reported.
    """
    files: list[InputFile] = []
    skipped: list[tuple[str, str]] = []
    for arg in args:
        source = source_prefix(arg)
        if source is not None:
            arg = arg[len(source) + 1 :]
        root = Path(arg)
        if not root.exists():
            raise InputError(f"no such file or folder: {arg}")
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in paths:
            if any(part.startswith(".") for part in path.relative_to(root).parts) and path != root:
                continue
            fmt, compression = _classify(path)
            if fmt is None:
                skipped.append((str(path), "unsupported file type"))
                continue
            stat = path.stat()
            files.append(
                InputFile(str(path), fmt, compression, stat.st_size, stat.st_mtime_ns, source)
            )
    return files, skipped


def read_file(
    f: InputFile,
    index: int,
    limit: int,
    start: Position | None = None,
    meter: Meter | None = None,
) -> Iterator[Raw]:
    """Raw records of one file from ``start`` (or its beginning).

    A file that breaks off (truncated gzip, bad zstd frame, unreadable Parquet) ends with one
    problem record whose ``end`` is ``FILE_DONE``, so a resumed scan does not read it again.
    """
    start = start or Position(index, 0, 0)
    line = start.line
    try:
        for raw in READERS[f.format](f, index, start, limit, meter):
            line = raw.line
            yield raw
    except READ_ERRORS as exc:
        message = f"file unreadable after line {line}: {type(exc).__name__}: {exc}"
        yield Raw(index, line + 1, FILE_DONE, None, problem=("unreadable_file", message))


class Chunk(NamedTuple):
    """Raw records handed to one worker call, and where reading resumes after them."""

    raws: list[Raw]
    end: Position
    disk: int  # bytes of input read from disk up to here, over all files (for progress)


def _raw_size(raw: Raw) -> int:
    payload = raw.payload
    if isinstance(payload, bytes | str):
        return len(payload) + 64
    if isinstance(payload, dict):
        return sum(len(v) if isinstance(v, str) else 16 for v in payload.values()) + 64
    return 64


def iter_chunks(
    files: list[InputFile],
    limit: int,
    start: Position | None = None,
    *,
    max_records: int = 256,
    max_bytes: int = 1 << 20,
    only: int | None = None,
) -> Iterator[Chunk]:
    """Chunks of raw records from ``start`` on, in file order (``only``: that file alone)."""
    start = start or Position(0, 0, 0)
    raws: list[Raw] = []
    size = 0
    end = start
    before = [0]
    for f in files:
        before.append(before[-1] + f.size)
    meter = Meter()
    indices = [only] if only is not None else range(start.file, len(files))
    for index in indices:
        if index < start.file or (index == start.file and start.offset == FILE_DONE):
            continue
        begin = start if index == start.file else None
        for raw in read_file(files[index], index, limit, begin, meter):
            raws.append(raw)
            size += _raw_size(raw)
            end = Position(index, raw.end, raw.line)
            if len(raws) >= max_records or size >= max_bytes:
                yield Chunk(raws, end, before[index] + meter.position())
                raws, size = [], 0
        if raws:
            yield Chunk(raws, end, before[index + 1])
            raws, size = [], 0
