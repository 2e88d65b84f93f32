"""MP4 / MOV / M4A: ``moov/udta/meta`` with an ``mdta`` key ``AIGC`` and its value in ``ilst``
(TC260-PG-20257A §6.1.1), written by our own box writer.

We do not shell out to ffmpeg: it drops the tag silently without ``-movflags use_metadata_tags``
and may re-interleave ``mdat``. Only ``moov`` is rebuilt; every other box is copied byte for byte
(a splice plan, so the media never passes through memory). When ``moov`` grows, every absolute
offset that points past it moves by the same amount: ``stco``/``co64``, ``tfhd`` base offsets in
each ``moof`` of a fragmented file, ``tfra`` in ``mfra`` and a ``sidx`` in front of ``moov`` (see
:mod:`.bmff`). The written file is then re-parsed and every media offset checked against the
source (:func:`check_written`): a file that would not demux identically is never kept.
``AIGC`` keys are removed from every ``meta`` (``moov/meta`` as ffmpeg writes it,
``moov/udta/meta``) so one label remains. Essence: the payloads of all ``mdat`` boxes.
"""

from __future__ import annotations

import struct
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.carriers.bmff import Box, Shift, box, boxes, fix_offsets, media_map, sidx_patch
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "mp4"
_TOP = (b"ftyp", b"moov", b"wide", b"free", b"mdat", b"skip", b"pnot", b"styp", b"sidx", b"moof")
_KEY = b"AIGC"
#: ftyp brands of still-image HEIF/AVIF files, which the ``heif`` carrier handles.
IMAGE_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")


def sniff(src: Source) -> bool:
    data = src.buf
    if len(data) < 12 or data[4:8] not in _TOP:
        return False
    size: int = struct.unpack_from(">I", data)[0]
    if data[4:8] == b"ftyp":
        return 8 <= size <= len(data) and data[8:12] not in IMAGE_BRANDS
    return size in (0, 1) or 8 <= size <= len(data)


def _top(data: Any) -> list[Box]:
    top = list(boxes(data, 0, len(data), strict=True))
    if not any(t == b"moov" for t, *_ in top):
        raise LabelError("MP4 has no moov box (truncated or not a finished file)")
    return top


def _meta_children(data: Any, p: int, end: int) -> int:
    """Offset of the first child box of a ``meta`` payload (ISO full box or QuickTime atom)."""
    return p if data[p + 4 : p + 8] == b"hdlr" else p + 4


def _mdta_entries(data: Any, p: int, end: int) -> tuple[bytes, list[tuple[bytes, bytes]]] | None:
    """``(hdlr box, [(key name, ilst item payload)])`` of an ``mdta`` meta, else None."""
    hdlr, keys, items = b"", [], {}
    for t, s, ps, e in boxes(data, _meta_children(data, p, end), end):
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
            for it, _is, ips, ie in boxes(data, ps, e):
                items[struct.unpack(">I", it)[0]] = data[ips:ie]
    if not hdlr:
        return None
    return hdlr, [(k, items.get(i + 1, b"")) for i, k in enumerate(keys)]


def _mdta_meta(hdlr: bytes, entries: list[tuple[bytes, bytes]]) -> bytes:
    keys = b"".join(struct.pack(">I4s", 8 + len(k), b"mdta") + k for k, _ in entries)
    ilst = b"".join(box(struct.pack(">I", i + 1), v) for i, (_, v) in enumerate(entries))
    payload = (
        b"\0\0\0\0" + hdlr + box(b"keys", b"\0\0\0\0" + struct.pack(">I", len(entries)) + keys)
    )
    return box(b"meta", payload + box(b"ilst", ilst))


def _value_item(value: str) -> bytes:
    return box(b"data", struct.pack(">II", 1, 0) + value.encode("utf-8"))


_HDLR = box(b"hdlr", b"\0" * 8 + b"mdta" + b"\0" * 12 + b"\0")


