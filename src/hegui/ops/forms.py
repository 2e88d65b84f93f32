"""Checks shared by every form-backed ops function: sizes, required text, tracking numbers.

Tracking numbers are what a member of the public holds instead of an account: 100 random bits in
Crockford base32 (``C-XXXX-XXXX-XXXX-XXXX-XXXX``), stored only as their sha256, so the database
alone cannot be used to read someone's complaint.
"""

from __future__ import annotations

import hashlib
import secrets

from hegui.errors import InputError

__all__ = ["hash_tracking", "new_tracking", "normalise_tracking", "optional_text", "required_text"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def required_text(value: str | None, field: str, limit: int) -> str:
    """Stripped text that must be non-empty and at most ``limit`` characters."""
    text = (value or "").strip()
    if not text:
        raise InputError(f"{field} must not be empty")
    if len(text) > limit:
        raise InputError(f"{field} is longer than {limit} characters")
    return text


def optional_text(value: str | None, field: str, limit: int) -> str | None:
    """Like :func:`required_text`, but empty means None."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise InputError(f"{field} is longer than {limit} characters")
    return text


def new_tracking(prefix: str) -> str:
    """A fresh tracking number, e.g. ``C-7K3M-…`` (20 base32 characters, 100 bits)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(20))
    return prefix + "-" + "-".join(chars[i : i + 4] for i in range(0, 20, 4))


def normalise_tracking(value: str) -> str:
    """Upper case, no spaces; the confusable letters I, L, O read as 1, 1, 0 (Crockford)."""
    text = "".join(value.split()).upper()
    head, _, body = text.partition("-")
    body = body.translate(str.maketrans("ILO", "110"))
    return f"{head}-{body}" if body else text


def hash_tracking(value: str) -> str:
    return hashlib.sha256(normalise_tracking(value).encode("ascii", "replace")).hexdigest()
