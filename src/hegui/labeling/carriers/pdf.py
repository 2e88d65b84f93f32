"""PDF: document Info dictionary key ``/AIGC`` (TC260-PG-20258A §6.3), as an incremental update.

A first label is an incremental update: the original bytes are kept verbatim and an update
section is appended (pypdf ``incremental=True``). Relabelling a file that already mentions AIGC
rewrites it from its object graph (stream data copied, not re-encoded), so the old label does not
survive in an earlier revision. An AIGC property in the XMP metadata
stream is read too, and removed on write. Essence: each page's content stream and MediaBox.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import warnings
from collections.abc import Iterator
from typing import Any

from hegui.errors import LabelError
from hegui.labeling.carriers import xmp
from hegui.labeling.carriers.base import FoundLabel, found, whole
from hegui.labeling.source import Piece, Source

NAME = "pdf"


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


def _reader(data: bytes) -> Any:
    from pypdf import PdfReader

    try:
        with _quiet():
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise LabelError("encrypted PDFs cannot be labelled or verified")
            _ = len(reader.pages)
            return reader
    except LabelError:
        raise
    except _broken() as exc:
        raise LabelError(f"corrupt or truncated PDF: {exc}") from None


def _xmp_stream(root: Any) -> Any:
    meta = root.get("/Metadata")
    return meta.get_object() if meta is not None else None


def plan(src: Source, label_json: str) -> list[Piece]:
    data = whole(src)
    from pypdf import PdfWriter

    _reader(data)  # validate first: clear error on a corrupt file
    try:
        with _quiet():
            if b"AIGC" in data:  # a full rewrite drops the old label from the file's history
                writer = PdfWriter(clone_from=io.BytesIO(data))
            else:
                writer = PdfWriter(io.BytesIO(data), incremental=True)
            # pypdf has no public way to delete an Info key; other AIGC-named keys must go too.
            info: Any = writer._info.get_object() if writer._info is not None else None
            if info is not None:
                for key in [k for k in info if "AIGC" in str(k).upper()]:
                    del info[key]
            writer.add_metadata({"/AIGC": label_json})
            stream = _xmp_stream(writer.root_object)
            if stream is not None:
                text = stream.get_data().decode("utf-8", "replace")
                if "AIGC" in text:
                    stream.set_data(xmp.remove_label(text).encode("utf-8"))
            out = io.BytesIO()
            writer.write(out)
    except _broken() as exc:
        raise LabelError(f"cannot write PDF metadata: {exc}") from None
    return [out.getvalue()]


def _broken() -> tuple[type[BaseException], ...]:
    from pypdf.errors import PyPdfError

    return (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, AssertionError)


def read(src: Source | bytes) -> list[FoundLabel]:
    data = whole(src)
    with _quiet():
        try:
            return _read(_reader(data))
        except LabelError:
            raise
        except _broken() as exc:
            raise LabelError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None


def _read(reader: Any) -> list[FoundLabel]:
    out: list[FoundLabel] = []
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else {}
    for key, value in info.items():
        if "AIGC" in str(key).upper():
            out.append(found(str(value.get_object()), f"pdf:Info:{key}", "info-key"))
    stream = _xmp_stream(reader.trailer["/Root"].get_object())
    if stream is not None:
        try:
            text = stream.get_data().decode("utf-8", "replace")
        except Exception as exc:
            raise LabelError(f"corrupt XMP metadata stream in PDF: {exc}") from None
        out += [found(v, "pdf:Metadata:XMP", f) for f, v in xmp.find_values(text)]
    return out


def content_digest(src: Source | bytes) -> bytes:
    data = whole(src)
    h = hashlib.sha256()
    with _quiet():
        try:
            for page in _reader(data).pages:
                contents = page.get_contents()
                h.update(contents.get_data() if contents is not None else b"")
                h.update(repr([float(v) for v in page.mediabox]).encode())
        except LabelError:
            raise
        except _broken() as exc:
            raise LabelError(f"corrupt PDF: {type(exc).__name__}: {exc}") from None
    return h.digest()
