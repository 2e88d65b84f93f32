"""OGG Vorbis and Opus: Vorbis comment ``AIGC={json}`` in the comment header (PG-202510A).

The comment header is the stream's second packet (``\\x03vorbis…`` or ``OpusTags…``); in Vorbis
the setup header follows it on the same pages. Those header pages are rebuilt, packed into the
*same number of pages*, so every later page keeps its sequence number and CRC and is copied as
one span. When the new comment cannot fit that many pages (a header page already full), the
file is refused rather than renumbered. Page CRCs use the Ogg polynomial (0x04C11DB7, not
reflected), computed with ``zlib`` on bit-reversed bytes. Essence: the audio packets' bytes.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import vorbis
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "ogg"
_REVERSED = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))
Page = tuple[int, int, bytes, int, int]  # (start, end, lacing, serial, flags)


def sniff(src: Source) -> bool:
    return src.startswith(b"OggS")


def crc(page: bytes) -> int:
    """Ogg page checksum of ``page`` (its CRC field zeroed)."""
    raw = zlib.crc32(page.translate(_REVERSED), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{raw:032b}"[::-1], 2)


def _page(data: Any, pos: int) -> Page:
    if data[pos : pos + 4] != b"OggS" or pos + 27 > len(data):
        raise LabelError(f"corrupt OGG: no page at byte {pos}")
    nseg = data[pos + 26]
    lacing = bytes(data[pos + 27 : pos + 27 + nseg])
    end = pos + 27 + nseg + sum(lacing)
    if len(lacing) != nseg or end > len(data):
        raise LabelError(f"OGG is truncated: the page at byte {pos} runs past the end")
    serial = struct.unpack_from("<I", data, pos + 14)[0]
    return pos, end, lacing, serial, data[pos + 5]


def _headers(data: Any) -> tuple[int, str, list[Page], list[bytes]]:
    """``(serial, codec, header pages after the first, header packets after the first)``."""
    first = _page(data, 0)
    body = bytes(data[first[1] - sum(first[2]) : first[1]])
    codec = (
        "vorbis"
        if body.startswith(b"\x01vorbis")
        else "opus"
        if body.startswith(b"OpusHead")
        else ""
    )
    if not codec:
        raise LabelError("unsupported OGG stream: only Vorbis and Opus carry comments here")
    wanted = 2 if codec == "vorbis" else 1  # comment (+ setup) packets
    pages: list[Page] = []
    packets: list[bytes] = []
    current = b""
    pos = first[1]
    while len(packets) < wanted:
        page = _page(data, pos)
        pos = page[1]
        if page[3] != first[3]:
            raise LabelError("multiplexed OGG streams are not supported")
        pages.append(page)
        at = page[1] - sum(page[2])
        for lace in page[2]:
            current += bytes(data[at : at + lace])
            at += lace
            if lace < 255:
                packets.append(current)
                current = b""
        if len(pages) > 64:
            raise LabelError("corrupt OGG: header packets never end")
    if len(packets) != wanted or current:
        raise LabelError("corrupt OGG: a page mixes header and audio packets")
    return first[3], codec, pages, packets


def _comment_body(codec: str, packet: bytes) -> bytes:
    prefix = b"\x03vorbis" if codec == "vorbis" else b"OpusTags"
    if not packet.startswith(prefix):
        raise LabelError(f"corrupt OGG {codec}: the second packet is not the comment header")
    return packet[len(prefix) :]


def _laced(packet: bytes) -> list[tuple[int, bytes]]:
    out = [(255, packet[i : i + 255]) for i in range(0, len(packet) - len(packet) % 255, 255)]
    return [*out, (len(packet) % 255, packet[len(packet) - len(packet) % 255 :])]


def _pages(
    serial: int, segments: list[tuple[int, bytes]], count: int, first_seq: int
) -> list[bytes]:
    """``segments`` spread over exactly ``count`` header pages (granule 0)."""
    if not count <= len(segments) <= 255 * count:
        raise LabelError(
            "the OGG comment header cannot be rewritten in the same number of pages; "
            "re-encode or remux the file with room for comments"
        )
    out, done, continued = [], 0, False
    for i in range(count):
        take = min(255, len(segments) - done - (count - i - 1))
        chunk = segments[done : done + take]
        done += take
        head = struct.pack(
            "<4sBBqIII", b"OggS", 0, 1 if continued else 0, 0, serial, first_seq + i, 0
        )
        page = (
            head + bytes([len(chunk)]) + bytes(n for n, _ in chunk) + b"".join(b for _, b in chunk)
        )
        out.append(page[:22] + struct.pack("<I", crc(page)) + page[26:])
        continued = chunk[-1][0] == 255
    return out


def _check_end(src: Source) -> None:
    """The file must end with a whole page: a cut file ends inside one."""
    start = max(0, src.size - (1 << 17))
    tail = src.read(start, src.size - start)
    at = tail.rfind(b"OggS")
    while at >= 0:
        try:
            _start, end, *_rest = _page(tail, at)
        except LabelError:
            at = tail.rfind(b"OggS", 0, at)
            continue
        if end == len(tail):
            return
        break
    raise LabelError("OGG is truncated: the last page is cut short")


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    _check_end(src)
    serial, codec, pages, packets = _headers(data)
    prefix = b"\x03vorbis" if codec == "vorbis" else b"OpusTags"
    body = _comment_body(codec, packets[0])
    framing = b"\x01" if codec == "vorbis" else b""
    old = vorbis.parse(body, "OGG")
    new_packets = [
        prefix + vorbis.build(vorbis.with_label(old, label_json)) + framing,
        *packets[1:],
    ]
    segments = [seg for packet in new_packets for seg in _laced(packet)]
    seq = struct.unpack_from("<I", data, pages[0][0] + 18)[0]
    rebuilt = _pages(serial, segments, len(pages), seq)
    first_end = pages[0][0]
    return [Span(0, first_end), *rebuilt, Span(pages[-1][1], src.size)]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    _serial, codec, _header_pages, packets = _headers(data)
    comments = vorbis.parse(_comment_body(codec, packets[0]), "OGG")
    return [
        found(value, f"ogg:{codec}:comment:{key}", "vorbis-comment")
        for key, value in vorbis.labels(comments)
    ]


def content_digest(src: Source | bytes) -> bytes:
    """The packet bytes after the headers, without page framing: a remux that re-pages the
    same packets (``ffmpeg -c copy``) keeps it, an edit of the audio does not."""
    source = as_source(src)
    data = source.buf
    _serial, _codec, pages, _packets = _headers(data)
    ranges, pos = [], pages[-1][1]
    while pos < source.size:
        _start, end, lacing, _serial, _flags = _page(data, pos)
        ranges.append((end - sum(lacing), end))
        pos = end
    return source.digest(*ranges)
