"""The TC260 XMP property ``<TC260:AIGC>`` (PG-20259A), shared by PNG, JPEG and WebP.

Packets are edited as text so that every other XMP property survives byte for byte: an existing
``AIGC`` element or attribute is removed and one element is written in a ``rdf:Description`` of
its own. Readers accept any prefix bound to the TC260 namespace, the element and the attribute
form, and HTML-escaped JSON.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, unescape

from hegui.errors import LabelError

__all__ = ["NS", "find_values", "new_packet", "remove_label", "set_label"]

NS = "http://www.tc260.org.cn/ns/AIGC/1.0/"
_DESCRIPTION = '<rdf:Description rdf:about="" xmlns:TC260="{ns}"><TC260:AIGC>{value}</TC260:AIGC></rdf:Description>'
_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{description}</rdf:RDF>'
    '</x:xmpmeta><?xpacket end="w"?>'
)
_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]*):AIGC\b[^>]*?>(.*?)</\1:AIGC\s*>", re.S)
_EMPTY_ELEMENT = re.compile(r"<([A-Za-z_][\w.-]*):AIGC\b[^>]*?/>")
_ATTRIBUTE = re.compile(r"""\s([A-Za-z_][\w.-]*):AIGC\s*=\s*("[^"]*"|'[^']*')""")
# A Description left empty once the label is removed (only our namespace, no content).
_HOLLOW = re.compile(
    r'<rdf:Description\s+rdf:about="[^"]*"\s+xmlns:TC260="'
    + re.escape(NS)
    + r'"\s*(?:/>|>\s*</rdf:Description>)'
)
_RDF_OPEN = re.compile(r"<rdf:RDF\b[^>]*>")


def _description(label_json: str) -> str:
    return _DESCRIPTION.format(ns=NS, value=escape(label_json))


def new_packet(label_json: str) -> str:
    """A minimal XMP packet holding only the label."""
    return _PACKET.format(description=_description(label_json))


def remove_label(packet: str) -> str:
    """``packet`` without any AIGC element or attribute (other properties untouched)."""
    packet = _ELEMENT.sub("", packet)
    packet = _EMPTY_ELEMENT.sub("", packet)
    packet = _ATTRIBUTE.sub("", packet)
    return _HOLLOW.sub("", packet)


def set_label(packet: str | None, label_json: str) -> str:
    """Return ``packet`` with exactly one ``<TC260:AIGC>`` element holding ``label_json``."""
    if not packet:
        return new_packet(label_json)
    cleaned = remove_label(packet)
    m = _RDF_OPEN.search(cleaned)
    if m is None:
        raise LabelError("existing XMP packet has no rdf:RDF element; refusing to overwrite it")
    return cleaned[: m.end()] + _description(label_json) + cleaned[m.end() :]


def find_values(packet: str) -> list[tuple[str, str]]:
    """Every AIGC value in ``packet`` as ``(form, text)``; text is XML-unescaped."""
    out = [
        ("xmp-element", unescape(m.group(2), {"&quot;": '"', "&apos;": "'"}))
        for m in _ELEMENT.finditer(packet)
    ]
    for m in _ATTRIBUTE.finditer(packet):
        out.append(("xmp-attribute", unescape(m.group(2)[1:-1], {"&quot;": '"', "&apos;": "'"})))
    return out
