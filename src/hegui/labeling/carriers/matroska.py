"""Matroska / WebM: a global ``Tag`` (no targets) with ``SimpleTag`` ``AIGC`` (PG-20257A), as
``ffmpeg -metadata AIGC=…`` writes it, so ffprobe, MediaInfo and ExifTool read it back.

No element that other elements point at ever moves (``SeekHead`` and ``Cues`` positions stay
true): the new ``Tags`` element replaces the old one where it stands when it fits there (with
the ``Void`` after it), else the old one becomes a ``Void`` of the same size and the new one is
appended at the end of the segment, with the ``SeekHead`` entry for ``Tags`` rewritten in place
(using the ``Void`` that muxers reserve after it). A file with no room for that is refused.
After writing, every ``SeekHead`` entry is checked to point at an element of the type it names.
Essence: every ``Cluster``.
"""

from __future__ import annotations

from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import ebml
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "matroska"
_EBML, _SEGMENT = 0x1A45DFA3, 0x18538067
_SEEKHEAD, _SEEK, _SEEK_ID, _SEEK_POS = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
_TAGS, _TAG, _TARGETS, _SIMPLE, _NAME, _STRING = 0x1254C367, 0x7373, 0x63C0, 0x67C8, 0x45A3, 0x4487
_CLUSTER, _VOID = 0x1F43B675, 0xEC
_LEVEL1 = frozenset(
    {_SEEKHEAD, 0x1549A966, 0x1654AE6B, _TAGS, _CLUSTER, 0x1C53BB6B, 0x1043A770, 0x1941A469}
)


def sniff(src: Source) -> bool:
    return src.startswith(b"\x1a\x45\xdf\xa3")


def _segment(data: Any) -> tuple[ebml.Element, list[ebml.Element]]:
    head = next(ebml.elements(data, 0, len(data), ends=frozenset({_SEGMENT})), None)
    if head is None or head[0] != _EBML:
        raise LabelError("corrupt Matroska: no EBML header")
    for el in ebml.elements(data, head[3], len(data), siblings=frozenset({_SEGMENT})):
        if el[0] == _SEGMENT:
            children = list(ebml.elements(data, el[2], el[3], siblings=_LEVEL1))
            return el, children
    raise LabelError("corrupt Matroska: no Segment")


def _simple_tags(data: Any, start: int, end: int) -> list[tuple[str, str, int, int]]:
    """``(name, string, element start, element end)`` of every SimpleTag, nested ones too."""
    out = []
    for eid, s, b, e in ebml.elements(data, start, end):
        if eid != _SIMPLE:
            continue
        name = value = ""
        for cid, _cs, cb, ce in ebml.elements(data, b, e):
            if cid == _NAME:
                name = bytes(data[cb:ce]).decode("utf-8", "replace")
            elif cid == _STRING:
                value = bytes(data[cb:ce]).decode("utf-8", "replace")
        out.append((name, value, s, e))
        out += _simple_tags(data, b, e)
    return out


def _is_label(name: str) -> bool:
    return "AIGC" in name.upper()


def _void(total: int) -> bytes:
    """A Void element exactly ``total`` bytes long (``total`` ≥ 2)."""
    if total < 2:
        raise LabelError("no room for a Matroska Void element")
    width = 1 if total - 2 < 127 else 8
    return bytes([_VOID]) + ebml.vint(total - 1 - width, width) + bytes(total - 1 - width)


def _new_tags(data: Any, old: ebml.Element | None, label_json: str) -> bytes:
    """The Tags element: the old tags without AIGC entries (a Tag left with no SimpleTag is
    dropped), plus one global AIGC tag."""
    kept: list[bytes] = []
    if old is not None:
        for eid, s, b, e in ebml.elements(data, old[2], old[3]):
            if eid != _TAG:
                kept.append(bytes(data[s:e]))
                continue
            children = [
                (cid, bytes(data[cs:ce]))
                for cid, cs, cb, ce in ebml.elements(data, b, e)
                if not (cid == _SIMPLE and _is_label(_simple_name(data, cb, ce)))
            ]
            if any(cid == _SIMPLE for cid, _ in children):
                kept.append(ebml.element(_TAG, b"".join(body for _, body in children)))
    simple = ebml.element(
        _SIMPLE, ebml.element(_NAME, b"AIGC") + ebml.element(_STRING, label_json.encode())
    )
    kept.append(ebml.element(_TAG, ebml.element(_TARGETS, b"") + simple))
    return ebml.element(_TAGS, b"".join(kept))


def _simple_name(data: Any, start: int, end: int) -> str:
    for cid, _cs, cb, ce in ebml.elements(data, start, end):
        if cid == _NAME:
            return bytes(data[cb:ce]).decode("utf-8", "replace")
    return ""


def _seek_entries(data: Any, head: ebml.Element) -> list[tuple[int, int]]:
    out = []
    for eid, _s, b, e in ebml.elements(data, head[2], head[3]):
        if eid != _SEEK:
            continue
        target = position = -1
        for cid, _cs, cb, ce in ebml.elements(data, b, e):
            if cid == _SEEK_ID:
                target = int.from_bytes(data[cb:ce], "big")
            elif cid == _SEEK_POS:
                position = int.from_bytes(data[cb:ce], "big")
        out.append((target, position))
    return out


