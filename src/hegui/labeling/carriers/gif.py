"""GIF: XMP application extension ``XMP DataXMP`` holding the TC260 XMP property (PG-20259A).

The XMP specification's GIF layout: the packet is stored raw after the application identifier
and closed by a 258-byte "magic trailer" (``01 FF FE … 01 00`` then the terminator), so that a
decoder walking sub-blocks skips it. It is placed right after the global colour table; a GIF87a
header becomes GIF89a (extensions need it). Every other block is copied as a span.
Essence: every block except application and comment extensions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "gif"
_XMP_ID = b"XMP DataXMP"
_TRAILER = bytes([1, *range(255, -1, -1), 0])  # 01 FF FE … 01 00 00


def sniff(src: Source) -> bool:
    return src.head(6) in (b"GIF87a", b"GIF89a")


def _sub_blocks_end(data: Any, pos: int) -> int:
    """Position just after the terminator of the sub-block chain starting at ``pos``."""
    while True:
        if pos >= len(data):
            raise LabelError("GIF is truncated inside a data block")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def _blocks(data: Any) -> tuple[int, Iterator[tuple[str, int, int]]]:
    """``(end of the header and colour table, iterator of (kind, start, end))``."""
    if len(data) < 13:
        raise LabelError("GIF is truncated (no logical screen descriptor)")
    flags = data[10]
    start = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)

    def walk() -> Iterator[tuple[str, int, int]]:
        pos = start
        while True:
            if pos >= len(data):
                raise LabelError("GIF is truncated (no trailer)")
            kind = data[pos]
            if kind == 0x3B:
                yield "trailer", pos, pos + 1
                return
            if kind == 0x21 and pos + 1 < len(data):
                label = data[pos + 1]
                if label == 0xFF and bytes(data[pos + 2 : pos + 14]) == b"\x0b" + _XMP_ID:
                    name, end = "xmp", _xmp_end(data, pos)
                else:
                    name = {0xFF: "application", 0xFE: "comment"}.get(label, "extension")
                    end = _sub_blocks_end(data, pos + 2)
            elif kind == 0x2C and pos + 10 <= len(data):
                local = data[pos + 9]
                body = pos + 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
                name, end = "image", _sub_blocks_end(data, body + 1)
            else:
                raise LabelError(f"corrupt or truncated GIF: block {kind:#04x} at byte {pos}")
            yield name, pos, end
            pos = end

    return start, walk()


def _xmp_end(data: Any, pos: int) -> int:
    """End of an XMP extension: the raw packet, then the magic trailer."""
    at = data.find(_TRAILER, pos + 14)
    if at < 0:
        return _sub_blocks_end(data, pos + 14)  # not the XMP layout: treat as plain sub-blocks
    return int(at + len(_TRAILER))


def _packet(data: Any, start: int, end: int) -> str:
    raw = bytes(data[start + 14 : end])
    if raw.endswith(_TRAILER):
        raw = raw[: -len(_TRAILER)]
    return raw.decode("utf-8", "replace")


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    head_end, blocks = _blocks(data)
    packet: str | None = None
    kept: list[Piece] = []
    for kind, start, end in blocks:
        if kind == "xmp":
            packet = packet if packet is not None else _packet(data, start, end)
            continue
        kept.append(Span(start, end))
    new = xmp.set_label(packet, label_json).encode("utf-8")
    if _TRAILER[:3] in new:
        raise LabelError("XMP packet contains the GIF magic-trailer bytes")
    extension = b"\x21\xff\x0b" + _XMP_ID + new + _TRAILER
    return [b"GIF89a", Span(6, head_end), extension, *kept]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    out: list[FoundLabel] = []
    for kind, start, end in _blocks(data)[1]:
        if kind == "xmp":
            for form, value in xmp.find_values(_packet(data, start, end)):
                out.append(found(value, "gif:ApplicationExtension:XMP", form))
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    h = hashlib.sha256()
    head_end, blocks = _blocks(source.buf)
    h.update(bytes(source.buf[6:head_end]))
    for kind, start, end in blocks:
        if kind not in ("xmp", "application", "comment"):
            for block in source.chunks(start, end):
                h.update(block)
    return h.digest()
