"""Plain text (GB 45438 has no metadata for it; hegui's declared convention): the last line of the
file is ``AIGC: {7-field JSON}``.

Chosen over a sidecar because it travels with the file and is harmless to read; the explicit
notice (§5.1) remains the label users see. Relabelling replaces the line. Read also accepts a first
line in the same form. Essence: the text without label lines, trailing newlines ignored.
"""

from __future__ import annotations

import hashlib
import re

from hegui.labeling.carriers.base import FoundLabel, found, whole
from hegui.labeling.carriers.textfile import decode, encode, newline_of
from hegui.labeling.source import Piece, Source

NAME = "text"
_LINE = re.compile(r"^AIGC[ \t]*[:=][ \t]*(\{.*\})[ \t]*\r?$", re.M)
_STRIP = re.compile(r"^AIGC[ \t]*[:=][ \t]*\{.*\}[ \t]*(?:\r?\n|\Z)", re.M)


def sniff(src: Source) -> bool:
    return False  # the fallback for UTF-8 text (see carriers.detect)


def strip_label(text: str) -> str:
    """``text`` without its label lines (so a notice can be placed relative to the content)."""
    return "".join(line for line in text.splitlines(keepends=True) if not _STRIP.fullmatch(line))


def plan(src: Source, label_json: str) -> list[Piece]:
    data = whole(src)
    text, bom = decode(data)
    nl = newline_of(text)
    body = strip_label(text)
    if body and not body.endswith(("\n", "\r")):
        body += nl
    return [encode(f"{body}AIGC: {label_json}{nl}", bom)]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = whole(src)
    text, _bom = decode(data)
    out = []
    for number, line in enumerate(text.splitlines()):
        m = _LINE.fullmatch(line) if line.startswith("AIGC") else None
        if m:
            out.append(found(m.group(1), f"text:line{number + 1}", "text-line"))
    return out


def content_digest(src: Source | bytes) -> bytes:
    data = whole(src)
    text, _bom = decode(data)
    return hashlib.sha256(strip_label(text).rstrip("\r\n").encode("utf-8")).digest()
