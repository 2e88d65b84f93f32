"""Vorbis comments (``KEY=value`` pairs after a vendor string), shared by FLAC and OGG/Opus.

TC260-PG-202510A puts the label in a comment ``AIGC={7-field JSON}``. Keys are compared without
case, as the Vorbis specification says; every other comment keeps its bytes and its order.
"""

from __future__ import annotations

import struct

from hegui.errors import LabelError

__all__ = ["KEY", "Comments", "build", "parse", "with_label"]

KEY = "AIGC"
Comments = tuple[bytes, list[bytes]]  # (vendor, ["KEY=value" entries as bytes])


def parse(blob: bytes, where: str) -> Comments:
    """``(vendor, entries)`` of a comment block; raises on truncation."""
    try:
        (n,) = struct.unpack_from("<I", blob, 0)
        vendor = blob[4 : 4 + n]
        pos = 4 + n
        (count,) = struct.unpack_from("<I", blob, pos)
        pos += 4
        entries = []
        for _ in range(count):
            (size,) = struct.unpack_from("<I", blob, pos)
            if pos + 4 + size > len(blob):
                raise LabelError(f"corrupt {where} comment block (an entry runs past its end)")
            entries.append(blob[pos + 4 : pos + 4 + size])
            pos += 4 + size
    except struct.error:
        raise LabelError(f"corrupt {where} comment block (truncated)") from None
    if len(vendor) != n:
        raise LabelError(f"corrupt {where} comment block (vendor string truncated)")
    return vendor, entries


def build(comments: Comments) -> bytes:
    vendor, entries = comments
    out = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(entries))
    return out + b"".join(struct.pack("<I", len(e)) + e for e in entries)


def is_label(entry: bytes) -> bool:
    return KEY in entry.partition(b"=")[0].decode("utf-8", "replace").upper()


def labels(comments: Comments) -> list[tuple[str, str]]:
    """``(key, value)`` of every comment whose key contains AIGC."""
    out = []
    for entry in comments[1]:
        if is_label(entry):
            key, _, value = entry.partition(b"=")
            out.append((key.decode("utf-8", "replace"), value.decode("utf-8", "replace")))
    return out


def with_label(comments: Comments, label_json: str) -> Comments:
    """The same comments with every AIGC entry removed and ``AIGC=<json>`` appended."""
    vendor, entries = comments
    kept = [e for e in entries if not is_label(e)]
    return vendor, [*kept, f"{KEY}={label_json}".encode()]
