"""Signed anchors of the audit chain's head, to publish outside the database.

Why: whoever controls the database can delete the newest events and set ``audit_head`` back by
one UPDATE, or rewrite the whole chain; nothing inside the database can tell. An *anchor* is the
head (sequence number and hash) at a moment, signed with an Ed25519 key derived from the master
key (HKDF, its own purpose string), printed by ``hegui audit anchor`` to be published where the
database administrator cannot change it (a daily e-mail to compliance, a ticket, a public page).
``hegui audit verify --anchor FILE`` checks that the chain still holds that event with that hash:
a chain cut below it, or rewritten through it, no longer does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, select

from hegui.errors import InputError
from hegui.store.audit import canonical
from hegui.store.schema import audit_events, audit_head, utcnow

__all__ = ["FORMAT", "AnchorCheck", "check_anchor", "make_anchor", "parse_anchor", "public_key"]

FORMAT = "hegui-audit-anchor/1"
_FIELDS = ("format", "seq", "hash", "at", "public_key")


def _signing_key(master: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"hegui audit anchor v1")
    return Ed25519PrivateKey.from_private_bytes(seed.derive(master))


def public_key(master: bytes) -> str:
    """The hex public key anchors made with ``master`` carry (publish it once, with the first)."""
    raw = (
        _signing_key(master)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return raw.hex()


def make_anchor(conn: Connection, master: bytes, *, now: datetime | None = None) -> dict[str, Any]:
    """The current head, signed: ``{format, seq, hash, at, public_key, signature}``."""
    head = conn.execute(select(audit_head).where(audit_head.c.id == 1)).one()
    body: dict[str, Any] = {
        "format": FORMAT,
        "seq": head.seq,
        "hash": head.hash,
        "at": (now or utcnow()).isoformat(),
        "public_key": public_key(master),
    }
    signature = _signing_key(master).sign(canonical(body).encode("utf-8"))
    return {**body, "signature": signature.hex()}


def parse_anchor(text: str) -> dict[str, Any]:
    """An anchor read back from a file; an :class:`InputError` names what is wrong with it."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"anchor is not JSON: {exc.msg}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f"not a hegui audit anchor (format {FORMAT!r} expected)")
    missing = [k for k in (*_FIELDS, "signature") if k not in doc]
    if missing:
        raise InputError(f"anchor lacks {', '.join(missing)}")
    if not isinstance(doc["seq"], int) or doc["seq"] < 0:
        raise InputError("anchor seq must be a non-negative integer")
    return doc


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    signature_ok: bool
    own_key: bool | None  # signed with this deployment's key (None: key not available)
    holds: bool  # the chain still has the anchored event with the anchored hash
    message: str

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.own_key is not False and self.holds

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "signature_ok": self.signature_ok,
            "own_key": self.own_key,
            "holds": self.holds,
            "message": self.message,
        }


def check_anchor(conn: Connection, anchor: dict[str, Any], master: bytes | None) -> AnchorCheck:
    """Is ``anchor`` genuine, and does the chain still contain what it vouches for?"""
    body = {k: anchor[k] for k in _FIELDS}
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(anchor["public_key"]))
        key.verify(bytes.fromhex(anchor["signature"]), canonical(body).encode("utf-8"))
        signature_ok = True
    except (ValueError, InvalidSignature):
        signature_ok = False
    own = None if master is None else anchor["public_key"] == public_key(master)
    seq, expected = anchor["seq"], anchor["hash"]
    if seq == 0:
        holds, message = True, "anchor at the empty chain"
    else:
        found = conn.execute(
            select(audit_events.c.hash).where(audit_events.c.seq == seq)
        ).scalar_one_or_none()
        head = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1)).scalar_one()
        if found is None:
            holds = False
            message = f"event {seq} is gone: the chain was cut below the anchor (head {head})"
        elif found != expected:
            holds = False
            message = f"event {seq} has another hash: the chain was rewritten since the anchor"
        else:
            holds, message = True, f"event {seq} still has the anchored hash (head now {head})"
    if not signature_ok:
        message = "the anchor's signature is not valid; " + message
    elif own is False:
        message = "the anchor was signed with another key; " + message
    return AnchorCheck(signature_ok, own, holds, message)
