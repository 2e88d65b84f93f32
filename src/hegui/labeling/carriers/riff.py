"""RIFF chunk lists, shared by WAV, WebP and AVI (little-endian sizes, chunks padded to even length).

Chunks are located, never copied: :func:`chunks` gives each one's position, :func:`build` turns
``(fourcc, payload)`` pairs into a splice plan where an unchanged payload is a :class:`Span` of
the source, so labelling a large WAV or AVI never holds its audio or video in memory.
"""

from __future__ import annotations

import struct
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.source import Piece, Span

__all__ = ["Chunk", "build", "chunks", "payload"]

Chunk = tuple[bytes, int, int]  # (fourcc, payload start, payload size)


def chunks(data: Any, form: bytes, start: int = 12, end: int | None = None) -> list[Chunk]:
    """``[(fourcc, payload_start, size)]`` of a ``RIFF`` file of type ``form`` (or of the list
    ``data[start:end]``); raises on truncation."""
    if end is None:
        if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != form:
            raise LabelError(f"not a RIFF/{form.decode().strip()} file")
        (riff_size,) = struct.unpack_from("<I", data, 4)
        if riff_size + 8 > len(data):
            raise LabelError(
                f"RIFF file is truncated: header says {riff_size + 8} bytes, file has {len(data)}"
            )
        end = riff_size + 8
    pos = start
    out: list[Chunk] = []
    while pos + 8 <= end:
        fourcc = bytes(data[pos : pos + 4])
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if pos + 8 + size > end:
            raise LabelError(f"RIFF chunk {fourcc!r} at byte {pos} runs past the end of the file")
        out.append((fourcc, pos + 8, size))
        pos += 8 + size + (size & 1)
    return out


def payload(data: Any, chunk: Chunk) -> bytes:
    return bytes(data[chunk[1] : chunk[1] + chunk[2]])


def build(form: bytes, parts: list[tuple[bytes, bytes | Span]]) -> list[Piece]:
    """A RIFF file from ``(fourcc, payload)`` pairs: sizes, pad bytes and the RIFF size filled in."""
    pieces: list[Piece] = []
    total = 4
    for fourcc, body in parts:
        n = len(body)
        pieces += [fourcc + struct.pack("<I", n), body]
        if n & 1:
            pieces.append(b"\0")
        total += 8 + n + (n & 1)
    if total >= 1 << 32:
        raise LabelError("RIFF file would exceed 4 GiB")
    return [b"RIFF" + struct.pack("<I", total) + form, *pieces]
