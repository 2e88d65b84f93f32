"""MP4 / MOV / M4A: ``moov/udta/meta`` with an ``mdta`` key ``AIGC`` and its value in ``ilst``
(TC260-PG-20257A §6.1.1), written by our own box writer.

We do not shell out to ffmpeg: it drops the tag silently without ``-movflags use_metadata_tags``
and may re-interleave ``mdat``. Only ``moov`` is rebuilt; media data is copied byte for byte.
When ``moov`` precedes ``mdat`` its growth shifts the media, so every ``stco``/``co64`` chunk
offset is moved by the same amount. ``AIGC`` keys are removed from every ``meta`` (``moov/meta``
as ffmpeg writes it, ``moov/udta/meta``) so one label remains. The reader walks box headers only
and never reads ``mdat``. Essence: the payloads of all ``mdat`` boxes.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator

from hegui.errors import LabelError
from hegui.labeling.carriers.base import FoundLabel, found

NAME = "mp4"
_TOP = (b"ftyp", b"moov", b"wide", b"free", b"mdat", b"skip", b"pnot")
_CONTAINERS = (b"trak", b"mdia", b"minf", b"stbl")
_KEY = b"AIGC"


def sniff(data: bytes) -> bool:
    if len(data) < 12 or data[4:8] not in _TOP:
        return False
    size: int = struct.unpack_from(">I", data)[0]
    if data[4:8] == b"ftyp":
        return 8 <= size <= len(data)
    return size in (0, 1) or 8 <= size <= len(data)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    """Yield ``(type, box_start, payload_start, box_end)`` for the boxes in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, btype = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise LabelError(f"MP4 box at byte {pos} is truncated")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise LabelError(f"MP4 is truncated or corrupt: box {btype!r} at byte {pos}")
        yield btype, pos, pos + header, pos + size
        pos += size
    if pos != end and start == 0:
        raise LabelError(f"MP4 has {end - pos} trailing bytes that are not a box (truncated?)")


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


def _top(data: bytes) -> list[tuple[bytes, int, int, int]]:
    top = list(_boxes(data, 0, len(data)))
    if not any(t == b"moov" for t, *_ in top):
        raise LabelError("MP4 has no moov box (truncated or not a finished file)")
    return top


def _meta_children(data: bytes, p: int, end: int) -> int:
    """Offset of the first child box of a ``meta`` payload (ISO full box or QuickTime atom)."""
    return p if data[p + 4 : p + 8] == b"hdlr" else p + 4


def _mdta_entries(data: bytes, p: int, end: int) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """``(hdlr box, [(key name, ilst item payload)])`` of an ``mdta`` meta, else None."""
    hdlr, keys, items = b"", [], {}
    for t, s, ps, e in _boxes(data, _meta_children(data, p, end), end):
        if t == b"hdlr":
            if data[ps + 8 : ps + 12] != b"mdta":
                return None
            hdlr = data[s:e]
        elif t == b"keys":
            q = ps + 8
            while q + 8 <= e:
                (ksize,) = struct.unpack_from(">I", data, q)
                if ksize < 8 or q + ksize > e:
                    raise LabelError("corrupt MP4 keys box")
                keys.append(data[q + 8 : q + ksize])
                q += ksize
        elif t == b"ilst":
            for it, _is, ips, ie in _boxes(data, ps, e):
                items[struct.unpack(">I", it)[0]] = data[ips:ie]
    if not hdlr:
        return None
    return hdlr, [(k, items.get(i + 1, b"")) for i, k in enumerate(keys)]


def _mdta_meta(hdlr: bytes, entries: list[tuple[bytes, bytes]]) -> bytes:
    keys = b"".join(struct.pack(">I4s", 8 + len(k), b"mdta") + k for k, _ in entries)
    ilst = b"".join(_box(struct.pack(">I", i + 1), v) for i, (_, v) in enumerate(entries))
    payload = (
        b"\0\0\0\0" + hdlr + _box(b"keys", b"\0\0\0\0" + struct.pack(">I", len(entries)) + keys)
    )
    return _box(b"meta", payload + _box(b"ilst", ilst))


def _value_item(value: str) -> bytes:
    return _box(b"data", struct.pack(">II", 1, 0) + value.encode("utf-8"))


_HDLR = _box(b"hdlr", b"\0" * 8 + b"mdta" + b"\0" * 12 + b"\0")


