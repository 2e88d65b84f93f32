"""AES-GCM content encryption, key handling and HMAC pseudonyms."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from hegui.errors import ConfigError, StoreError
from hegui.store.crypto import Keyring, default_key_path, load_master_key, parse_key

KEY = bytes(range(32))


def test_round_trip_and_random_nonce() -> None:
    ring = Keyring(KEY)
    a, b = ring.encrypt("违规内容 evidence", "usage"), ring.encrypt("违规内容 evidence", "usage")
    assert a != b
    assert "违规内容".encode() not in a
    assert ring.decrypt_text(a, "usage") == ring.decrypt_text(b, "usage") == "违规内容 evidence"


@pytest.mark.parametrize("position", [0, 1, 6, 20, -1])
def test_any_flipped_byte_is_detected(position: int) -> None:
    ring = Keyring(KEY)
    blob = bytearray(ring.encrypt("secret", "usage"))
    blob[position] ^= 0x01
    with pytest.raises(StoreError):
        ring.decrypt(bytes(blob), "usage")


def test_wrong_context_or_wrong_key_is_rejected() -> None:
    blob = Keyring(KEY).encrypt("secret", "incident:1")
    with pytest.raises(StoreError):
        Keyring(KEY).decrypt(blob, "incident:2")
    with pytest.raises(StoreError, match="unknown key"):
        Keyring(bytes(32)).decrypt(blob, "incident:1")
    with pytest.raises(StoreError, match="malformed"):
        Keyring(KEY).decrypt(b"\x01short", "incident:1")


def test_retired_key_still_opens_old_blobs() -> None:
    old = Keyring(KEY).encrypt("old", "usage")
    rotated = Keyring(bytes(32), old_keys=(KEY,))
    assert rotated.decrypt_text(old, "usage") == "old"
    assert rotated.encrypt("new", "usage")[1:5] != old[1:5]


def test_pseudonym_is_stable_keyed_and_not_the_id() -> None:
    a, b = Keyring(KEY), Keyring(bytes(32))
    assert a.pseudonym("acc1") == Keyring(KEY).pseudonym("acc1")
    assert a.pseudonym("acc1") != a.pseudonym("acc2")
    assert a.pseudonym("acc1") != b.pseudonym("acc1")
    assert "acc1" not in a.pseudonym("acc1")


def test_key_file_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = default_key_path(tmp_path / "hegui.db")
    assert path == tmp_path / "hegui.db.key"
    first = load_master_key(None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(None, path) == first
    assert default_key_path(None) == Path(".hegui") / "secret.key"


def test_configured_key_wins_and_is_validated(tmp_path: Path) -> None:
    configured = base64.b64encode(KEY).decode()
    assert load_master_key(configured, tmp_path / "unused.key") == KEY
    assert not (tmp_path / "unused.key").exists()
    with pytest.raises(ConfigError, match="32 bytes"):
        parse_key(base64.b64encode(b"short").decode())
    with pytest.raises(ConfigError, match="base64"):
        parse_key("not base64!!")
