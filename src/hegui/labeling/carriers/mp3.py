"""MP3: ID3v2 ``TXXX`` frame with description ``AIGC`` (TC260-PG-202510A), written by hand.

mutagen is GPL, so the tag is built here. An existing ID3v2.3/2.4 tag keeps every other frame and
its version; ``TXXX:AIGC`` frames are replaced. Without a tag, an ID3v2.4 tag is prepended. Frames
are copied as they are (no re-encoding) and the tag ends in 1 KiB of padding, as every common
tagger writes it (ExifTool 12.57 does not see the frames of an unpadded v2.4 tag that is followed
directly by audio). The audio is a span of the source. Essence: the MPEG audio frames.
"""

from __future__ import annotations

import struct
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "mp3"
_DESC = b"AIGC"
_PADDING = 1024


def sniff(src: Source) -> bool:
    head = src.head(4096)
    if head.startswith(b"ID3"):
        return True
    # A bare MPEG audio stream: two consecutive valid frame headers, so that UTF-16 text
    # (BOM FF FE) or other bytes that happen to start with 0xFF are not taken for MP3.
    length = _frame_length(head[:4]) if len(head) >= 4 else 0
    second = head[length : length + 4]
    return length > 0 and len(second) == 4 and _frame_length(second) > 0


def _syncsafe(value: bytes) -> int:
    if any(b & 0x80 for b in value):
        raise LabelError("corrupt ID3 tag (size is not syncsafe)")
    return (value[0] << 21) | (value[1] << 14) | (value[2] << 7) | value[3]


def _to_syncsafe(n: int) -> bytes:
    if n >= 1 << 28:
        raise LabelError("ID3 tag would exceed 256 MB")
    return bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))


def _tag(data: Any) -> tuple[int, int, int, list[tuple[bytes, bytes, bytes]]]:
    """``(version, flags, tag_end, frames)``; frames are ``(id, flags, body)``. No tag: version 0."""
    if data[:3] != b"ID3":
        return 0, 0, 0, []
    if len(data) < 10:
        raise LabelError("ID3 tag is truncated")
    version, flags = data[3], data[5]
    size = _syncsafe(data[6:10])
    end = 10 + size + (10 if version == 4 and flags & 0x10 else 0)
    if end > len(data):
        raise LabelError("ID3 tag is truncated (its size runs past the end of the file)")
    data = data[:end]  # the tag itself is metadata; the audio after it is never read here
    if version not in (3, 4):
        raise LabelError(f"ID3v2.{version} tags are not supported (only 2.3 and 2.4)")
    if flags & 0x80:
        raise LabelError("unsynchronised ID3 tags are not supported")
    pos = 10
    if flags & 0x40:  # extended header: skipped on read, dropped on write
        ext = _syncsafe(data[10:14]) if version == 4 else struct.unpack_from(">I", data, 10)[0] + 4
        pos += ext
    frames: list[tuple[bytes, bytes, bytes]] = []
    limit = 10 + size
    while pos + 10 <= limit and data[pos] != 0:
        fid = data[pos : pos + 4]
        raw_size = data[pos + 4 : pos + 8]
        fsize = _syncsafe(raw_size) if version == 4 else struct.unpack(">I", raw_size)[0]
        if pos + 10 + fsize > limit or not fid.isalnum():
            raise LabelError(f"corrupt ID3 frame at byte {pos}")
        frames.append((fid, data[pos + 8 : pos + 10], data[pos + 10 : pos + 10 + fsize]))
        pos += 10 + fsize
    return version, flags, end, frames


