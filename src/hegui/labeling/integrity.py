"""Optional integrity value in ``ReservedCode1`` (GB 45438 Annex E, TC260-PG-202511A in spirit).

``ReservedCode1 = "HMACSHA256:" + hex(HMAC-SHA256(key, sha256(content) || producer fields))``.
"content" is the carrier's *essence*: the bytes a label write never touches (image chunks,
audio frames, page content, …; each carrier documents its own), so labelling, relabelling and
propagation leave it unchanged while any edit of the media or of the producer fields breaks it.
The propagator fields are not covered: a platform may add them without invalidating the value.
"""

from __future__ import annotations

import hashlib
import hmac

from hegui.labeling.model import AigcLabel

__all__ = ["PREFIX", "is_integrity_value", "sign", "verify"]

PREFIX = "HMACSHA256:"


def _message(content_digest: bytes, label: AigcLabel) -> bytes:
    producer = f"{label.label},{label.content_producer},{label.produce_id}"
    return content_digest + b"\n" + producer.encode("ascii")


def sign(key: bytes, content_digest: bytes, label: AigcLabel) -> AigcLabel:
    """Return ``label`` with ``ReservedCode1`` set to the HMAC over content and producer fields."""
    mac = hmac.new(key, _message(content_digest, label), hashlib.sha256).hexdigest()
    return label.with_reserved1(PREFIX + mac)


def is_integrity_value(value: str) -> bool:
    """True when a ReservedCode1 value is in hegui's integrity format."""
    return value.startswith(PREFIX) and len(value) == len(PREFIX) + 64


def verify(key: bytes, content_digest: bytes, label: AigcLabel) -> bool:
    """True when ``label.reserved_code1`` matches content and producer fields under ``key``."""
    expected = hmac.new(key, _message(content_digest, label), hashlib.sha256).hexdigest()
    return hmac.compare_digest(PREFIX + expected, label.reserved_code1)
