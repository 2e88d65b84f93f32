"""Format-preserving masking: every masked character becomes ``*`` and the length never changes.

Because the masked text has the same length, spans found by other layers stay valid. ``partial``
keeps what people need to recognise their own data (``138****5678``, ``6222 **** **** 1234``)
and keeps separators; ``full`` stars every character of each entity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from hegui.errors import InputError
from hegui.safety.pii.base import PiiEntity, fold_width
from hegui.safety.pii.fold import fold_numerals
from hegui.safety.pii.names import split_surname

__all__ = ["MASK_STYLES", "mask", "mask_value"]

MASK_STYLES = ("partial", "full")
_STAR = "*"


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Star the ASCII letters and digits of ``value`` except the first ``head`` and last ``tail``.

    Full-width digits and Chinese numerals count as digits (``一三八…`` is masked like ``138…``).
    """
    folded = fold_numerals(fold_width(value))
    positions = [i for i, c in enumerate(folded) if c.isascii() and c.isalnum()]
    n = len(positions)
    if head + tail >= n:  # too short to keep both ends: keep a quarter at each end at most
        head = tail = n // 4
    hidden = set(positions[head : n - tail])
    return "".join(_STAR if i in hidden else c for i, c in enumerate(value))


def _mask_mobile(value: str) -> str:
    digits = sum(c.isdigit() for c in fold_numerals(fold_width(value)))
    return _keep_ends(value, digits - 11 + 3, 4)  # country code digits + 3 segment digits


def _mask_landline(value: str) -> str:
    """Keep the country code, the area code and the last two digits (``010-******34``)."""
    groups = re.findall(r"\d+", fold_width(value))
    total = sum(map(len, groups))
    country = len(groups[0]) if len(groups) > 1 and groups[0] in ("86", "0086") else 0
    area = country + (len(groups[country > 0]) if len(groups) > 1 else 3)
    return _keep_ends(value, area if area <= total - 6 else 3, 2)


def _mask_email(value: str) -> str:
    local, at, domain = value.partition("@")
    return local[:1] + _STAR * (len(local) - 1) + at + domain


def _mask_ipv4_or_v6(value: str) -> str:
    sep = ":" if ":" in value else "."
    parts = value.split(sep)
    return sep.join(
        p if i < 2 else re.sub(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ]", _STAR, p) for i, p in enumerate(parts)
    )


def _mask_plate(value: str) -> str:
    return value[:2] + _keep_ends(value[2:], 0, 2)


def _mask_person(value: str) -> str:
    if value.isascii():
        return re.sub(r"(?<=[A-Za-z])[A-Za-z]", _STAR, value)
    surname, rest = split_surname(value)
    return surname + _STAR * len(rest)


def _mask_address(value: str) -> str:
    m = re.match(r".*?[区县旗]", value) or re.match(r".*?市", value)
    keep = m.end() if m and m.end() < len(value) else min(3, len(value) // 2)
    return value[:keep] + "".join(c if c in " -" else _STAR for c in value[keep:])


_PARTIAL: dict[str, Callable[[str], str]] = {
    "CN_RESIDENT_ID": lambda v: _keep_ends(v, 6, 4),
    "CN_MOBILE": _mask_mobile,
    "CN_LANDLINE": _mask_landline,
    "PHONE": lambda v: _keep_ends(v, 3, 4),
    "BANK_CARD": lambda v: _keep_ends(v, 4, 4),
    "CN_USCC": lambda v: _keep_ends(v, 2, 4),
    "EMAIL": _mask_email,
    "PASSPORT": lambda v: _keep_ends(v, sum(c.isalpha() for c in v[:2]), 3),
    "IP_ADDRESS": _mask_ipv4_or_v6,
    "CN_PLATE": _mask_plate,
    "PERSON": _mask_person,
    "CN_ADDRESS": _mask_address,
}


def mask_value(value: str, entity_type: str, *, style: str = "partial") -> str:
    """Mask one entity value; the result has exactly ``len(value)`` characters."""
    if style == "full":
        return _STAR * len(value)
    if style != "partial":
        raise InputError(f"unknown mask style {style!r}; expected one of {', '.join(MASK_STYLES)}")
    partial = _PARTIAL.get(entity_type)
    if partial is None:  # an entity type this module does not know: hide all of it
        return _STAR * len(value)
    masked = partial(value)
    return masked if len(masked) == len(value) else _STAR * len(value)


def mask(text: str, entities: Iterable[PiiEntity] | None = None, *, style: str = "partial") -> str:
    """``text`` with personal information masked in place (same length, same positions).

    ``entities`` defaults to ``analyze(text)``; overlapping entities are resolved first (higher
    score, then longer span wins), and every span must lie inside ``text``.
    """
    from hegui.safety.pii.registry import analyze, resolve_overlaps

    if style not in MASK_STYLES:
        raise InputError(f"unknown mask style {style!r}; expected one of {', '.join(MASK_STYLES)}")
    chosen = analyze(text) if entities is None else resolve_overlaps(entities)
    parts: list[str] = []
    pos = 0
    for e in chosen:
        if not 0 <= e.start <= e.end <= len(text):
            raise InputError(
                f"entity span {e.start}:{e.end} lies outside a text of {len(text)} characters"
            )
        parts.append(text[pos : e.start])
        parts.append(mask_value(text[e.start : e.end], e.entity_type, style=style))
        pos = e.end
    parts.append(text[pos:])
    return "".join(parts)
