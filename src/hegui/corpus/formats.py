"""Reading one file of each format as raw records: JSONL, CSV/TSV, Parquet, JSON arrays and
plain-text documents; gzip or zstd; UTF-8 or GB18030.

These readers run in the one parent process that feeds every local worker (or in Ray read
tasks), so they do as little as possible: split lines and rows, and leave the parsing and
decoding of JSONL lines and all checking to the workers (:mod:`hegui.corpus.analyze`). Nothing
is dropped here without a trace: a line over the size limit, an undecodable line or a short CSV
row becomes a :class:`Raw` with a ``problem`` that the scan reports with its file and line.
Every record carries the position *after* it (decompressed byte offset, or row number for
Parquet), so an interrupted scan resumes exactly where its last checkpoint stopped.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, NamedTuple, cast

__all__ = [
    "FILE_DONE",
    "FORMATS",
    "READERS",
    "READ_ERRORS",
    "InputFile",
    "Meter",
    "Position",
    "Raw",
    "decode",
]

FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".txt": "text",
    ".md": "text",
}
_BLOCK = 1 << 20
_JSON_ARRAY_MAX = 64 << 20
_BOM = b"\xef\xbb\xbf"
FILE_DONE = -1  # Raw.end of the record that ends a broken file: resume after this file


@dataclass(frozen=True, slots=True)
class InputFile:
    """One file to scan; ``source`` is set when the path was given as ``SOURCE=PATH``."""

    path: str
    format: str
    compression: str | None
    size: int
    mtime_ns: int
    source: str | None = None

    def fingerprint(self) -> list[Any]:
        return [self.path, self.size, self.mtime_ns, self.source]


class Position(NamedTuple):
    """Where reading resumes: file index, offset after the last record, line or row number."""

    file: int
    offset: int
    line: int


class Raw(NamedTuple):
    """One record as read: payload is JSONL bytes, a row dict or a document string."""

    file: int
    line: int
    end: int
    payload: bytes | dict[str, Any] | str | None
    encoding: str | None = None
    problem: tuple[str, str] | None = None  # (kind, message): too_long, encoding, malformed, …


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8, else GB18030 (the encoding of JADE-DB v3 and many Chinese exports); raises
    :class:`UnicodeDecodeError` when neither fits."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            raise UnicodeDecodeError(
                "utf-8/gb18030", data, 0, len(data), "neither UTF-8 nor GB18030"
            ) from None


class Meter:
    """How far into the current file reading has got, in bytes on disk (for progress)."""

    def __init__(self) -> None:
        self.fh: IO[bytes] | None = None

    def position(self) -> int:
        try:
            return self.fh.tell() if self.fh is not None else 0
        except (OSError, ValueError):  # closed, or not seekable
            return 0


@contextmanager
def _open(f: InputFile, meter: Meter | None = None) -> Iterator[IO[bytes]]:
    with open(f.path, "rb") as raw:
        if meter is not None:
            meter.fh = raw
        if f.compression == "gzip":
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield cast(IO[bytes], stream)
        elif f.compression == "zstd":
            import zstandard

            with zstandard.ZstdDecompressor().stream_reader(raw, closefd=False) as zstream:
                yield cast(IO[bytes], zstream)
        else:
            yield raw


def _skip(stream: IO[bytes], offset: int) -> None:
    """Move a (possibly decompressing) stream forward to ``offset``."""
    if offset <= 0:
        return
    try:
        stream.seek(offset)
    except (OSError, io.UnsupportedOperation):
        left = offset
        while left > 0:
            got = stream.read(min(left, _BLOCK))
            if not got:
                break
            left -= len(got)


def _lines(stream: IO[bytes], offset: int, limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(offset after the line, line or None when longer than ``limit``, size) per line."""
    pending: list[bytes] = []
    pending_size = 0
    skipping = False
    pos = offset
    # read1 hands back what is decompressed so far, so a truncated gzip still yields the lines
    # before the break instead of losing the whole last block with the EOFError.
    read = getattr(stream, "read1", stream.read)
    while block := read(_BLOCK):
        parts = block.split(b"\n")
        for part in parts[:-1]:
            size = pending_size + len(part) + 1
            pos += size
            if skipping or size > limit:
                yield pos, None, size
            elif pending:
                pending.append(part)
                yield pos, b"".join(pending), size
            else:
                yield pos, part, size
            pending.clear()
            pending_size = 0
            skipping = False
        tail = parts[-1]
        pending_size += len(tail)
        if not skipping:
            pending.append(tail)
            if pending_size > limit:
                pending.clear()
                skipping = True
    if pending_size:
        pos += pending_size
        too_long = skipping or pending_size > limit
        yield pos, None if too_long else b"".join(pending), pending_size


def _too_long(size: int, limit: int) -> tuple[str, str]:
    return "too_long", f"record is {size:,} bytes, over the {limit:,}-byte limit (--max-record-mb)"


def _read_jsonl(
    f: InputFile, index: int, start: Position, limit: int, meter: Meter | None
) -> Iterator[Raw]:
    with _open(f, meter) as stream:
        _skip(stream, start.offset)
        line = start.line
        for end, data, size in _lines(stream, start.offset, limit):
            line += 1
            if data is None:
                yield Raw(index, line, end, None, problem=_too_long(size, limit))
                continue
            if line == 1 and data.startswith(_BOM):
                data = data[3:]
            if data.strip():
                yield Raw(index, line, end, data)