_BITRATES = {
    (3, 3): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (3, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (3, 1): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 3): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _frame_length(h: bytes) -> int:
    """Length of the MPEG audio frame whose 4-byte header is ``h``, or 0 if it is not one."""
    if h[0] != 0xFF or h[1] & 0xE0 != 0xE0:
        return 0
    version, layer = (h[1] >> 3) & 3, (h[1] >> 1) & 3
    rate_i, br_i, pad = (h[2] >> 2) & 3, h[2] >> 4, (h[2] >> 1) & 1
    if version == 1 or layer == 0 or rate_i == 3 or br_i in (0, 15):
        return 0
    bitrate = (
        _BITRATES[(3 if version == 3 else 2, layer if version == 3 or layer == 3 else 2)][br_i]
        * 1000
    )
    rate = _RATES[version][rate_i]
    if layer == 3:  # Layer I
        return (12 * bitrate // rate + pad) * 4
    return (72 if layer == 1 and version != 3 else 144) * bitrate // rate + pad


def _check_audio(src: Source, start: int) -> None:
    """Walk the MPEG frames after the tag; a last frame cut short means the file is truncated."""
    pos, size = start, src.size
    window, at = b"", start
    while pos + 4 <= size:
        if pos + 4 > at + len(window):
            window, at = src.read(pos, 1 << 20), pos
        length = _frame_length(window[pos - at : pos - at + 4])
        if length == 0:
            return  # a trailing ID3v1/APE tag or junk: not ours to judge
        if pos + length > size:
            raise LabelError(f"MP3 is truncated: the audio frame at byte {pos} runs past the end")
        pos += length


def _txxx(body: bytes) -> tuple[str, str] | None:
    """``(description, value)`` of a TXXX body."""
    if not body:
        return None
    enc, rest = body[0], body[1:]
    if enc in (1, 2):
        codec = "utf-16" if enc == 1 else "utf-16-be"
        for i in range(0, len(rest) - 1, 2):
            if rest[i : i + 2] == b"\0\0":
                desc, value = rest[:i], rest[i + 2 :]
                return desc.decode(codec, "replace"), value.decode(codec, "replace").rstrip("\0")
        return None
    desc, _, value = rest.partition(b"\0")
    codec = "utf-8" if enc == 3 else "latin-1"
    return desc.decode(codec, "replace"), value.decode(codec, "replace").rstrip("\0")


def _is_label(fid: bytes, body: bytes) -> bool:
    parsed = _txxx(body) if fid == b"TXXX" else None
    return parsed is not None and "AIGC" in parsed[0].upper()


def plan(src: Source, label_json: str) -> list[Piece]:
    version, _flags, end, frames = _tag(src.buf)
    _check_audio(src, end)
    version = version or 4
    body = bytes([3 if version == 4 else 0]) + _DESC + b"\0" + label_json.encode("ascii")
    frames = [f for f in frames if not _is_label(f[0], f[2])] + [(b"TXXX", b"\0\0", body)]
    encoded = b"".join(
        fid + (_to_syncsafe(len(b)) if version == 4 else struct.pack(">I", len(b))) + fl + b
        for fid, fl, b in frames
    )
    encoded += bytes(_PADDING)
    header = b"ID3" + bytes([version, 0, 0]) + _to_syncsafe(len(encoded))
    return [header + encoded, Span(end, src.size)]


def read(src: Source | bytes) -> list[FoundLabel]:
    source = as_source(src)
    version, _flags, end, frames = _tag(source.buf)
    _check_audio(source, end)
    out: list[FoundLabel] = []
    for fid, _fl, body in frames:
        if _is_label(fid, body):
            parsed = _txxx(body)
            assert parsed is not None
            out.append(found(parsed[1], f"mp3:ID3v2.{version}:TXXX:{parsed[0]}", "id3-txxx"))
    return out


def content_digest(src: Source | bytes) -> bytes:
    """The audio frames: after the ID3v2 tag, without a leading Xing/Info/VBRI frame (an encoder
    or muxer summary that a remux rewrites) and without a trailing ID3v1 tag."""
    source = as_source(src)
    start, end = _tag(source.buf)[2], source.size
    head = source.read(start, 4)
    length = _frame_length(head) if len(head) == 4 else 0
    if length and any(
        m in source.read(start, min(length, 200)) for m in (b"Xing", b"Info", b"VBRI")
    ):
        start += length
    if end - start >= 128 and source.read(end - 128, 3) == b"TAG":
        end -= 128
    return source.digest((start, end))
