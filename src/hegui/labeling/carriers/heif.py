"""HEIF / HEIC / AVIF: an XMP item (``mime`` ``application/rdf+xml``) holding the TC260 XMP
property (PG-20259A), linked to the primary image by a ``cdsc`` reference, as ExifTool and
libheif write it.

Only the ``meta`` box is rebuilt (``iinf``, ``iloc``, ``iref``); the packet goes into a new
``mdat`` at the end of the file. Every ``iloc`` file offset that points past ``meta`` moves by its
growth, and the written file is checked item by item: every image item must read exactly the
same bytes as before. A relabel points the existing XMP item at the new packet and blanks the
old one in place. Essence: the data of every item except XMP and Exif.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field, replace
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.carriers.bmff import box, boxes
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "heif"
BRANDS = (b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")
_XMP_TYPE = b"application/rdf+xml"


def sniff(src: Source) -> bool:
    return src.startswith(b"ftyp", 4) and src.head(12)[8:12] in BRANDS


@dataclass(slots=True)
class Item:
    item_id: int
    method: int = 0
    reference: int = 0
    base: int = 0
    extents: list[tuple[int, int, int]] = field(default_factory=list)  # (index, offset, length)


@dataclass(slots=True)
class Meta:
    start: int
    end: int
    children: list[tuple[bytes, int, int, int]]
    items: dict[int, Item]
    kinds: dict[int, tuple[bytes, bytes]]  # item id -> (item type, content type)
    iloc: tuple[int, int, int, int, int]  # version, offset, length, base, index sizes
    primary: int
    idat: int  # payload start of idat, or -1


def _meta(data: Any) -> Meta:
    top = list(boxes(data, 0, len(data), strict=True))
    meta = next((b for b in top if b[0] == b"meta"), None)
    if meta is None:
        raise LabelError("HEIF has no meta box (truncated or not a still image)")
    _t, ms, mp, me = meta
    children = list(boxes(data, mp + 4, me))
    out = Meta(ms, me, children, {}, {}, (0, 4, 4, 0, 0), 0, -1)
    for t, _s, p, e in children:
        if t == b"iloc":
            _read_iloc(data, p, e, out)
        elif t == b"iinf":
            _read_iinf(data, p, e, out)
        elif t == b"pitm":
            out.primary = struct.unpack_from(">H" if data[p] == 0 else ">I", data, p + 4)[0]
        elif t == b"idat":
            out.idat = p
    return out


def _uint(data: Any, pos: int, size: int) -> tuple[int, int]:
    return (int.from_bytes(data[pos : pos + size], "big") if size else 0), pos + size


def _read_iloc(data: Any, p: int, e: int, meta: Meta) -> None:
    version = data[p]
    sizes = data[p + 4] << 8 | data[p + 5]
    off, length, base = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index = sizes & 15 if version in (1, 2) else 0
    meta.iloc = (version, off, length, base, index)
    pos = p + 6
    count, pos = _uint(data, pos, 2 if version < 2 else 4)
    for _ in range(count):
        item_id, pos = _uint(data, pos, 2 if version < 2 else 4)
        method = 0
        if version in (1, 2):
            method, pos = _uint(data, pos, 2)
            method &= 15
        reference, pos = _uint(data, pos, 2)
        base_offset, pos = _uint(data, pos, base)
        n, pos = _uint(data, pos, 2)
        extents = []
        for _ in range(n):
            idx, pos = _uint(data, pos, index)
            ext_off, pos = _uint(data, pos, off)
            ext_len, pos = _uint(data, pos, length)
            extents.append((idx, ext_off, ext_len))
        if pos > e:
            raise LabelError("corrupt HEIF iloc box")
        meta.items[item_id] = Item(item_id, method, reference, base_offset, extents)


def _read_iinf(data: Any, p: int, e: int, meta: Meta) -> None:
    version = data[p]
    first = p + (6 if version == 0 else 8)
    for t, _s, ip, ie in boxes(data, first, e):
        if t != b"infe" or data[ip] < 2:
            continue
        wide = data[ip] >= 3
        item_id = struct.unpack_from(">I" if wide else ">H", data, ip + 4)[0]
        at = ip + 4 + (4 if wide else 2) + 2
        kind = bytes(data[at : at + 4])
        rest = bytes(data[at + 4 : ie])
        _name, _, rest = rest.partition(b"\0")
        content = rest.partition(b"\0")[0] if kind == b"mime" else b""
        meta.kinds[item_id] = (kind, content)


def _xmp_item(meta: Meta) -> int | None:
    return next((i for i, (k, c) in meta.kinds.items() if k == b"mime" and c == _XMP_TYPE), None)


def _item_ranges(meta: Meta, item: Item) -> list[tuple[int, int]]:
    base = meta.idat if item.method == 1 else 0
    if item.method == 1 and meta.idat < 0:
        raise LabelError("corrupt HEIF: an item lives in idat but there is none")
    if item.method not in (0, 1):
        raise LabelError("HEIF items built from other items are not supported")
    return [(base + item.base + o, base + item.base + o + n) for _i, o, n in item.extents]


def _iloc(meta: Meta, items: list[Item]) -> bytes:
    version, off, length, base, index = meta.iloc
    off, length = max(off, 4), max(length, 4)
    width = 2 if version < 2 else 4
    out = bytearray([version, 0, 0, 0, off << 4 | length, base << 4 | index])
    out += len(items).to_bytes(width, "big")
    for item in items:
        out += item.item_id.to_bytes(width, "big")
        if version in (1, 2):
            out += item.method.to_bytes(2, "big")
        out += item.reference.to_bytes(2, "big") + item.base.to_bytes(base, "big")
        out += len(item.extents).to_bytes(2, "big")
        for idx, ext_off, ext_len in item.extents:
            out += (
                idx.to_bytes(index, "big")
                + ext_off.to_bytes(off, "big")
                + ext_len.to_bytes(length, "big")
            )
    return box(b"iloc", bytes(out))


def _moved(meta: Meta, item: Item, delta: int) -> Item:
    """``item`` with its file offsets past ``meta`` moved by ``delta``."""
    if item.method != 0 or delta == 0:
        return item
    if item.base:
        return replace(item, base=item.base + delta) if item.base >= meta.end else item
    extents = [(i, o + delta if o >= meta.end else o, n) for i, o, n in item.extents]
    return replace(item, extents=extents)


def _new_meta(
    data: Any, meta: Meta, xmp_id: int, new_item: bool, delta: int, at: int, size: int
) -> bytes:
    items = [_moved(meta, item, delta) for item in meta.items.values() if item.item_id != xmp_id]
    items.append(Item(xmp_id, 0, 0, 0, [(0, at, size)]))
    parts: list[bytes] = []
    has_iref = any(t == b"iref" for t, *_ in meta.children)
    for t, s, p, e in meta.children:
        if t == b"iloc":
            parts.append(_iloc(meta, items))
        elif t == b"iinf" and new_item:
            parts.append(_iinf_with(data, p, e, xmp_id))
        elif t == b"iref" and new_item:
            parts.append(_iref_with(data, p, e, xmp_id, meta.primary))
        else:
            parts.append(bytes(data[s:e]))
    if new_item and not has_iref:
        parts.append(box(b"iref", b"\0\0\0\0" + _cdsc(xmp_id, meta.primary, 2)))
    return box(b"meta", bytes(data[meta.start + 8 : meta.start + 12]) + b"".join(parts))


def _iinf_with(data: Any, p: int, e: int, xmp_id: int) -> bytes:
    version = data[p]
    width = 2 if version == 0 else 4
    count = int.from_bytes(data[p + 4 : p + 4 + width], "big") + 1
    entry = box(
        b"infe", bytes([2, 0, 0, 0]) + xmp_id.to_bytes(2, "big") + b"\0\0mime\0" + _XMP_TYPE + b"\0"
    )
    head = bytes(data[p : p + 4]) + count.to_bytes(width, "big")
    return box(b"iinf", head + bytes(data[p + 4 + width : e]) + entry)


def _cdsc(from_id: int, to_id: int, width: int) -> bytes:
    return box(
        b"cdsc",
        from_id.to_bytes(width, "big") + (1).to_bytes(2, "big") + to_id.to_bytes(width, "big"),
    )


def _iref_with(data: Any, p: int, e: int, xmp_id: int, primary: int) -> bytes:
    width = 2 if data[p] == 0 else 4
    return box(b"iref", bytes(data[p:e]) + _cdsc(xmp_id, primary, width))


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    meta = _meta(data)
    if meta.iloc[1] > 4 or meta.iloc[2] > 4 or src.size >= 1 << 32:
        raise LabelError("HEIF files over 4 GiB are not supported")
    old_id = _xmp_item(meta)
    old_ranges = _item_ranges(meta, meta.items[old_id]) if old_id in meta.items else []
    if any(not 0 <= s <= e <= src.size for s, e in old_ranges):
        # a damaged extent once made this blank gigabytes "in place" (minutes, then an error)
        raise LabelError("corrupt HEIF: the XMP item's extents lie outside the file")
    old_packet = (
        b"".join(bytes(data[s:e]) for s, e in old_ranges).decode("utf-8", "replace")
        if old_ranges
        else None
    )
    packet = xmp.set_label(old_packet, label_json).encode("utf-8")
    new_item = old_id is None
    xmp_id = old_id if old_id is not None else max([*meta.items, *meta.kinds, 0]) + 1
    trial = _new_meta(data, meta, xmp_id, new_item, 0, 0, len(packet))
    delta = len(trial) - (meta.end - meta.start)
    at = src.size + delta + 8
    new_meta = _new_meta(data, meta, xmp_id, new_item, delta, at, len(packet))
    pieces: list[Piece] = [Span(0, meta.start), new_meta]
    pos = meta.end
    for s, e in sorted(old_ranges):
        if s >= meta.end:  # blank the old packet in place, wherever it was
            pieces += [Span(pos, s), b" " * (e - s)]
            pos = e
    pieces.append(Span(pos, src.size))
    return [*pieces, box(b"mdat", packet)]


def check_written(src: Source, out: Source) -> None:
    """Every item other than the XMP packet reads exactly the same bytes as in the source."""
    before, after = _meta(src.buf), _meta(out.buf)
    skip = {_xmp_item(before), _xmp_item(after)}
    for item_id, item in before.items.items():
        if item_id in skip:
            continue
        moved = after.items.get(item_id)
        if moved is None or _item_bytes(src, before, item) != _item_bytes(out, after, moved):
            raise LabelError(
                f"HEIF item {item_id} would not read the same after labelling; nothing was written"
            )


def _item_bytes(src: Source, meta: Meta, item: Item) -> bytes:
    return src.digest(*_item_ranges(meta, item))


def read(src: Source | bytes) -> list[FoundLabel]:
    source = as_source(src)
    meta = _meta(source.buf)
    item_id = _xmp_item(meta)
    if item_id is None or item_id not in meta.items:
        return []
    packet = b"".join(source.read(s, e - s) for s, e in _item_ranges(meta, meta.items[item_id]))
    return [
        found(v, "heif:meta:item:XMP", form)
        for form, v in xmp.find_values(packet.decode("utf-8", "replace"))
    ]


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    meta = _meta(source.buf)
    h = hashlib.sha256()
    for item_id in sorted(meta.items):
        kind = meta.kinds.get(item_id, (b"", b""))[0]
        if kind not in (b"mime", b"Exif"):
            h.update(_item_bytes(source, meta, meta.items[item_id]))
    return h.digest()
