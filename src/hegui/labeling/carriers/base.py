"""What every carrier module shares: the :class:`FoundLabel` record and the carrier protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hegui.labeling.model import ParsedLabel, parse
from hegui.labeling.source import Piece, Source, as_source

__all__ = ["Carrier", "FoundLabel", "found", "whole"]


@dataclass(frozen=True, slots=True)
class FoundLabel:
    """One label value found in a file.

    ``location`` names the exact place (``png:iTXt:XML:com.adobe.xmp``); ``form`` says which
    variant it was (``xmp-element``, ``xmp-attribute``, ``text-chunk``, ``exif-usercomment`` …);
    ``intact`` is False when the container's own checksum around it (PNG CRC, ZIP CRC) fails,
    which means the bytes were edited after writing.
    """

    raw: str
    parsed: ParsedLabel
    location: str
    form: str
    intact: bool = True


def found(raw: str, location: str, form: str, *, intact: bool = True) -> FoundLabel:
    """Parse ``raw`` leniently and wrap it with its location."""
    return FoundLabel(raw, parse(raw), location, form, intact)


class Carrier(Protocol):
    """A file format that can hold an implicit label (one module per format).

    ``plan`` answers a write with a splice plan (new bytes and spans of the source, see
    :mod:`hegui.labeling.source`); ``read`` and ``content_digest`` also accept plain bytes.
    A carrier may add ``check_written(src, out)`` to validate the written file beyond the label.
    """

    NAME: str

    def sniff(self, src: Source) -> bool: ...
    def plan(self, src: Source, label_json: str) -> list[Piece]: ...
    def read(self, src: Source | bytes) -> list[FoundLabel]: ...
    def content_digest(self, src: Source | bytes) -> bytes: ...


def whole(src: Source | bytes) -> bytes:
    """All bytes of ``src``, for the formats whose parsers need them in memory (PDF, OOXML, text)."""
    source = as_source(src)
    return source.buf if isinstance(source.buf, bytes) else bytes(source.buf[:])