def _strip_meta(data: bytes, s: int, p: int, e: int) -> bytes | None:
    """A ``meta`` box without AIGC keys; ``b""`` when nothing else is left; None when untouched."""
    parsed = _mdta_entries(data, p, e)
    if parsed is None or not any(k.upper() == _KEY for k, _ in parsed[1]):
        return None
    rest = [(k, v) for k, v in parsed[1] if k.upper() != _KEY]
    return _mdta_meta(parsed[0], rest) if rest else b""


def _new_moov(data: bytes, s: int, p: int, e: int, label_json: str) -> bytes:
    children: list[bytes] = []
    udta_children: list[bytes] = []
    target: tuple[bytes, list[tuple[bytes, bytes]]] | None = None
    for t, cs, cp, ce in _boxes(data, p, e):
        if t == b"udta":
            for ut, us, up, ue in _boxes(data, cp, ce):
                parsed = _mdta_entries(data, up, ue) if ut == b"meta" else None
                if parsed is not None and target is None:
                    target = (parsed[0], [(k, v) for k, v in parsed[1] if k.upper() != _KEY])
                    continue
                stripped = _strip_meta(data, us, up, ue) if ut == b"meta" else None
                udta_children.append(data[us:ue] if stripped is None else stripped)
            continue
        if t == b"meta":
            stripped = _strip_meta(data, cs, cp, ce)
            children.append(data[cs:ce] if stripped is None else stripped)
            continue
        children.append(data[cs:ce])
    hdlr, entries = target or (_HDLR, [])
    udta_children.append(_mdta_meta(hdlr, [*entries, (_KEY, _value_item(label_json))]))
    children.append(_box(b"udta", b"".join(udta_children)))
    return _box(b"moov", b"".join(children))


def _shift_offsets(moov: bytearray, delta: int) -> None:
    """Move every stco/co64 chunk offset in ``moov`` by ``delta`` (in place)."""

    snapshot = bytes(moov)

    def walk(start: int, end: int) -> None:
        for t, _s, p, e in _boxes(snapshot, start, end):
            if t in _CONTAINERS:
                walk(p, e)
            elif t in (b"stco", b"co64"):
                (n,) = struct.unpack_from(">I", moov, p + 4)
                fmt, width = (">I", 4) if t == b"stco" else (">Q", 8)
                for i in range(n):
                    at = p + 8 + i * width
                    (old,) = struct.unpack_from(fmt, moov, at)
                    if t == b"stco" and old + delta >= 1 << 32:
                        raise LabelError("MP4 chunk offset overflows 32 bits after labelling")
                    struct.pack_into(fmt, moov, at, old + delta)

    walk(8, len(moov))


def write(data: bytes, label_json: str) -> bytes:
    top = _top(data)
    out: list[bytes] = []
    moov_before_media = False
    new_moov = b""
    for t, s, p, e in top:
        if t == b"moov" and not new_moov:
            new_moov = _new_moov(data, s, p, e, label_json)
            moov_before_media = not any(t2 in (b"mdat", b"moof") and s2 < s for t2, s2, *_ in top)
            if moov_before_media and len(new_moov) != e - s:
                buf = bytearray(new_moov)
                _shift_offsets(buf, len(new_moov) - (e - s))
                new_moov = bytes(buf)
            out.append(new_moov)
        else:
            out.append(data[s:e])
    return b"".join(out)


def _read_meta(data: bytes, p: int, e: int, where: str) -> list[FoundLabel]:
    parsed = _mdta_entries(data, p, e)
    if parsed is None:
        return []
    out = []
    for k, item in parsed[1]:
        if b"AIGC" in k.upper():
            size = struct.unpack_from(">I", item)[0] if len(item) >= 16 else 0
            text = item[16:size].decode("utf-8", "replace") if item[4:8] == b"data" else ""
            out.append(found(text, f"mp4:{where}/meta:keys:{k.decode('latin-1')}", "mdta-key"))
    return out


def read(data: bytes) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    for t, _s, p, e in _top(data):
        if t != b"moov":
            continue
        for ct, _cs, cp, ce in _boxes(data, p, e):
            if ct == b"meta":
                out += _read_meta(data, cp, ce, "moov")
            elif ct == b"udta":
                for ut, _us, up, ue in _boxes(data, cp, ce):
                    if ut == b"meta":
                        out += _read_meta(data, up, ue, "moov/udta")
    return out


def content_digest(data: bytes) -> bytes:
    h = hashlib.sha256()
    for t, _s, p, e in _top(data):
        if t == b"mdat":
            h.update(memoryview(data)[p:e])
    return h.digest()
