"""EBML (Matroska, WebM) elements: variable-length IDs and sizes, walking and building them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hegui.errors import LabelError

__all__ = ["Element", "element", "elements", "read_id", "read_size", "uint", "vint"]

Element = tuple[int, int, int, int]  # (id, element start, payload start, payload end or -1)
UNKNOWN = -1


def _field(data: Any, pos: int, longest: int, what: str) -> tuple[int, int, int]:
    """``(raw value with its length marker, length, value without it)`` of the variable-length
    field at ``pos`` (EBML IDs keep the marker, sizes drop it)."""
    if pos >= len(data):
        raise LabelError(f"Matroska is truncated (an element {what} runs past the end)")
    first = data[pos]
    length = 1
    while length <= longest and not first & (0x80 >> (length - 1)):
        length += 1
    if length > longest or pos + length > len(data):
        raise LabelError(f"corrupt Matroska: bad element {what} at byte {pos}")
    raw = int.from_bytes(data[pos : pos + length], "big")
    return raw, length, raw & ((1 << (7 * length)) - 1)


def read_id(data: Any, pos: int) -> tuple[int, int]:
    """``(id, length)`` of the element ID at ``pos`` (IDs keep their marker bits)."""
    raw, length, _value = _field(data, pos, 4, "ID")
    return raw, length


def read_size(data: Any, pos: int) -> tuple[int, int]:
    """``(size, length)`` of the size field at ``pos``; :data:`UNKNOWN` for an unknown size."""
    _raw, length, value = _field(data, pos, 8, "size")
    return (UNKNOWN if value == (1 << (7 * length)) - 1 else value), length


def vint(value: int, width: int = 0) -> bytes:
    """``value`` as an EBML size, in ``width`` bytes (the shortest when 0)."""
    if width == 0:
        width = 1
        while value >= (1 << (7 * width)) - 1:
            width += 1
    if width > 8 or value >= (1 << (7 * width)) - 1:
        raise LabelError(f"Matroska size {value} does not fit {width} bytes")
    return ((1 << (7 * width)) | value).to_bytes(width, "big")


def uint(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def element(eid: int, payload: bytes) -> bytes:
    return uint(eid) + vint(len(payload)) + payload


def elements(
    data: Any,
    start: int,
    end: int,
    *,
    siblings: frozenset[int] = frozenset(),
    ends: frozenset[int] = frozenset(),
) -> Iterator[Element]:
    """The children of ``data[start:end]``; the walk stops early at an ID in ``ends``.

    A child of unknown size (a live-recorded cluster or segment) ends where the next element
    whose ID is in ``siblings`` begins; its payload end is found by walking its own children.
    """
    pos = start
    while pos < end:
        eid, n = read_id(data, pos)
        if eid in ends:
            return
        size, m = read_size(data, pos + n)
        body = pos + n + m
        if size == UNKNOWN:
            last = body
            for _cid, _cs, _cb, child_end in elements(data, body, end, ends=siblings):
                last = child_end
            yield eid, pos, body, last
            pos = last
            continue
        if body + size > end:
            raise LabelError(
                f"Matroska is truncated: element {eid:#x} at byte {pos} runs past the end"
            )
        yield eid, pos, body, body + size
        pos = body + size
