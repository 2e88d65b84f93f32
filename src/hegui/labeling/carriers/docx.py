"""OOXML (DOCX, XLSX, PPTX): custom property ``AIGC`` in ``docProps/custom.xml`` as ``vt:lpwstr``
holding the bare 7-field JSON (TC260-PG-20258A §6.1).

The part is registered in ``[Content_Types].xml`` and ``_rels/.rels`` when missing. The ZIP is
rewritten entry by entry with each entry's own name, date and compression, so every other part
keeps its content. Essence: every part except the three we edit (name + content, sorted).
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from xml.sax.saxutils import escape, unescape

from hegui.errors import LabelError
from hegui.labeling.carriers.base import FoundLabel, found, whole
from hegui.labeling.source import Piece, Source

NAME = "docx"
_CUSTOM = "docProps/custom.xml"
_TYPES = "[Content_Types].xml"
_RELS = "_rels/.rels"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
)
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_EMPTY_CUSTOM = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>'
)
_PROPERTY = re.compile(r"<property\b[^>]*\bname=\"([^\"]*)\"[^>]*>(.*?)</property>", re.S)
_LPWSTR = re.compile(r"<vt:lpwstr>(.*?)</vt:lpwstr>|<vt:lpwstr\s*/>", re.S)
_PID = re.compile(r"\bpid=\"(\d+)\"")
_MAX_PART = 8 * 1024 * 1024
# What zipfile raises on damaged archives (a flipped compression-method byte gives NotImplementedError).
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    OSError,
    EOFError,
    NotImplementedError,
    zlib.error,
    UnicodeDecodeError,
)


def sniff(src: Source) -> bool:
    data = src.buf
    return src.startswith(b"PK\x03\x04") and (
        data.find(_TYPES.encode(), 0, 4096) >= 0
        or data.find(_TYPES.encode(), max(0, len(data) - 65536)) >= 0
    )


def _open(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as exc:
        raise LabelError(f"corrupt or truncated OOXML (zip) file: {exc}") from None


def _part(z: zipfile.ZipFile, name: str) -> str | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > _MAX_PART:
        raise LabelError(f"{name} is too large")
    try:
        return z.read(info).decode("utf-8")
    except _ZIP_ERRORS as exc:
        raise LabelError(f"corrupt part {name}: {exc}") from None


def _custom_xml(existing: str | None, label_json: str) -> str:
    text = _PROPERTY.sub(
        lambda m: "" if "AIGC" in m.group(1).upper() else m.group(0), existing or _EMPTY_CUSTOM
    )
    pid = max([int(p) for p in _PID.findall(text)] + [1]) + 1
    prop = f'<property fmtid="{_FMTID}" pid="{pid}" name="AIGC"><vt:lpwstr>{escape(label_json)}</vt:lpwstr></property>'
    if "</Properties>" not in text:
        raise LabelError("docProps/custom.xml has no Properties element")
    return text.replace("</Properties>", prop + "</Properties>", 1)


def _types_xml(text: str) -> str:
    if 'PartName="/docProps/custom.xml"' in text:
        return text
    override = f'<Override PartName="/docProps/custom.xml" ContentType="{_CUSTOM_TYPE}"/>'
    return text.replace("</Types>", override + "</Types>", 1)


def _rels_xml(text: str) -> str:
    if _CUSTOM_REL in text:
        return text
    ids = set(re.findall(r'\bId="([^"]+)"', text))
    rid = next(f"rId{i}" for i in range(1, len(ids) + 2) if f"rId{i}" not in ids)
    rel = f'<Relationship Id="{rid}" Type="{_CUSTOM_REL}" Target="docProps/custom.xml"/>'
    return text.replace("</Relationships>", rel + "</Relationships>", 1)


def plan(src: Source, label_json: str) -> list[Piece]:
    data = whole(src)
    with _open(data) as z:
        types, rels = _part(z, _TYPES), _part(z, _RELS)
        if (
            types is None
            or rels is None
            or "</Types>" not in types
            or "</Relationships>" not in rels
        ):
            raise LabelError("not an OOXML package: [Content_Types].xml or _rels/.rels missing")
        new = {
            _CUSTOM: _custom_xml(_part(z, _CUSTOM), label_json),
            _TYPES: _types_xml(types),
            _RELS: _rels_xml(rels),
        }
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as dst:
            for info in z.infolist():
                if info.filename in new:
                    dst.writestr(info, new.pop(info.filename).encode("utf-8"))
                else:
                    try:
                        dst.writestr(info, z.read(info))
                    except _ZIP_ERRORS as exc:
                        raise LabelError(f"corrupt part {info.filename}: {exc}") from None
            for name, text in new.items():
                dst.writestr(
                    zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)),
                    text.encode("utf-8"),
                    zipfile.ZIP_DEFLATED,
                )
    return [out.getvalue()]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = whole(src)
    with _open(data) as z:
        try:
            text, intact = _part(z, _CUSTOM), True
        except LabelError:  # CRC mismatch: the part was edited after the zip was written
            text, intact = _raw_part(data, z.getinfo(_CUSTOM)), False
    out: list[FoundLabel] = []
    for name, body in _PROPERTY.findall(text or ""):
        if "AIGC" in name.upper():
            m = _LPWSTR.search(body)
            value = unescape(m.group(1) or "", {"&quot;": '"', "&apos;": "'"}) if m else ""
            out.append(found(value, f"docx:{_CUSTOM}:{name}", "custom-property", intact=intact))
    return out


def _raw_part(data: bytes, info: zipfile.ZipInfo) -> str:
    """The part's text decoded without the CRC check, to report *where* a tampered label is."""
    at = info.header_offset
    start = (
        at
        + 30
        + int.from_bytes(data[at + 26 : at + 28], "little")
        + int.from_bytes(data[at + 28 : at + 30], "little")
    )
    blob = data[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        blob = zlib.decompressobj(-15).decompress(blob, _MAX_PART)
    return blob.decode("utf-8", "replace")


def content_digest(src: Source | bytes) -> bytes:
    data = whole(src)
    h = hashlib.sha256()
    with _open(data) as z:
        for info in sorted(z.infolist(), key=lambda i: i.filename):
            if info.filename not in (_CUSTOM, _TYPES, _RELS):
                try:
                    body = z.read(info)
                except _ZIP_ERRORS as exc:
                    raise LabelError(f"corrupt part {info.filename}: {exc}") from None
                h.update(info.filename.encode() + b"\0" + hashlib.sha256(body).digest())
    return h.digest()
