"""WAV: RIFF sub-chunk ``AIGC`` whose data is the label JSON (TC260-PG-202510A).

The chunk goes before ``data`` (metadata first, as LIST/INFO usually is); the RIFF size is fixed
and odd lengths padded. Audio frames are copied untouched (spans of the source). Essence: every
chunk except ``AIGC``.
"""

from __future__ import annotations

import hashlib

from hegui.labeling.carriers import riff
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source

NAME = "wav"
_ID = b"AIGC"


def sniff(src: Source) -> bool:
    return src.startswith(b"RIFF") and src.startswith(b"WAVE", 8)


def plan(src: Source, label_json: str) -> list[Piece]:
    parts: list[tuple[bytes, bytes | Span]] = [
        (c, Span(p, p + n)) for c, p, n in riff.chunks(src.buf, b"WAVE") if c.upper() != _ID
    ]
    ids = [c for c, _ in parts]
    at = ids.index(b"data") if b"data" in ids else len(parts)
    parts.insert(at, (_ID, label_json.encode("utf-8")))
    return riff.build(b"WAVE", parts)


def read(src: Source | bytes) -> list[FoundLabel]:
    data = as_source(src).buf
    return [
        found(
            riff.payload(data, c).rstrip(b"\0").decode("utf-8", "replace"),
            f"wav:RIFF:{c[0].decode('latin-1')}",
            "riff-chunk",
        )
        for c in riff.chunks(data, b"WAVE")
        if c[0].upper() == _ID
    ]


def content_digest(src: Source | bytes) -> bytes:
    source = as_source(src)
    h = hashlib.sha256()
    for c, p, n in riff.chunks(source.buf, b"WAVE"):
        if c.upper() != _ID:
            h.update(c)
            for block in source.chunks(p, p + n):
                h.update(block)
    return h.digest()
