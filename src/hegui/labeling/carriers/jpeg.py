"""JPEG: APP1 XMP packet with the TC260 property (TC260-PG-20259A), spliced without re-encoding.

Read also: EXIF ``UserComment`` holding ``{"AIGC":{…}}`` (PG-20259A Annex B form, seen from a
Tencent-family generator), EXIF ``ImageDescription`` containing ``AIGC`` (Tencent Cloud variant)
and a bare ``AIGC{…}`` APP segment. We *write* only XMP: it is the guide's carrier and one label
per file (GB 45438 6.1 c)) rules out a second copy in EXIF; an EXIF value that carries a label is
blanked in place (same length, the EXIF structure stays valid). Essence: every byte except APPn and
COM segments (tables, frame headers and entropy-coded data).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "jpeg"
_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\0"
_EXIF_HEADER = b"Exif\0\0"
_STANDALONE = {0x01, *range(0xD0, 0xD8)}
_MAX_SEGMENT = 65533


def sniff(src: Source) -> bool:
    return src.startswith(b"\xff\xd8\xff")


def _segments(data: Any) -> Iterator[tuple[int, int, int]]:
    """Yield ``(marker, start, end)`` for each segment up to and including SOS's header."""
    if data[:3] != b"\xff\xd8\xff":
        raise LabelError("not a JPEG file (no SOI marker)")
    pos, size = 2, len(data)
    while True:
        while pos < size and data[pos] == 0xFF and pos + 1 < size and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 2 > size or data[pos] != 0xFF:
            raise LabelError(f"JPEG is truncated or corrupt at byte {pos}")
        marker = data[pos + 1]
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker == 0xD9:
            raise LabelError("JPEG ends before its image data (no SOS)")
        if pos + 4 > size:
            raise LabelError(f"JPEG is truncated at byte {pos}")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > size:
            raise LabelError(f"JPEG is truncated or corrupt at byte {pos}")
        yield marker, pos, end
        if marker == 0xDA:
            if data.rfind(b"\xff\xd9") < end:
                raise LabelError("JPEG is truncated (no EOI marker after the image data)")
            return
        pos = end


def _payload(data: Any, start: int, end: int) -> bytes:
    return bytes(data[start + 4 : end])


def _exif_labels(tiff: bytes) -> Iterator[tuple[str, int, int]]:
    """``(tag name, value offset, value length)`` of EXIF text tags that mention AIGC."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return
    e = "<" if tiff[:2] == b"II" else ">"

    def entries(offset: int) -> Iterator[tuple[int, int, int, int]]:
        if offset + 2 > len(tiff):
            return
        (n,) = struct.unpack_from(e + "H", tiff, offset)
        for i in range(min(n, 512)):
            at = offset + 2 + 12 * i
            if at + 12 > len(tiff):
                return
            tag, typ, count, value = struct.unpack_from(e + "HHII", tiff, at)
            yield tag, typ, count, (at + 8 if count <= 4 else value)

    for tag, _typ, count, where in entries(struct.unpack_from(e + "I", tiff, 4)[0]):
        if tag == 0x010E and b"AIGC" in tiff[where : where + count]:
            yield "ImageDescription", where, count
        if tag == 0x8769:
            (exif_ifd,) = struct.unpack_from(e + "I", tiff, where)
            for tag2, _t, count2, where2 in entries(exif_ifd):
                if tag2 == 0x9286 and b"AIGC" in tiff[where2 : where2 + count2]:
                    yield "UserComment", where2, count2


def _decode_exif_text(name: str, value: bytes, big_endian: bool) -> str:
    if name == "UserComment":
        code, value = value[:8], value[8:]
        if code.startswith(b"UNICODE"):
            return value.decode("utf-16-be" if big_endian else "utf-16-le", "replace").rstrip("\0 ")
    return value.decode("utf-8", "replace").rstrip("\0 ")


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    out = bytearray(data[:2])
    packet: str | None = None
    insert_at: int | None = None
    last_app_header = len(out)
    sos_start = len(data)
    for marker, start, end in _segments(data):
        body = _payload(data, start, end)
        if marker == 0xE1 and body.startswith(_XMP_HEADER):
            if packet is None:
                packet = body[len(_XMP_HEADER) :].decode("utf-8", "replace")
                insert_at = len(out)
            continue
        if 0xE0 <= marker <= 0xEF and body.startswith(b"AIGC"):
            continue
        segment = bytearray(data[start:end])
        if marker == 0xE1 and body.startswith(_EXIF_HEADER):
            tiff = body[len(_EXIF_HEADER) :]
            for _name, where, count in _exif_labels(tiff):
                at = 4 + len(_EXIF_HEADER) + where
                segment[at : at + count] = b" " * count  # blank in place: offsets stay valid
        if marker == 0xDA:
            sos_start = start
            break
        out += segment
        if marker in (0xE0, 0xE1):
            last_app_header = len(out)
    new_packet = xmp.set_label(packet, label_json).encode("utf-8")
    body = _XMP_HEADER + new_packet
    if len(body) > _MAX_SEGMENT:
        raise LabelError(
            "XMP packet is too large for one JPEG APP1 segment (extended XMP is not supported)"
        )
    app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    at = insert_at if insert_at is not None else last_app_header
    return [bytes(out[:at]) + app1 + bytes(out[at:]), Span(sos_start, len(data))]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    out: list[FoundLabel] = []
    for marker, start, end in _segments(data):
        body = _payload(data, start, end)
        if marker == 0xE1 and body.startswith(_XMP_HEADER):
            packet = body[len(_XMP_HEADER) :].decode("utf-8", "replace")
            out += [found(v, "jpeg:APP1:XMP", form) for form, v in xmp.find_values(packet)]
        elif marker == 0xE1 and body.startswith(_EXIF_HEADER):
            tiff = body[len(_EXIF_HEADER) :]
            for name, where, count in _exif_labels(tiff):
                text = _decode_exif_text(name, tiff[where : where + count], tiff[:2] == b"MM")
                out.append(found(text, f"jpeg:APP1:Exif:{name}", f"exif-{name.lower()}"))
        elif 0xE0 <= marker <= 0xEF and body.startswith(b"AIGC"):
            out.append(
                found(body.decode("utf-8", "replace"), f"jpeg:APP{marker - 0xE0}", "app-segment")
            )
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    h = hashlib.sha256()
    for marker, start, end in _segments(source.buf):
        if marker == 0xDA:
            for block in source.chunks(start):
                h.update(block)
            break
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            h.update(source.buf[start:end])
    return h.digest()
