"""FLAC: Vorbis comment ``AIGC={json}`` in the ``VORBIS_COMMENT`` metadata block (PG-202510A).

Only the metadata blocks are rebuilt: the comment block is replaced (or added after
``STREAMINFO``) and, when a ``PADDING`` block can absorb the change, it shrinks or grows so the
audio frames stay where they were. FLAC holds no absolute file offsets (the seek table is
relative to the first frame), so the frames are copied as one span either way.
Essence: ``STREAMINFO`` and every byte of audio after the metadata.
"""

from __future__ import annotations

from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import vorbis
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "flac"
_STREAMINFO, _PADDING, _COMMENT = 0, 1, 4
Block = tuple[int, int, int]  # (type, payload start, payload size)


def sniff(src: Source) -> bool:
    return src.startswith(b"fLaC")


def _blocks(data: Any) -> tuple[list[Block], int]:
    """The metadata blocks and where the audio frames start."""
    pos, out = 4, []
    while True:
        if pos + 4 > len(data):
            raise LabelError("FLAC is truncated inside its metadata blocks")
        head = data[pos]
        size = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if pos + 4 + size > len(data):
            raise LabelError(f"FLAC metadata block at byte {pos} runs past the end of the file")
        out.append((head & 0x7F, pos + 4, size))
        pos += 4 + size
        if head & 0x80:
            break
    if not out or out[0][0] != _STREAMINFO:
        raise LabelError("corrupt FLAC: the first metadata block is not STREAMINFO")
    return out, pos


def _crc16_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005 if crc & 0x8000 else crc << 1) & 0xFFFF
        table.append(crc)
    return table


_CRC16 = _crc16_table()


def _crc16(block: bytes) -> int:
    crc = 0
    for byte in block:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[(crc >> 8) ^ byte]
    return crc


def _check_last_frame(src: Source, audio: int) -> None:
    """The last audio frame must end with its own CRC-16: a cut file fails it."""
    if src.size == audio:
        return
    start = max(audio, src.size - (1 << 17))
    tail = src.read(start, src.size - start)
    at = len(tail)
    for _ in range(64):
        at = max(tail.rfind(b"\xff\xf8", 0, at), tail.rfind(b"\xff\xf9", 0, at))
        if at < 0:
            break
        if _crc16(tail[at:-2]) == int.from_bytes(tail[-2:], "big"):
            return
    raise LabelError("FLAC is truncated: its last audio frame fails its checksum")


def _comments(data: Any, block: Block) -> vorbis.Comments:
    return vorbis.parse(bytes(data[block[1] : block[1] + block[2]]), "FLAC")


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    blocks, audio = _blocks(data)
    _check_last_frame(src, audio)
    old = next((b for b in blocks if b[0] == _COMMENT), None)
    base = _comments(data, old) if old is not None else (b"hegui", [])
    comment = vorbis.build(vorbis.with_label(base, label_json))
    if len(comment) >= 1 << 24:
        raise LabelError("FLAC comment block would exceed 16 MiB")
    parts: list[tuple[int, bytes | Span]] = []
    for kind, start, size in blocks:
        if kind == _COMMENT:
            continue
        parts.append((kind, Span(start, start + size)))
        if kind == _STREAMINFO:
            parts.append((_COMMENT, comment))
    _fit_padding(parts, (old[2] + 4) if old is not None else 0, len(comment) + 4)
    pieces: list[Piece] = [b"fLaC"]
    for i, (kind, body) in enumerate(parts):
        last = 0x80 if i == len(parts) - 1 else 0
        pieces += [bytes([kind | last]) + len(body).to_bytes(3, "big"), body]
    return [*pieces, Span(audio, src.size)]


def _fit_padding(parts: list[tuple[int, bytes | Span]], before: int, after: int) -> None:
    """Let a PADDING block absorb the comment's growth (or take its shrinkage)."""
    grow = after - before
    for i, (kind, body) in enumerate(parts):
        if kind == _PADDING and len(body) - grow >= 0:
            parts[i] = (_PADDING, bytes(len(body) - grow))
            return


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    blocks, _audio = _blocks(data)
    out: list[FoundLabel] = []
    for block in blocks:
        if block[0] == _COMMENT:
            for key, value in vorbis.labels(_comments(data, block)):
                out.append(found(value, f"flac:VORBIS_COMMENT:{key}", "vorbis-comment"))
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    blocks, audio = _blocks(source.buf)
    info = blocks[0]
    return source.digest((info[1], info[1] + info[2]), (audio, source.size))
