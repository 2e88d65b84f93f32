"""ISO base media file format (MP4, MOV, HEIF/AVIF) boxes: walking them and moving the absolute
file offsets they hold when a box in front of the media grows.

A label write rebuilds one box (``moov``, or ``meta`` in HEIF) and copies every other byte; every
absolute offset that points *past* the rebuilt box then moves by its change in size. Offsets
live in: ``stco``/``co64`` (chunk offsets), ``saio`` under ``stbl`` (auxiliary info), ``tfhd``
``base_data_offset`` in each ``moof``, ``tfra`` in ``mfra`` (moof positions), ``sidx`` (relative,
moved only when it sits before the rebuilt box) and ``iloc`` (HEIF item extents). :func:`media_map`
lists them all so that the writer can prove, on the written file, that every sample and fragment
still points at the same media bytes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any

from hegui.errors import LabelError

__all__ = ["Shift", "box", "boxes", "fix_offsets", "media_map"]

Box = tuple[bytes, int, int, int]  # (type, box_start, payload_start, box_end)
_CONTAINERS = (b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mfra", b"edts", b"dinf")


def boxes(data: Any, start: int, end: int, *, strict: bool = False) -> Iterator[Box]:
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
    if strict and pos != end:
        raise LabelError(f"MP4 has {end - pos} trailing bytes that are not a box (truncated?)")


def box(btype: bytes, payload: bytes) -> bytes:
    if len(payload) + 8 >= 1 << 32:
        return struct.pack(">I4sQ", 1, btype, 16 + len(payload)) + payload
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


class Shift:
    """Where the rebuilt box was (``[at, end)`` in the source) and how much it grew."""

    def __init__(self, at: int, end: int, delta: int) -> None:
        self.at, self.end, self.delta = at, end, delta

    def __call__(self, offset: int) -> int:
        """The new position of source byte ``offset`` (only bytes after the box move)."""
        if self.at < offset < self.end:
            raise LabelError(f"an MP4 offset ({offset}) points inside the box being rewritten")
        return offset + self.delta if offset >= self.end else offset


def _patch(buf: bytearray, fmt: str, at: int, shift: Shift, what: str) -> None:
    (old,) = struct.unpack_from(fmt, buf, at)
    new = shift(old)
    if fmt == ">I" and new >= 1 << 32:
        raise LabelError(f"MP4 {what} offset overflows 32 bits after labelling")
    struct.pack_into(fmt, buf, at, new)


def _stco(buf: bytearray, p: int, e: int, wide: bool, shift: Shift) -> None:
    (n,) = struct.unpack_from(">I", buf, p + 4)
    width = 8 if wide else 4
    if p + 8 + n * width > e:
        raise LabelError("corrupt MP4 chunk offset table")
    for i in range(n):
        _patch(buf, ">Q" if wide else ">I", p + 8 + i * width, shift, "chunk")


def _saio(buf: bytearray, p: int, e: int, shift: Shift) -> None:
    version, flags = buf[p], int.from_bytes(buf[p + 1 : p + 4], "big")
    q = p + 4 + (8 if flags & 1 else 0)
    (n,) = struct.unpack_from(">I", buf, q)
    width = 8 if version else 4
    for i in range(n):
        _patch(buf, ">Q" if version else ">I", q + 4 + i * width, shift, "saio")


def _tfhd(buf: bytearray, p: int, shift: Shift) -> None:
    if int.from_bytes(buf[p + 1 : p + 4], "big") & 0x1:  # base-data-offset-present
        _patch(buf, ">Q", p + 8, shift, "fragment base")


def _tfra(buf: bytearray, p: int, e: int, shift: Shift) -> None:
    version = buf[p]
    sizes = struct.unpack_from(">I", buf, p + 8)[0]
    extra = ((sizes >> 4) & 3) + ((sizes >> 2) & 3) + (sizes & 3) + 3
    (n,) = struct.unpack_from(">I", buf, p + 12)
    width = 16 if version else 8
    q = p + 16
    for _ in range(n):
        if q + width + extra > e:
            raise LabelError("corrupt MP4 tfra box")
        _patch(buf, ">Q" if version else ">I", q + width // 2, shift, "tfra")
        q += width + extra


def fix_offsets(
    buf: bytearray, start: int, end: int, shift: Shift, *, in_stbl: bool = False
) -> None:
    """Move, in place, every absolute offset held in the boxes of ``buf[start:end]``."""
    for t, _s, p, e in boxes(buf, start, end):
        if t in _CONTAINERS:
            fix_offsets(buf, p, e, shift, in_stbl=in_stbl or t == b"stbl")
        elif t in (b"stco", b"co64"):
            _stco(buf, p, e, t == b"co64", shift)
        elif t == b"saio" and in_stbl:
            _saio(buf, p, e, shift)
        elif t == b"tfhd":
            _tfhd(buf, p, shift)
        elif t == b"tfra":
            _tfra(buf, p, e, shift)


def sidx_patch(buf: bytearray, box_end_in_source: int, shift: Shift) -> None:
    """A ``sidx`` in front of the rebuilt box: its ``first_offset`` is relative to its own end."""
    version = buf[8]
    at = 8 + 12 + (8 if version else 4)
    fmt = ">Q" if version else ">I"
    (first,) = struct.unpack_from(fmt, buf, at)
    target = box_end_in_source + first
    struct.pack_into(fmt, buf, at, first + shift(target) - target)


def media_map(data: Any, top: list[Box], read_at: Callable[[int], bytes]) -> list[int]:
    """Every absolute media position the file implies, in file order: each chunk offset, the
    first sample of each ``trun`` (fragment base + data offset) and each moof named in ``tfra``.
    A base that is not stored is the ``moof`` start, which moves with the box itself."""
    out: list[int] = []
    base = 0

    def walk(start: int, end: int, moof: int) -> None:
        nonlocal base
        for t, s, p, e in boxes(data, start, end):
            if t in _CONTAINERS:
                walk(p, e, s if t == b"moof" else moof)
            elif t in (b"stco", b"co64"):
                (n,) = struct.unpack_from(">I", data, p + 4)
                fmt, width = (">Q", 8) if t == b"co64" else (">I", 4)
                out.extend(struct.unpack_from(fmt, data, p + 8 + i * width)[0] for i in range(n))
            elif t == b"tfhd":
                flags = int.from_bytes(data[p + 1 : p + 4], "big")
                base = struct.unpack_from(">Q", data, p + 8)[0] if flags & 1 else moof
            elif t == b"trun":
                if int.from_bytes(data[p + 1 : p + 4], "big") & 0x1:  # data-offset-present
                    out.append(base + struct.unpack_from(">i", data, p + 8)[0])
            elif t == b"tfra":
                version, (n,) = data[p], struct.unpack_from(">I", data, p + 12)
                sizes = struct.unpack_from(">I", data, p + 8)[0]
                extra = ((sizes >> 4) & 3) + ((sizes >> 2) & 3) + (sizes & 3) + 3
                width = 16 if version else 8
                for i in range(n):
                    q = p + 16 + i * (width + extra) + width // 2
                    moof_at = struct.unpack_from(">Q" if version else ">I", data, q)[0]
                    if read_at(moof_at) != b"moof":
                        raise LabelError(f"MP4 tfra entry points at byte {moof_at}, not at a moof")
                    out.append(moof_at)

    for t, s, p, e in top:
        if t in (b"moov", b"moof", b"mfra"):
            walk(p, e, s)
    return out
