"""WebP: RIFF chunk ``XMP `` with the TC260 XMP property (TC260-PG-20259A).

A simple (VP8/VP8L-only) file is promoted to the extended format: a ``VP8X`` header is added with
the canvas size read from the bitstream and the XMP flag set. The image chunks are copied as is.
Essence: the image chunks only, not ``XMP ``, ``EXIF``, ``ICCP`` or ``VP8X`` (whose flags change),
so another tool's metadata edit does not read as tampering with the picture.
"""

from __future__ import annotations

import hashlib
import struct

from hegui.errors import LabelError
from hegui.labeling.carriers import riff, xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "webp"
_XMP_FLAG = 0x04
_ALPHA_FLAG = 0x10
_METADATA = (b"XMP ", b"EXIF", b"ICCP", b"VP8X")


def sniff(src: Source) -> bool:
    return src.startswith(b"RIFF") and src.startswith(b"WEBP", 8)


def _canvas(data: object, chunks: list[riff.Chunk]) -> tuple[int, int, int]:
    """``(width, height, flags)`` of a simple WebP from its VP8/VP8L bitstream header."""
    for chunk in chunks:
        fourcc, p = chunk[0], riff.payload(data, (chunk[0], chunk[1], min(chunk[2], 16)))
        if fourcc == b"VP8 " and len(p) >= 10 and p[3:6] == b"\x9d\x01\x2a":
            w, h = struct.unpack_from("<HH", p, 6)
            return w & 0x3FFF, h & 0x3FFF, 0
        if fourcc == b"VP8L" and len(p) >= 5 and p[0] == 0x2F:
            (bits,) = struct.unpack_from("<I", p, 1)
            alpha = _ALPHA_FLAG if (bits >> 28) & 1 else 0
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, alpha
    raise LabelError("WebP has no readable VP8/VP8L image chunk")


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    chunks = riff.chunks(data, b"WEBP")
    packet = next(
        (riff.payload(data, c).decode("utf-8", "replace") for c in chunks if c[0] == b"XMP "), None
    )
    image = [c for c in chunks if c[0] != b"XMP "]
    kept: list[tuple[bytes, bytes | Span]] = [(c, Span(p, p + n)) for c, p, n in image]
    if image and image[0][0] == b"VP8X":
        head = bytearray(riff.payload(data, image[0]))
        head[0] |= _XMP_FLAG
        kept[0] = (b"VP8X", bytes(head))
    else:
        w, h, flags = _canvas(data, image)
        vp8x = (
            bytes([flags | _XMP_FLAG, 0, 0, 0])
            + (w - 1).to_bytes(3, "little")
            + (h - 1).to_bytes(3, "little")
        )
        kept.insert(0, (b"VP8X", vp8x))
    kept.append((b"XMP ", xmp.set_label(packet, label_json).encode("utf-8")))
    return riff.build(b"WEBP", kept)


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    out: list[FoundLabel] = []
    for c in riff.chunks(data, b"WEBP"):
        if c[0] == b"XMP ":
            text = riff.payload(data, c).decode("utf-8", "replace")
            out += [found(v, "webp:RIFF:XMP", f) for f, v in xmp.find_values(text)]
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    h = hashlib.sha256()
    for c, p, n in riff.chunks(source.buf, b"WEBP"):
        if c not in _METADATA:
            h.update(c)
            for block in source.chunks(p, p + n):
                h.update(block)
    return h.digest()
