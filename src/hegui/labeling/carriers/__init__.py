"""One module per file format; this module picks the right one from the bytes themselves.

Binary formats are recognised by their magic bytes, never by the file name. Text formats
(Markdown, HTML, plain text) cannot be told apart by magic, so the name's suffix chooses among
them; a binary suffix on text content (or the reverse) is an error rather than a guess, and
content that is neither a known format nor UTF-8 text is named for what it looks like (UTF-16
text, a known but unsupported format) rather than blamed on the nearest parser.
"""

from __future__ import annotations

import importlib
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import cast

from hegui.errors import LabelError
from hegui.labeling.carriers.base import Carrier, FoundLabel
from hegui.labeling.source import Source, as_source

__all__ = ["BINARY", "CORRUPT", "SUFFIXES", "Carrier", "FoundLabel", "carrier", "detect", "guarded"]

#: Binary carriers in sniffing order (module names under this package).
BINARY: tuple[str, ...] = (
    "png",
    "jpeg",
    "webp",
    "gif",
    "tiff",
    "heif",
    "wav",
    "avi",
    "flac",
    "ogg",
    "matroska",
    "mp4",
    "mp3",
    "pdf",
    "docx",
)
#: Suffix → carrier, for the expectation check and for text kinds.
SUFFIXES: dict[str, str] = {
    ".png": "png",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".webp": "webp",
    ".gif": "gif",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".heic": "heif",
    ".heif": "heif",
    ".avif": "heif",
    ".flac": "flac",
    ".ogg": "ogg",
    ".oga": "ogg",
    ".opus": "ogg",
    ".mkv": "matroska",
    ".mka": "matroska",
    ".webm": "matroska",
    ".avi": "avi",
    ".wav": "wav",
    ".wave": "wav",
    ".mp3": "mp3",
    ".mp4": "mp4",
    ".m4a": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "docx",
    ".pptx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
    ".text": "text",
}
_TEXT = ("markdown", "html", "text")
#: What a parser may raise on hostile bytes; :func:`guarded` turns it into a LabelError.
CORRUPT: tuple[type[BaseException], ...] = (
    ValueError,
    IndexError,
    KeyError,
    EOFError,
    OverflowError,
    RecursionError,
    struct.error,
    zlib.error,
)


@contextmanager
def guarded(name: str) -> Iterator[None]:
    """Report any low-level parse failure inside the block as a corrupt ``name`` file."""
    try:
        yield
    except LabelError:
        raise
    except CORRUPT as exc:
        raise LabelError(f"corrupt {name} file: {type(exc).__name__}: {exc}") from None


def carrier(name: str) -> Carrier:
    """The carrier module called ``name`` (imported on first use)."""
    module: ModuleType = importlib.import_module(f"hegui.labeling.carriers.{name}")
    return cast(Carrier, module)


#: Signatures of formats hegui does not label, so the error can say what the file is.
_KNOWN_OTHER = (
    (b"\xff\xfe", "UTF-16 text (little-endian); save it as UTF-8 to label it"),
    (b"\xfe\xff", "UTF-16 text (big-endian); save it as UTF-8 to label it"),
    (b"PK\x03\x04", "a ZIP archive that is not an OOXML document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"FLV", "an FLV video"),
    (b"BM", "a BMP image"),
)


def detect(data: bytes | Source, filename: str = "") -> Carrier:
    """The carrier for ``data``; ``filename`` only breaks ties between text formats."""
    src = as_source(data)
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    expected = SUFFIXES.get(suffix)
    for name in BINARY:
        mod = carrier(name)
        if mod.sniff(src):
            return mod
    head = src.head(65536)
    if expected is not None and expected not in _TEXT:
        raise LabelError(
            f"content is not {expected.upper()} (by its bytes) although the name ends in {suffix}"
        )
    for magic, what in _KNOWN_OTHER:
        if head.startswith(magic):
            raise LabelError(f"unsupported file: {what}")
    if b"\0" in head[:4096]:
        raise LabelError("unsupported or corrupt file: no known format signature")
    data = head
    try:
        data[:65536].decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < 65536 - 4:  # a multibyte character cut at the probe edge is fine
            raise LabelError(
                "unsupported file: not a known media format and not UTF-8 text"
            ) from None
    if expected in _TEXT:
        return carrier(expected)
    start = data[:2048].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return carrier("html")
    if data.startswith(b"---\n") or data.startswith(b"---\r\n"):
        return carrier("markdown")
    return carrier("text")
