"""HTML (not covered by GB 45438; hegui's declared convention, common in practice):
``<meta name="AIGC" content='{…}'>`` inside ``<head>``.

Single quotes delimit the attribute because the JSON is full of double quotes and Annex E values
cannot contain ``'``-breaking characters other than ``'`` itself, which is escaped as ``&#39;``.
Read accepts either quote style and entity-escaped JSON. Essence: the file without AIGC meta tags.
"""

from __future__ import annotations

import hashlib
import html
import re

from hegui.labeling.carriers.base import FoundLabel, found, whole
from hegui.labeling.carriers.textfile import decode, encode
from hegui.labeling.source import Piece, Source

NAME = "html"
_META = re.compile(
    r"""<meta\s+(?=[^>]*\bname\s*=\s*["']?AIGC["'\s/>])[^>]*?\bcontent\s*=\s*("[^"]*"|'[^']*')[^>]*>""",
    re.I,
)
_ANY_META = re.compile(r"""<meta\s[^>]*\bname\s*=\s*["']?AIGC["'\s/>][^>]*>""", re.I)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)
_HTML = re.compile(r"<html\b[^>]*>", re.I)


def sniff(src: Source) -> bool:
    return False  # chosen by suffix or a leading doctype (see carriers.detect)


def _tag(label_json: str) -> str:
    return (
        '<meta name="AIGC" content=\''
        + html.escape(label_json, quote=False).replace("'", "&#39;")
        + "'>"
    )


def plan(src: Source, label_json: str) -> list[Piece]:
    data = whole(src)
    text, bom = decode(data)
    text = _ANY_META.sub("", text)
    tag = _tag(label_json)
    head = _HEAD.search(text)
    if head:
        text = text[: head.end()] + tag + text[head.end() :]
    elif (root := _HTML.search(text)) is not None:
        text = text[: root.end()] + "<head>" + tag + "</head>" + text[root.end() :]
    else:
        text = tag + text
    return [encode(text, bom)]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = whole(src)
    text, _bom = decode(data)
    return [
        found(html.unescape(m.group(1)[1:-1]), "html:head:meta[name=AIGC]", "html-meta")
        for m in _META.finditer(text)
    ]


def content_digest(src: Source | bytes) -> bytes:
    data = whole(src)
    text, _bom = decode(data)
    return hashlib.sha256(_ANY_META.sub("", text).encode("utf-8")).digest()
