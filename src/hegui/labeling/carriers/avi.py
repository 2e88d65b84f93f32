"""AVI: ``LIST/INFO`` sub-chunk ``AIGC`` whose data is the label JSON (PG-20257A appendix).

Nothing in the file moves: the ``INFO`` list is rewritten where it stands when it fits there
(with the ``JUNK`` padding after it), else the old list becomes ``JUNK`` and the new one is
carved out of a ``JUNK`` chunk in front of ``movi`` (ffmpeg and most muxers reserve one), so the
``idx1`` and OpenDML index offsets stay true. A file without such room is refused rather than
re-laid. Essence: the ``movi`` list.
"""

from __future__ import annotations

import struct
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import riff
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "avi"
_ID = b"AIGC"


def sniff(src: Source) -> bool:
    return src.startswith(b"RIFF") and src.startswith(b"AVI ", 8)


def _top(data: Any) -> list[riff.Chunk]:
    return riff.chunks(data, b"AVI ")


def _list_type(data: Any, chunk: riff.Chunk) -> bytes:
    return bytes(data[chunk[1] : chunk[1] + 4]) if chunk[0] == b"LIST" and chunk[2] >= 4 else b""


def _info(data: Any, chunks: list[riff.Chunk]) -> int | None:
    return next((i for i, c in enumerate(chunks) if _list_type(data, c) == b"INFO"), None)


def _new_info(data: Any, old: riff.Chunk | None, label_json: str) -> bytes:
    parts: list[bytes] = []
    if old is not None:
        for c, p, n in riff.chunks(data, b"", old[1] + 4, old[1] + old[2]):
            if c.upper() != _ID:
                parts.append(
                    c + struct.pack("<I", n) + bytes(data[p : p + n]) + (b"\0" if n & 1 else b"")
                )
    value = label_json.encode("utf-8") + b"\0"
    parts.append(_ID + struct.pack("<I", len(value)) + value + (b"\0" if len(value) & 1 else b""))
    body = b"INFO" + b"".join(parts)
    return b"LIST" + struct.pack("<I", len(body)) + body


def _span(chunk: riff.Chunk) -> tuple[int, int]:
    """Whole-chunk byte range (header, payload and pad byte)."""
    return chunk[1] - 8, chunk[1] + chunk[2] + (chunk[2] & 1)


def _junk(size: int) -> bytes:
    return b"JUNK" + struct.pack("<I", size - 8) + bytes(size - 8)


def _room_after(data: Any, chunks: list[riff.Chunk], i: int) -> tuple[int, int]:
    """The range from chunk ``i`` to the end of the JUNK chunks right after it."""
    start, end = _span(chunks[i])
    for c in chunks[i + 1 :]:
        if c[0] != b"JUNK":
            break
        end = _span(c)[1]
    return start, end


def _fits(new: bytes, start: int, end: int) -> bool:
    return len(new) == end - start or end - start - len(new) >= 8


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    chunks = _top(data)
    movi = next((i for i, c in enumerate(chunks) if _list_type(data, c) == b"movi"), None)
    if movi is None:
        raise LabelError("corrupt AVI: no movi list")
    at = _info(data, chunks)
    new = _new_info(data, chunks[at] if at is not None else None, label_json)
    edits: list[tuple[int, int, bytes]] = []
    if at is not None and _fits(new, *_room_after(data, chunks, at)):
        start, end = _room_after(data, chunks, at)
        edits.append(
            (start, end, new + (_junk(end - start - len(new)) if end - start > len(new) else b""))
        )
    else:
        candidates = [
            i for i, c in enumerate(chunks[:movi]) if c[0] == b"JUNK" and _fits(new, *_span(c))
        ]
        if not candidates:
            raise LabelError(
                "AVI has no JUNK space before its movi list for the INFO label; "
                "remux it with ffmpeg, which reserves some"
            )
        start, end = _span(chunks[candidates[0]])
        edits.append(
            (start, end, new + (_junk(end - start - len(new)) if end - start > len(new) else b""))
        )
        if at is not None:
            old_start, _old_end = _span(chunks[at])
            edits.append(
                (old_start, old_start + 4, b"JUNK")
            )  # same size: the old list is now padding
    pieces: list[Piece] = []
    pos = 0
    for start, end, replacement in sorted(edits):
        pieces += [Span(pos, start), replacement]
        pos = end
    pieces.append(Span(pos, src.size))
    return [p for p in pieces if not (isinstance(p, Span) and len(p) == 0)]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    out: list[FoundLabel] = []
    for chunk in _top(data):
        if _list_type(data, chunk) != b"INFO":
            continue
        for c, p, n in riff.chunks(data, b"", chunk[1] + 4, chunk[1] + chunk[2]):
            if _ID in c.upper():
                value = bytes(data[p : p + n]).rstrip(b"\0").decode("utf-8", "replace")
                out.append(found(value, f"avi:LIST/INFO:{c.decode('latin-1')}", "riff-info"))
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    data = source.buf
    return source.digest(
        *[(p, p + n) for c, p, n in _top(data) if _list_type(data, (c, p, n)) == b"movi"]
    )
