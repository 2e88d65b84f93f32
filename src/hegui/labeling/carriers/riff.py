"""RIFF chunk lists, shared by WAV and WebP (little-endian sizes, chunks padded to even length).

Payloads are memoryviews into the original bytes and the output is built with a single join, so
labelling a large WAV copies its audio once.
"""

from __future__ import annotations

import struct

from hegui.errors import LabelError

__all__ = ["Chunk", "build", "chunks"]

Chunk = tuple[bytes, "bytes | memoryview"]


def chunks(data: bytes, form: bytes) -> list[tuple[bytes, memoryview]]:
    """``[(fourcc, payload)]`` of a ``RIFF`` file of type ``form``; raises on truncation."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != form:
        raise LabelError(f"not a RIFF/{form.decode().strip()} file")
    (riff_size,) = struct.unpack_from("<I", data, 4)
    if riff_size + 8 > len(data):
        raise LabelError(
            f"RIFF file is truncated: header says {riff_size + 8} bytes, file has {len(data)}"
        )
    view = memoryview(data)
    end, pos = riff_size + 8, 12
    out: list[tuple[bytes, memoryview]] = []
    while pos + 8 <= end:
        fourcc = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        if pos + 8 + size > end:
            raise LabelError(f"RIFF chunk {fourcc!r} at byte {pos} runs past the end of the file")
        out.append((fourcc, view[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return out


def build(form: bytes, parts: list[Chunk]) -> bytes:
    """A RIFF file from ``(fourcc, payload)`` pairs: sizes, pad bytes and the RIFF size filled in."""
    pieces: list[bytes | memoryview] = []
    total = 4
    for fourcc, payload in parts:
        n = len(payload)
        pieces += [fourcc + struct.pack("<I", n), payload]
        if n & 1:
            pieces.append(b"\0")
        total += 8 + n + (n & 1)
    return b"".join([b"RIFF", struct.pack("<I", total), form, *pieces])
