"""Helpers shared by the text carriers (Markdown, HTML, plain text): decoding and limits."""

from __future__ import annotations

from hegui.errors import LabelError

__all__ = ["decode", "newline_of"]


def decode(data: bytes) -> tuple[str, bool]:
    """``(text, had_bom)``; text files must be UTF-8 (with or without a BOM)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data[3 if bom else 0 :].decode("utf-8"), bom
    except UnicodeDecodeError as exc:
        raise LabelError(f"text file is not valid UTF-8 (byte {exc.start})") from None


def encode(text: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def newline_of(text: str) -> str:
    """The file's own line ending, so a label line does not mix styles."""
    return "\r\n" if "\r\n" in text[:4096] else "\n"
