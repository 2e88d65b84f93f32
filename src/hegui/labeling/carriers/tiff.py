"""TIFF: XMP in IFD0 tag 700 (``XMLPacket``) holding the TC260 XMP property (PG-20259A).

Nothing in the file moves: a new IFD0 (the old entries plus tag 700) and the packet are appended
at the end and the header is pointed at them, so every strip, tile and value offset stays true.
An older packet is blanked in place with spaces of the same length, so the old label does not
linger in dead bytes. Classic TIFF only (BigTIFF is refused). Essence: the bytes of the image
strips or tiles of IFD0 (a metadata editor may move them, never change them).
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "tiff"
_XMP = 700
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
Entry = tuple[int, int, int, bytes]  # (tag, type, count, 4-byte value field)


def sniff(src: Source) -> bool:
    return src.head(4) in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


def _order(data: Any) -> str:
    if bytes(data[2:4]) in (b"+\x00", b"\x00+"):
        raise LabelError("BigTIFF files are not supported (classic TIFF only)")
    return "<" if bytes(data[:2]) == b"II" else ">"


def _ifd0(data: Any) -> tuple[str, int, list[Entry], int]:
    """``(byte order, IFD0 offset, entries, next IFD offset)``."""
    e = _order(data)
    (at,) = struct.unpack_from(e + "I", data, 4)
    if at + 2 > len(data):
        raise LabelError("TIFF is truncated (IFD0 runs past the end)")
    (n,) = struct.unpack_from(e + "H", data, at)
    if at + 2 + 12 * n + 4 > len(data):
        raise LabelError("TIFF is truncated (IFD0 runs past the end)")
    entries = [
        (
            *struct.unpack_from(e + "HHI", data, at + 2 + 12 * i),
            bytes(data[at + 10 + 12 * i : at + 14 + 12 * i]),
        )
        for i in range(n)
    ]
    (nxt,) = struct.unpack_from(e + "I", data, at + 2 + 12 * n)
    return e, at, entries, nxt


def _value_span(e: str, entry: Entry, size: int) -> tuple[int, int] | None:
    """Where an entry's value lives in the file, when it is not inline."""
    _tag, typ, count, field = entry
    length = _SIZES.get(typ, 1) * count
    if length <= 4:
        return None
    (offset,) = struct.unpack(e + "I", field)
    if offset + length > size:
        raise LabelError("TIFF is truncated (a tag value runs past the end)")
    return offset, offset + length


def _packet(data: Any, e: str, entries: list[Entry]) -> tuple[str, tuple[int, int] | None] | None:
    for entry in entries:
        if entry[0] == _XMP:
            where = _value_span(e, entry, len(data))
            raw = bytes(data[where[0] : where[1]]) if where else entry[3][: entry[2]]
            return raw.decode("utf-8", "replace"), where
    return None


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    e, _at, entries, nxt = _ifd0(data)
    old = _packet(data, e, entries)
    packet = xmp.set_label(old[0] if old else None, label_json).encode("utf-8")
    end = src.size + (src.size & 1)
    kept = [x for x in entries if x[0] != _XMP]
    ifd_at = end
    xmp_at = ifd_at + 2 + 12 * (len(kept) + 1) + 4
    new_entry = (_XMP, 1, len(packet), struct.pack(e + "I", xmp_at))
    ordered = sorted([*kept, new_entry], key=lambda x: x[0])
    ifd = struct.pack(e + "H", len(ordered)) + b"".join(
        struct.pack(e + "HHI", tag, typ, count) + field for tag, typ, count, field in ordered
    )
    ifd += struct.pack(e + "I", nxt)
    header = bytes(data[:4]) + struct.pack(e + "I", ifd_at)
    pieces: list[Piece] = [header]
    blank = old[1] if old and old[1] else None
    if blank is not None:
        pieces += [Span(8, blank[0]), b" " * (blank[1] - blank[0]), Span(blank[1], src.size)]
    else:
        pieces.append(Span(8, src.size))
    if end != src.size:
        pieces.append(b"\0")
    return [*pieces, ifd, packet]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    e, _at, entries, _nxt = _ifd0(data)
    found_packet = _packet(data, e, entries)
    if found_packet is None:
        return []
    return [found(v, "tiff:IFD0:XMLPacket", form) for form, v in xmp.find_values(found_packet[0])]


def _array(data: Any, e: str, entry: Entry) -> list[int]:
    _tag, typ, count, field = entry
    fmt = {3: "H", 4: "I"}.get(typ)
    if fmt is None:
        raise LabelError("corrupt TIFF: strip or tile offsets are not SHORT or LONG")
    where = _value_span(e, entry, len(data))
    raw = bytes(data[where[0] : where[1]]) if where else field
    return list(struct.unpack_from(e + fmt * count, raw))


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    data = source.buf
    e, _at, entries, _nxt = _ifd0(data)
    h = hashlib.sha256()
    by_tag = {x[0]: x for x in entries}
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):
        if offsets_tag in by_tag and counts_tag in by_tag:
            offsets = _array(data, e, by_tag[offsets_tag])
            counts = _array(data, e, by_tag[counts_tag])
            for offset, count in zip(offsets, counts, strict=False):
                if offset + count > source.size:
                    raise LabelError("TIFF is truncated (image data runs past the end)")
                for block in source.chunks(offset, offset + count):
                    h.update(block)
    return h.digest()