def _seek_head(entries: list[tuple[int, int]]) -> bytes:
    body = b"".join(
        ebml.element(
            _SEEK, ebml.element(_SEEK_ID, ebml.uint(t)) + ebml.element(_SEEK_POS, ebml.uint(p))
        )
        for t, p in entries
    )
    return ebml.element(_SEEKHEAD, body)


def _room(children: list[ebml.Element], i: int) -> int:
    """Bytes from child ``i``'s start to the end of the Void elements that follow it."""
    end = children[i][3]
    for eid, _s, _b, e in children[i + 1 :]:
        if eid != _VOID:
            break
        end = e
    return end - children[i][1]


def _fits(new: bytes, room: int) -> bool:
    return len(new) == room or room - len(new) >= 2


def _fill(new: bytes, room: int) -> bytes:
    """``new`` followed by a Void that takes the rest of ``room``."""
    return new if len(new) == room else new + _void(room - len(new))


def plan(src: Source, label_json: str) -> list[Piece]:
    data = src.buf
    segment, children = _segment(data)
    _seg_id, seg_start, seg_body, seg_end = segment
    tags_at = next((i for i, c in enumerate(children) if c[0] == _TAGS), None)
    old = children[tags_at] if tags_at is not None else None
    new_tags = _new_tags(data, old, label_json)
    edits: dict[int, tuple[int, bytes]] = {}  # start -> (end, replacement)
    append = b""
    room = _room(children, tags_at) if tags_at is not None else 0
    if old is not None and _fits(new_tags, room):
        edits[old[1]] = (old[1] + room, _fill(new_tags, room))
    else:
        if old is not None:
            edits[old[1]] = (old[3], _void(old[3] - old[1]))
        append = new_tags
        _point_seek_head(data, children, seg_end - seg_body, edits)
    size_field = b""
    if append and segment_size_known(data, segment):
        n = ebml.read_id(data, seg_start)[1]
        width = ebml.read_size(data, seg_start + n)[1]
        size_field = ebml.vint(seg_end - seg_body + len(append), width)
        edits[seg_start + n] = (seg_start + n + width, size_field)
    pieces: list[Piece] = []
    pos = 0
    for start in sorted(edits):
        end, replacement = edits[start]
        pieces += [Span(pos, start), replacement]
        pos = end
    pieces.append(Span(pos, seg_end if append else src.size))
    if append:
        pieces.append(append)
        if seg_end < src.size:
            pieces.append(Span(seg_end, src.size))
    return [p for p in pieces if not (isinstance(p, Span) and len(p) == 0)]


def segment_size_known(data: Any, segment: ebml.Element) -> bool:
    n = ebml.read_id(data, segment[1])[1]
    return ebml.read_size(data, segment[1] + n)[0] != ebml.UNKNOWN


def _point_seek_head(
    data: Any, children: list[ebml.Element], tags_pos: int, edits: dict[int, tuple[int, bytes]]
) -> None:
    """Make the SeekHead's Tags entry point at ``tags_pos`` (relative to the segment data)."""
    at = next((i for i, c in enumerate(children) if c[0] == _SEEKHEAD), None)
    if at is None:
        return  # no index at all: readers walk the segment and find the appended Tags
    entries = [(t, p) for t, p in _seek_entries(data, children[at]) if t != _TAGS]
    new = _seek_head([*entries, (_TAGS, tags_pos)])
    room = _room(children, at)
    if not _fits(new, room):
        raise LabelError(
            "Matroska SeekHead has no room for the Tags entry (remux with ffmpeg or mkvmerge, "
            "which reserve space after it)"
        )
    edits[children[at][1]] = (children[at][1] + room, _fill(new, room))


def check_written(src: Source, out: Source) -> None:
    """Every SeekHead entry of the written file points at an element of the type it names."""
    data = out.buf
    segment, children = _segment(data)
    heads = [c for c in children if c[0] == _SEEKHEAD]
    for head in heads:
        for target, position in _seek_entries(data, head):
            at = segment[2] + position
            if at >= len(data) or ebml.read_id(data, at)[0] != target:
                raise LabelError(
                    f"Matroska SeekHead entry for {target:#x} would point at the wrong place "
                    "after labelling; nothing was written"
                )


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    children = _segment(data)[1]
    out: list[FoundLabel] = []
    for eid, _s, b, e in children:
        if eid != _TAGS:
            continue
        for tid, _ts, tb, te in ebml.elements(data, b, e):
            if tid != _TAG:
                continue
            for name, value, _ss, _se in _simple_tags(data, tb, te):
                if _is_label(name):
                    out.append(found(value, f"matroska:Tags:SimpleTag:{name}", "simple-tag"))
    return out


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    children = _segment(source.buf)[1]
    return source.digest(*[(s, e) for eid, s, _b, e in children if eid == _CLUSTER])