def _read_csv(
    f: InputFile, index: int, start: Position, limit: int, meter: Meter | None
) -> Iterator[Raw]:
    """CSV/TSV rows as dicts keyed by the header; lines are decoded one by one (UTF-8/GB18030)."""
    csv.field_size_limit(max(limit, 1 << 20))
    delimiter = "\t" if f.format == "tsv" else ","
    problems: list[Raw] = []
    state: dict[str, Any] = {"end": 0, "line": 0, "encoding": "utf-8"}

    def text_lines(stream: IO[bytes], offset: int, first_line: int) -> Iterator[str]:
        line = first_line
        for end, data, size in _lines(stream, offset, limit):
            line += 1
            state["end"], state["line"] = end, line
            if data is None:
                problems.append(Raw(index, line, end, None, problem=_too_long(size, limit)))
                yield "\n"
                continue
            if line == 1 and data.startswith(_BOM):
                data = data[3:]
            try:
                text, encoding = decode(data)
            except UnicodeDecodeError:
                problems.append(
                    Raw(
                        index,
                        line,
                        end,
                        None,
                        problem=("encoding", "line is neither UTF-8 nor GB18030"),
                    )
                )
                yield "\n"
                continue
            if encoding != "utf-8":
                state["encoding"] = encoding
            yield text + "\n"

    with _open(f) as head_stream:
        header_rows = csv.reader(text_lines(head_stream, 0, 0), delimiter=delimiter)
        header = next(header_rows, None)
        header_end, header_line = state["end"], state["line"]
    problems.clear()
    if header is None:
        return
    header = [h.strip() for h in header]
    offset, line = (start.offset, start.line) if start.offset else (header_end, header_line)
    with _open(f, meter) as stream:
        _skip(stream, offset)
        for row in csv.reader(text_lines(stream, offset, line), delimiter=delimiter):
            yield from problems
            problems.clear()
            encoding = state["encoding"]
            state["encoding"] = "utf-8"
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                message = f"row has {len(row)} fields, the header has {len(header)}"
                yield Raw(index, state["line"], state["end"], None, problem=("malformed", message))
                continue
            yield Raw(
                index, state["line"], state["end"], dict(zip(header, row, strict=True)), encoding
            )
        yield from problems


def _read_parquet(
    f: InputFile, index: int, start: Position, limit: int, meter: Meter | None
) -> Iterator[Raw]:
    import pyarrow.parquet as pq

    with pq.ParquetFile(f.path) as pf:
        row = 0
        for group in range(pf.num_row_groups):
            rows = pf.metadata.row_group(group).num_rows
            if row + rows <= start.offset:
                row += rows
                continue
            for batch in pf.iter_batches(batch_size=1024, row_groups=[group]):
                for record in batch.to_pylist():
                    row += 1
                    if row > start.offset:
                        yield Raw(index, row, row, record)


def _read_json_array(
    f: InputFile, index: int, start: Position, limit: int, meter: Meter | None
) -> Iterator[Raw]:
    if f.size > _JSON_ARRAY_MAX:
        message = f"JSON file is {f.size:,} bytes; convert arrays over {_JSON_ARRAY_MAX:,} to JSONL"
        yield Raw(index, 1, 1, None, problem=("too_long", message))
        return
    with _open(f) as stream:
        data = stream.read(_JSON_ARRAY_MAX + 1)
    try:
        text, encoding = decode(data.removeprefix(_BOM))
        items = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        yield Raw(index, 1, 1, None, problem=("malformed", f"not a JSON array: {exc}"))
        return
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        yield Raw(
            index, 1, 1, None, problem=("malformed", "JSON file must hold an array of objects")
        )
        return
    for number, item in enumerate(items, start=1):
        if number <= start.offset:
            continue
        if isinstance(item, dict):
            yield Raw(index, number, number, item, encoding)
        else:
            yield Raw(
                index,
                number,
                number,
                None,
                problem=("malformed", f"item {number} is not an object"),
            )


def _read_text(
    f: InputFile, index: int, start: Position, limit: int, meter: Meter | None
) -> Iterator[Raw]:
    """A plain-text document is one record; its id is the file path."""
    if start.offset:
        return
    with _open(f, meter) as stream:
        data = stream.read(limit + 1)
        size = len(data)
        if size > limit:
            while chunk := stream.read(_BLOCK):
                size += len(chunk)
            yield Raw(index, 1, 1, None, problem=_too_long(size, limit))
            return
    try:
        text, encoding = decode(data.removeprefix(_BOM))
    except UnicodeDecodeError:
        yield Raw(index, 1, 1, None, problem=("encoding", "file is neither UTF-8 nor GB18030"))
        return
    if text.strip():
        yield Raw(index, 1, 1, {"id": f.path, "text": text}, encoding)


try:
    from zstandard import ZstdError as _ZstdError
except ImportError:  # pragma: no cover - zstandard is a dependency
    _ZstdError = OSError  # type: ignore[assignment,misc]

# What a broken file raises while being read (truncated gzip, bad zstd frame, bad Parquet).
READ_ERRORS: tuple[type[Exception], ...] = (OSError, EOFError, ValueError, csv.Error, _ZstdError)

READERS = {
    "jsonl": _read_jsonl,
    "csv": _read_csv,
    "tsv": _read_csv,
    "parquet": _read_parquet,
    "json": _read_json_array,
    "text": _read_text,
}
