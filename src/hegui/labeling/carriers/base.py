"""What every carrier module shares: the :class:`FoundLabel` record and the carrier protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hegui.labeling.model import ParsedLabel, parse

__all__ = ["Carrier", "FoundLabel", "found"]


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
    """A file format that can hold an implicit label (one module per format)."""

    NAME: str

    def sniff(self, data: bytes) -> bool: ...
    def write(self, data: bytes, label_json: str) -> bytes: ...
    def read(self, data: bytes) -> list[FoundLabel]: ...
    def content_digest(self, data: bytes) -> bytes: ...
