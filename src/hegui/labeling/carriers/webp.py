"""WebP: RIFF chunk ``XMP `` with the TC260 XMP property (TC260-PG-20259A).

A simple (VP8/VP8L-only) file is promoted to the extended format: a ``VP8X`` header is added with
the canvas size read from the bitstream and the XMP flag set. The image chunks are copied as is.
Essence: every chunk except ``XMP `` and ``VP8X`` (whose flags change).
"""

from __future__ import annotations

import hashlib
import struct

from hegui.errors import LabelError
from hegui.labeling.carriers import riff, xmp
from hegui.labeling.carriers.base import FoundLabel, found

NAME = "webp"
_XMP_FLAG = 0x04
_ALPHA_FLAG = 0x10


def sniff(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _canvas(chunks: list[riff.Chunk]) -> tuple[int, int, int]:
    """``(width, height, flags)`` of a simple WebP from its VP8/VP8L bitstream header."""
    for fourcc, p in chunks:
        if fourcc == b"VP8 " and len(p) >= 10 and p[3:6] == b"\x9d\x01\x2a":
            w, h = struct.unpack_from("<HH", p, 6)
            return w & 0x3FFF, h & 0x3FFF, 0
        if fourcc == b"VP8L" and len(p) >= 5 and p[0] == 0x2F:
            (bits,) = struct.unpack_from("<I", p, 1)
            alpha = _ALPHA_FLAG if (bits >> 28) & 1 else 0
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, alpha
    raise LabelError("WebP has no readable VP8/VP8L image chunk")


def write(data: bytes, label_json: str) -> bytes:
    chunks = riff.chunks(data, b"WEBP")
    packet = next((bytes(p).decode("utf-8", "replace") for c, p in chunks if c == b"XMP "), None)
    kept: list[riff.Chunk] = [(c, p) for c, p in chunks if c != b"XMP "]
    if kept and kept[0][0] == b"VP8X":
        head = bytearray(kept[0][1])
        head[0] |= _XMP_FLAG
        kept[0] = (b"VP8X", bytes(head))
    else:
        w, h, flags = _canvas(kept)
        vp8x = (
            bytes([flags | _XMP_FLAG, 0, 0, 0])
            + (w - 1).to_bytes(3, "little")
            + (h - 1).to_bytes(3, "little")
        )
        kept.insert(0, (b"VP8X", vp8x))
    kept.append((b"XMP ", xmp.set_label(packet, label_json).encode("utf-8")))
    return riff.build(b"WEBP", kept)


def read(data: bytes) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    for c, p in riff.chunks(data, b"WEBP"):
        if c == b"XMP ":
            out += [
                found(v, "webp:RIFF:XMP", f)
                for f, v in xmp.find_values(bytes(p).decode("utf-8", "replace"))
            ]
    return out


def content_digest(data: bytes) -> bytes:
    h = hashlib.sha256()
    for c, p in riff.chunks(data, b"WEBP"):
        if c not in (b"XMP ", b"VP8X"):
            h.update(c)
            h.update(p)
    return h.digest()
