"""PDF: document Info dictionary key ``/AIGC`` (TC260-PG-20258A §6.3), as an incremental update.

A first label is an incremental update written here, not by pypdf: the original bytes are kept
verbatim (a span of the source) and one section is appended with a new revision of the Info
dictionary and a cross-reference section *of the same kind as the file's last one* (a classic
table after a table, so a PDF 1.4 file gets no 1.5 xref stream), ``/Size`` one past the highest
object number, so ``qpdf --check`` has nothing to warn about. Relabelling a file that already
mentions AIGC rewrites it from its object graph (pypdf), so the old label does not survive in an
earlier revision. An AIGC property in the XMP metadata stream is read too, and removed on write.

Reading follows the *newest* trailer only, as pdfinfo and ExifTool do: an update that drops
``/Info`` (``exiftool -all=``) removes the label even though older revisions still hold it.
Essence: each page's content stream and MediaBox.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import struct
import warnings
from collections.abc import Iterator
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found
from hegui.labeling.source import Piece, Source, Span, as_source, reader_of

NAME = "pdf"
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF", re.S)


def sniff(src: Source) -> bool:
    return src.head(1024).lstrip().startswith(b"%PDF-")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence pypdf's logged and warned chatter about recoverable oddities in real files."""
    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


def _broken() -> tuple[type[BaseException], ...]:
    from pypdf.errors import PyPdfError

    return (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError)


def _reader(src: Source) -> Any:
    from pypdf import PdfReader

    try:
        with _quiet():
            reader = PdfReader(reader_of(src), strict=False)
            if reader.is_encrypted:
                raise LabelError("encrypted PDFs cannot be labelled or verified")
            _ = len(reader.pages)
            return reader
    except LabelError:
        raise
    except _broken() as exc:
        raise LabelError(f"corrupt or truncated PDF: {exc}") from None


def _last_xref(src: Source) -> int:
    tail = src.read(max(0, src.size - 2048), 2048)
    found_at = list(_STARTXREF.finditer(tail))
    if not found_at:
        raise LabelError("corrupt or truncated PDF: no startxref at the end")
    return int(found_at[-1].group(1))


def _newest_trailer(src: Source, reader: Any) -> tuple[Any, bool]:
    """The newest trailer dictionary and whether the newest xref section is a stream."""
    from pypdf.generic import DictionaryObject, read_object

    at = _last_xref(src)
    stream = reader.stream
    stream.seek(at)
    if src.read(at, 4) == b"xref":
        window = src.read(at, 1 << 20)
        pos = window.find(b"trailer")
        if pos < 0:
            raise LabelError("corrupt PDF: no trailer after the last xref table")
        pos += 7
        while pos < len(window) and window[pos : pos + 1] in b" \t\r\n\f\0":
            pos += 1
        stream.seek(at + pos)
        trailer = read_object(stream, reader)
        is_stream = False
    else:
        reader.read_object_header(stream)
        trailer = read_object(stream, reader)
        is_stream = True
    if not isinstance(trailer, DictionaryObject):
        raise LabelError("corrupt PDF: the last trailer is not a dictionary")
    return trailer, is_stream


def _info(trailer: Any) -> Any:
    info = trailer.get("/Info")
    return info.get_object() if info is not None else None


def _metadata(trailer: Any) -> Any:
    root = trailer.get("/Root")
    meta = root.get_object().get("/Metadata") if root is not None else None
    return meta if meta is not None else None


def _serialise(obj: Any) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out)
    return out.getvalue()


def plan(src: Source, label_json: str) -> list[Piece]:
    reader = _reader(src)
    try:
        with _quiet():
            if src.buf.find(b"AIGC") >= 0:  # a full rewrite drops the old label from history
                return [_rewrite(src, label_json)]
            return _append(src, reader, label_json)
    except _broken() as exc:
        raise LabelError(f"cannot write PDF metadata: {exc}") from None