def _strip_meta(data: Any, s: int, p: int, e: int) -> bytes | None:
    """A ``meta`` box without AIGC keys; ``b""`` when nothing else is left; None when untouched."""
    parsed = _mdta_entries(data, p, e)
    if parsed is None or not any(k.upper() == _KEY for k, _ in parsed[1]):
        return None
    rest = [(k, v) for k, v in parsed[1] if k.upper() != _KEY]
    return _mdta_meta(parsed[0], rest) if rest else b""


def _new_moov(data: Any, s: int, p: int, e: int, label_json: str) -> bytes:
    children: list[bytes] = []
    udta_children: list[bytes] = []
    target: tuple[bytes, list[tuple[bytes, bytes]]] | None = None
    for t, cs, cp, ce in boxes(data, p, e):
        if t == b"udta":
            for ut, us, up, ue in boxes(data, cp, ce):
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
    children.append(box(b"udta", b"".join(udta_children)))
    return box(b"moov", b"".join(children))


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    top = _top(data)
    moov = next(b for b in top if b[0] == b"moov")
    _t, ms, mp, me = moov
    new_moov = _new_moov(data, ms, mp, me, label_json)
    shift = Shift(ms, me, len(new_moov) - (me - ms))
    pieces: list[Piece] = []
    for t, s, p, e in top:
        if t == b"moov" and s == ms:
            buf = bytearray(new_moov)
            if shift.delta:
                fix_offsets(buf, 8, len(buf), shift)
            pieces.append(bytes(buf))
        elif shift.delta and t in (b"moof", b"mfra"):
            buf = bytearray(data[s:e])
            fix_offsets(buf, p - s, len(buf), shift)
            pieces.append(bytes(buf))
        elif shift.delta and t == b"sidx" and s < ms:
            buf = bytearray(data[s:e])
            sidx_patch(buf, e, shift)
            pieces.append(bytes(buf))
        else:
            pieces.append(Span(s, e))
    return pieces


def check_written(src: Source, out: Source) -> None:
    """Fail unless every media offset of ``out`` is the source's offset moved past the new moov,
    i.e. every sample, chunk and fragment still points at the same copied media bytes."""
    before_top, after_top = _top(src.buf), _top(out.buf)
    moov = next(b for b in before_top if b[0] == b"moov")
    new_moov = next(b for b in after_top if b[0] == b"moov")
    shift = Shift(moov[1], moov[3], (new_moov[3] - new_moov[1]) - (moov[3] - moov[1]))

    def kind(data: Any) -> Any:
        return lambda at: bytes(data[at + 4 : at + 8])

    before = media_map(src.buf, before_top, kind(src.buf))
    try:
        after = media_map(out.buf, after_top, kind(out.buf))
    except LabelError as exc:
        raise LabelError(
            f"MP4 would not demux identically after labelling ({exc}); nothing was written"
        ) from None
    expected = [shift(v) for v in before]
    if after != expected:
        bad = next(
            (i for i, (a, b) in enumerate(zip(after, expected, strict=False)) if a != b),
            min(len(after), len(expected)),
        )
        raise LabelError(
            f"MP4 would not demux identically after labelling (media offset #{bad} moved); "
            "nothing was written"
        )
    media = [(s, e) for t, s, _p, e in after_top if t == b"mdat"]
    for value in after:
        if (
            value >= 0
            and not any(s <= value < e for s, e in media)
            and kind(out.buf)(value) != b"moof"
        ):
            raise LabelError(f"MP4 media offset {value} points outside every mdat after labelling")


def _read_meta(data: Any, p: int, e: int, where: str) -> list[FoundLabel]:
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


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    out: list[FoundLabel] = []
    for t, _s, p, e in _top(data):
        if t != b"moov":
            continue
        for ct, _cs, cp, ce in boxes(data, p, e):
            if ct == b"meta":
                out += _read_meta(data, cp, ce, "moov")
            elif ct == b"udta":
                for ut, _us, up, ue in boxes(data, cp, ce):
                    if ut == b"meta":
                        out += _read_meta(data, up, ue, "moov/udta")
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    return source.digest(*[(p, e) for t, _s, p, e in _top(source.buf) if t == b"mdat"])
