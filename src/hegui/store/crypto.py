"""Content encryption (AES-256-GCM) and pseudonyms (HMAC-SHA256) from one master key.

The master key comes from ``StoreSettings.secret_key`` (base64 of 32 bytes) or, when unset, from a
key file created once with 0600 permissions: next to the SQLite database (``<db>.key``) or in
``./.hegui/secret.key`` otherwise. Separate sub-keys for encryption and pseudonyms are derived
with HKDF, so the master key itself never touches data.

A sealed blob is ``b"\\x01" + key_id (4 bytes) + nonce (12 bytes) + ciphertext+tag``; the key id
lets old blobs be read after a key rotation (pass the retired keys as ``old_keys``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hegui.errors import ConfigError, StoreError

__all__ = ["Keyring", "default_key_path", "existing_master_key", "load_master_key", "parse_key"]

_VERSION = b"\x01"
_NONCE = 12
_KID = 4


def parse_key(value: str) -> bytes:
    """Decode a base64 master key, insisting on 32 bytes."""
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("store.secret_key is not valid base64") from None
    if len(key) != 32:
        raise ConfigError(f"store.secret_key must decode to 32 bytes, got {len(key)}")
    return key


def default_key_path(db_path: Path | None) -> Path:
    """Where the generated key lives: beside the SQLite file, else ``./.hegui/secret.key``."""
    if db_path is not None:
        return db_path.with_name(db_path.name + ".key")
    return Path(".hegui") / "secret.key"


def existing_master_key(secret_key: str | None, key_path: Path) -> bytes | None:
    """The configured key, else the one in ``key_path``; None when neither exists (never made:
    for jobs that must not act under a new key, such as the retention purge of end users)."""
    if secret_key:
        return parse_key(secret_key)
    try:
        return parse_key(key_path.read_text(encoding="ascii"))
    except FileNotFoundError:
        return None


def load_master_key(secret_key: str | None, key_path: Path) -> bytes:
    """The configured key, else the one in ``key_path`` (created with 0600 on first use)."""
    found = existing_master_key(secret_key, key_path)
    if found is not None:
        return found
    key_path.parent.mkdir(parents=True, exist_ok=True)
    encoded = base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return parse_key(key_path.read_text(encoding="ascii"))
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(encoded + "\n")
    return parse_key(encoded)


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def _key_id(master: bytes) -> bytes:
    return hashlib.sha256(b"hegui key id" + master).digest()[:_KID]


class Keyring:
    """Seals and opens content with the current key; opens blobs of retired keys too."""

    def __init__(self, master: bytes, old_keys: tuple[bytes, ...] = ()) -> None:
        self._kid = _key_id(master)
        self._aead = {_key_id(k): AESGCM(_derive(k, b"hegui content v1")) for k in old_keys}
        self._aead[self._kid] = AESGCM(_derive(master, b"hegui content v1"))
        self._pseudonym_key = _derive(master, b"hegui pseudonym v1")

    @property
    def key_id(self) -> str:
        return self._kid.hex()

    def encrypt(self, plaintext: str | bytes, context: str) -> bytes:
        """Seal ``plaintext``; ``context`` (e.g. ``"usage"``) is bound as associated data."""
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead[self._kid].encrypt(nonce, data, context.encode("utf-8"))
        return _VERSION + self._kid + nonce + sealed

    def decrypt(self, blob: bytes, context: str) -> bytes:
        """Open a sealed blob; any change to it (or the wrong context) raises StoreError."""
        if len(blob) < 1 + _KID + _NONCE + 16 or blob[:1] != _VERSION:
            raise StoreError("encrypted content is malformed")
        kid, nonce, sealed = (
            blob[1 : 1 + _KID],
            blob[1 + _KID : 1 + _KID + _NONCE],
            blob[1 + _KID + _NONCE :],
        )
        aead = self._aead.get(kid)
        if aead is None:
            raise StoreError(f"encrypted with unknown key {kid.hex()}")
        try:
            return aead.decrypt(nonce, sealed, context.encode("utf-8"))
        except InvalidTag:
            raise StoreError(
                "encrypted content failed authentication (tampered or wrong key)"
            ) from None

    def decrypt_text(self, blob: bytes, context: str) -> str:
        return self.decrypt(blob, context).decode("utf-8")

    def pseudonym(self, account_id: str) -> str:
        """Stable, keyed pseudonym of an account: the only identity written to usage records."""
        digest = hmac.new(self._pseudonym_key, account_id.encode("utf-8"), hashlib.sha256)
        return "p_" + digest.hexdigest()[:40]
