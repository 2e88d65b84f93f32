"""MP3: ID3v2 ``TXXX`` frame with description ``AIGC`` (TC260-PG-202510A), written by hand.

mutagen is GPL, so the tag is built here. An existing ID3v2.3/2.4 tag keeps every other frame and
its version; ``TXXX:AIGC`` frames are replaced. Without a tag, an ID3v2.4 tag is prepended. Frames
are copied as they are (no re-encoding). Essence: every byte after the ID3v2 tag (the audio).
"""

from __future__ import annotations

import hashlib
import struct

from hegui.errors import LabelError
from hegui.labeling.carriers.base import FoundLabel, found

NAME = "mp3"
_DESC = b"AIGC"


def sniff(data: bytes) -> bool:
    if data.startswith(b"ID3"):
        return True
    return len(data) > 3 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and (data[1] >> 1) & 3 != 0


def _syncsafe(value: bytes) -> int:
    if any(b & 0x80 for b in value):
        raise LabelError("corrupt ID3 tag (size is not syncsafe)")
    return (value[0] << 21) | (value[1] << 14) | (value[2] << 7) | value[3]


def _to_syncsafe(n: int) -> bytes:
    if n >= 1 << 28:
        raise LabelError("ID3 tag would exceed 256 MB")
    return bytes(((n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F))


def _tag(data: bytes) -> tuple[int, int, int, list[tuple[bytes, bytes, bytes]]]:
    """``(version, flags, tag_end, frames)``; frames are ``(id, flags, body)``. No tag: version 0."""
    if not data.startswith(b"ID3"):
        return 0, 0, 0, []
    if len(data) < 10:
        raise LabelError("ID3 tag is truncated")
    version, flags = data[3], data[5]
    size = _syncsafe(data[6:10])
    end = 10 + size + (10 if version == 4 and flags & 0x10 else 0)
    if end > len(data):
        raise LabelError("ID3 tag is truncated (its size runs past the end of the file)")
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


def _check_audio(data: bytes, start: int) -> None:
    """Walk the MPEG frames after the tag; a last frame cut short means the file is truncated."""
    pos, size = start, len(data)
    while pos + 4 <= size:
        length = _frame_length(data[pos : pos + 4])
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


def write(data: bytes, label_json: str) -> bytes:
    version, _flags, end, frames = _tag(data)
    _check_audio(data, end)
    version = version or 4
    body = bytes([3 if version == 4 else 0]) + _DESC + b"\0" + label_json.encode("ascii")
    frames = [f for f in frames if not _is_label(f[0], f[2])] + [(b"TXXX", b"\0\0", body)]
    encoded = b"".join(
        fid + (_to_syncsafe(len(b)) if version == 4 else struct.pack(">I", len(b))) + fl + b
        for fid, fl, b in frames
    )
    header = b"ID3" + bytes([version, 0, 0]) + _to_syncsafe(len(encoded))
    return header + encoded + data[end:]


def read(data: bytes) -> list[FoundLabel]:
    version, _flags, end, frames = _tag(data)
    _check_audio(data, end)
    out: list[FoundLabel] = []
    for fid, _fl, body in frames:
        if _is_label(fid, body):
            parsed = _txxx(body)
            assert parsed is not None
            out.append(found(parsed[1], f"mp3:ID3v2.{version}:TXXX:{parsed[0]}", "id3-txxx"))
    return out


def content_digest(data: bytes) -> bytes:
    return hashlib.sha256(memoryview(data)[_tag(data)[2] :]).digest()
