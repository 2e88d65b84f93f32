"""Markdown: YAML front matter at the file head with an ``AIGC:`` mapping of the 7 fields
(TC260-PG-20258A). Values are written as double-quoted YAML strings, so they stay strings.

An existing front matter keeps its other keys; an existing ``AIGC`` entry (mapping or JSON string)
is replaced. Essence: the file with the AIGC entry removed (and the front matter too, when that
leaves it empty), trailing newlines ignored.
"""

from __future__ import annotations

import hashlib
import json
import re

from hegui.labeling.carriers.base import FoundLabel, whole
from hegui.labeling.carriers.textfile import decode, encode, newline_of
from hegui.labeling.model import FIELD_NAMES, ParsedLabel, parse, parse_mapping
from hegui.labeling.source import Piece, Source

NAME = "markdown"
_WHERE = "markdown:front-matter:AIGC"
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:^|\r?\n)---[ \t]*(?:\r?\n|\Z)", re.S)
# The AIGC key and its indented block (or inline value), up to the next top-level key.
_ENTRY = re.compile(r"^AIGC[ \t]*:[^\r\n]*(?:\r?\n[ \t]+[^\r\n]*)*", re.M)


def sniff(src: Source) -> bool:
    return False  # chosen by suffix or by a leading '---' (see carriers.detect)


def _split(text: str) -> tuple[str | None, str]:
    m = _FRONT.match(text)
    return (m.group(1), text[m.end() :]) if m else (None, text)


def _block(label_json: str, nl: str) -> str:
    fields = json.loads(label_json)
    return "AIGC:" + "".join(f'{nl}  {k}: "{fields[k]}"' for k in FIELD_NAMES)


def _strip(text: str) -> str:
    front, body = _split(text)
    if front is None:
        return text
    kept = _ENTRY.sub("", front).strip("\r\n")
    if not kept.strip():
        return body
    nl = newline_of(text)
    return f"---{nl}{kept}{nl}---{nl}{body}"


def plan(src: Source, label_json: str) -> list[Piece]:
    data = whole(src)
    text, bom = decode(data)
    nl = newline_of(text)
    front, body = _split(text)
    rest = _ENTRY.sub("", front).strip("\r\n") if front is not None else ""
    head = _block(label_json, nl) + (nl + rest if rest.strip() else "")
    return [encode(f"---{nl}{head}{nl}---{nl}{body}", bom)]


def read(src: Source | bytes) -> list[FoundLabel]:
    data = whole(src)
    import yaml

    text, _bom = decode(data)
    front, _body = _split(text)
    if front is None:
        return []
    out: list[FoundLabel] = []
    for m in _ENTRY.finditer(front):
        raw = m.group(0)
        try:
            value = yaml.safe_load(raw)["AIGC"]
        except (yaml.YAMLError, TypeError, KeyError) as exc:
            problem = f"AIGC entry is not valid YAML: {exc}".splitlines()[0]
            out.append(
                FoundLabel(raw, ParsedLabel(raw, problems=[problem]), _WHERE, "yaml-front-matter")
            )
            continue
        parsed = parse(value) if isinstance(value, str) else parse_mapping(value, raw=raw)
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            raw = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
        out.append(FoundLabel(raw, parsed, _WHERE, "yaml-front-matter"))
    return out


def content_digest(src: Source | bytes) -> bytes:
    data = whole(src)
    text, _bom = decode(data)
    return hashlib.sha256(_strip(text).rstrip("\r\n").encode("utf-8")).digest()