def _append(src: Source, reader: Any, label_json: str) -> list[Piece]:
    from pypdf.generic import DictionaryObject, IndirectObject, NameObject, TextStringObject

    trailer, is_stream = _newest_trailer(src, reader)
    size = int(trailer.get("/Size", 0))
    info_ref = trailer.get("/Info")
    info = DictionaryObject()
    old = _info(trailer)
    if old is not None:
        for key, value in old.items():
            info[NameObject(key)] = value
    info[NameObject("/AIGC")] = TextStringObject(label_json)
    number, generation = (
        (info_ref.idnum, info_ref.generation) if isinstance(info_ref, IndirectObject) else (size, 0)
    )
    body = io.BytesIO()
    body.write(b"\n")
    offsets: dict[int, tuple[int, int]] = {}
    offsets[number] = (src.size + body.tell(), generation)
    body.write(f"{number} {generation} obj\n".encode() + _serialise(info) + b"\nendobj\n")
    top = max(size, number + 1)
    fields = {k: v for k, v in trailer.items() if k in ("/Root", "/ID")}
    fields["/Info"] = IndirectObject(number, generation, reader)
    xref_at = src.size + body.tell()
    if is_stream:
        offsets[top] = (xref_at, 0)
        body.write(_xref_stream(top, offsets, fields, _last_xref(src)))
    else:
        body.write(_xref_table(offsets, fields, top, _last_xref(src)))
    body.write(f"startxref\n{xref_at}\n%%EOF\n".encode())
    return [Span(0, src.size), body.getvalue()]


def _trailer_entries(fields: dict[str, Any]) -> bytes:
    return b"".join(f"{k} ".encode() + _serialise(v) + b"\n" for k, v in fields.items())


def _xref_table(
    offsets: dict[int, tuple[int, int]], fields: dict[str, Any], size: int, prev: int
) -> bytes:
    rows = b"xref\n"
    for number in sorted(offsets):
        at, gen = offsets[number]
        rows += f"{number} 1\n{at:010d} {gen:05d} n \n".encode()
    return (
        rows
        + b"trailer\n<<\n"
        + f"/Size {size}\n/Prev {prev}\n".encode()
        + _trailer_entries(fields)
        + b">>\n"
    )


def _xref_stream(
    number: int, offsets: dict[int, tuple[int, int]], fields: dict[str, Any], prev: int
) -> bytes:
    rows = b"".join(struct.pack(">BIH", 1, offsets[n][0], offsets[n][1]) for n in sorted(offsets))
    index = " ".join(f"{n} 1" for n in sorted(offsets))
    head = (
        f"{number} 0 obj\n<<\n/Type /XRef\n/Size {number + 1}\n/Prev {prev}\n"
        f"/W [1 4 2]\n/Index [{index}]\n/Length {len(rows)}\n"
    ).encode()
    return head + _trailer_entries(fields) + b">>\nstream\n" + rows + b"\nendstream\nendobj\n"


def _rewrite(src: Source, label_json: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=reader_of(src))
    # pypdf has no public way to delete an Info key; other AIGC-named keys must go too.
    info: Any = writer._info.get_object() if writer._info is not None else None
    if info is not None:
        for key in [k for k in info if "AIGC" in str(k).upper()]:
            del info[key]
    writer.add_metadata({"/AIGC": label_json})
    meta = writer.root_object.get("/Metadata")
    stream = meta.get_object() if meta is not None else None
    if stream is not None:
        text = stream.get_data().decode("utf-8", "replace")
        if "AIGC" in text:
            stream.set_data(xmp.remove_label(text).encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def read(src: Source | bytes) -> list[FoundLabel]:
    source = as_source(src)
    with _quiet():
        try:
            return _read(source, _reader(source))
        except LabelError:
            raise
        except _broken() as exc:
            raise LabelError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None


def _read(src: Source, reader: Any) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    trailer, _stream = _newest_trailer(src, reader)
    info = _info(trailer) or {}
    for key, value in info.items():
        if "AIGC" in str(key).upper():
            out.append(found(str(value.get_object()), f"pdf:Info:{key}", "info-key"))
    meta = _metadata(trailer)
    if meta is not None:
        try:
            text = meta.get_object().get_data().decode("utf-8", "replace")
        except Exception as exc:
            raise LabelError(f"corrupt XMP metadata stream in PDF: {exc}") from None
        out += [found(v, "pdf:Metadata:XMP", f) for f, v in xmp.find_values(text)]
    return out


def content_digest(src: Source | bytes) -> bytes:
    h = hashlib.sha256()
    with _quiet():
        try:
            for page in _reader(as_source(src)).pages:
                contents = page.get_contents()
                h.update(contents.get_data() if contents is not None else b"")
                h.update(repr([float(v) for v in page.mediabox]).encode())
        except LabelError:
            raise
        except _broken() as exc:
            raise LabelError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    return h.digest()
