"""WAV: RIFF sub-chunk ``AIGC`` whose data is the label JSON (TC260-PG-202510A).

The chunk goes before ``data`` (metadata first, as LIST/INFO usually is); the RIFF size is fixed
and odd lengths padded. Audio frames are copied untouched. Essence: every chunk except ``AIGC``.
"""

from __future__ import annotations

import hashlib

from hegui.labeling.carriers import riff
from hegui.labeling.carriers.base import FoundLabel, found

NAME = "wav"
_ID = b"AIGC"


def sniff(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def write(data: bytes, label_json: str) -> bytes:
    parts: list[riff.Chunk] = [(c, p) for c, p in riff.chunks(data, b"WAVE") if c.upper() != _ID]
    ids = [c for c, _ in parts]
    at = ids.index(b"data") if b"data" in ids else len(parts)
    parts.insert(at, (_ID, label_json.encode("utf-8")))
    return riff.build(b"WAVE", parts)


def read(data: bytes) -> list[FoundLabel]:
    return [
        found(
            bytes(p).rstrip(b"\0").decode("utf-8", "replace"),
            f"wav:RIFF:{c.decode('latin-1')}",
            "riff-chunk",
        )
        for c, p in riff.chunks(data, b"WAVE")
        if c.upper() == _ID
    ]


def content_digest(data: bytes) -> bytes:
    h = hashlib.sha256()
    for c, p in riff.chunks(data, b"WAVE"):
        if c.upper() != _ID:
            h.update(c)
            h.update(p)
    return h.digest()
