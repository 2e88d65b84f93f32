"""PNG: iTXt ``XML:com.adobe.xmp`` holding the TC260 XMP property (TC260-PG-20259A).

Written losslessly: chunks are spliced, pixels (IDAT) are never decoded. An existing XMP packet is
updated in place; ``tEXt``/``zTXt``/``iTXt`` chunks whose keyword contains ``AIGC`` (the Doubao
form, PG-20259A Annex B) are removed so that exactly one label remains. Read also accepts those
text chunks. Chunks are copied as spans of the source. Essence for the integrity value: every
chunk except the text chunks, ``eXIf`` and ``tIME``, so another tool's metadata edit is not
read as tampering with the picture.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "png"
_SIG = b"\x89PNG\r\n\x1a\n"
_XMP_KEY = b"XML:com.adobe.xmp"
_TEXT_TYPES = (b"tEXt", b"zTXt", b"iTXt")
_MAX_INFLATE = 16 * 1024 * 1024
_METADATA = (*_TEXT_TYPES, b"eXIf", b"tIME")


def sniff(src: Source) -> bool:
    return src.startswith(_SIG)


def _chunks(data: Any) -> Iterator[tuple[bytes, int, int, bool]]:
    """Yield ``(type, start, end, crc_ok)`` per chunk; ``start``/``end`` span the whole chunk."""
    if data[:8] != _SIG:
        raise LabelError("not a PNG file (bad signature)")
    pos, size = 8, len(data)
    while pos < size:
        if pos + 12 > size:
            raise LabelError(f"PNG is truncated at byte {pos}")
        (length,) = struct.unpack_from(">I", data, pos)
        ctype = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > size or not ctype.isalpha():
            raise LabelError(f"PNG is truncated or corrupt at byte {pos}")
        yield ctype, pos, end, _crc_ok(data, pos, end) if ctype in _TEXT_TYPES else True
        pos = end
        if ctype == b"IEND":
            return
    raise LabelError("PNG has no IEND chunk (truncated)")


def _crc_ok(data: Any, start: int, end: int) -> bool:
    stored: int = struct.unpack_from(">I", data, end - 4)[0]
    return zlib.crc32(data[start + 4 : end - 4]) == stored


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _inflate(blob: bytes) -> bytes:
    d = zlib.decompressobj()
    out = d.decompress(blob, _MAX_INFLATE)
    if d.unconsumed_tail:
        raise LabelError("compressed PNG text chunk is too large")
    return out


def _text_of(ctype: bytes, body: bytes) -> tuple[bytes, str]:
    """``(keyword, text)`` of a tEXt/zTXt/iTXt chunk body."""
    keyword, _, rest = body.partition(b"\0")
    if ctype == b"tEXt":
        return keyword, rest.decode("latin-1")
    if ctype == b"zTXt":
        return keyword, _inflate(rest[1:]).decode("latin-1")
    if len(rest) < 2:
        raise LabelError("corrupt PNG iTXt chunk")
    compressed, rest = rest[0], rest[2:]
    _lang, _, rest = rest.partition(b"\0")
    _translated, _, text = rest.partition(b"\0")
    return keyword, (_inflate(text) if compressed else text).decode("utf-8", "replace")


def _itxt(keyword: bytes, text: str) -> bytes:
    return _chunk(b"iTXt", keyword + b"\0\0\0\0\0" + text.encode("utf-8"))


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    parts: list[Piece] = []
    packet: str | None = None
    insert_at: int | None = None
    for ctype, start, end, _ok in _chunks(data):
        if ctype in _TEXT_TYPES:
            keyword, text = _text_of(ctype, data[start + 8 : end - 4])
            if keyword == _XMP_KEY and packet is None:
                packet, insert_at = text, len(parts)
                continue
            if b"AIGC" in keyword.upper():
                continue
        parts.append(Span(start, end))
        if ctype == b"IHDR" and insert_at is None:
            insert_at = -1  # marker: right after IHDR unless an XMP chunk is found later
    new = _itxt(_XMP_KEY, xmp.set_label(packet, label_json))
    index = 1 if insert_at in (None, -1) else insert_at
    parts.insert(index, new)
    return [_SIG, *parts]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    out: list[FoundLabel] = []
    for ctype, start, end, ok in _chunks(data):
        if ctype not in _TEXT_TYPES:
            continue
        keyword, text = _text_of(ctype, data[start + 8 : end - 4])
        name = keyword.decode("latin-1")
        if keyword == _XMP_KEY:
            for form, value in xmp.find_values(text):
                out.append(found(value, f"png:{ctype.decode()}:{name}", form, intact=ok))
        elif b"AIGC" in keyword.upper():
            out.append(found(text, f"png:{ctype.decode()}:{name}", "text-chunk", intact=ok))
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    h = hashlib.sha256()
    for ctype, start, end, _ok in _chunks(source.buf):
        if ctype not in _METADATA:
            for block in source.chunks(start + 4, end - 4):
                h.update(block)
    return h.digest()
