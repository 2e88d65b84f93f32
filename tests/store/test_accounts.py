"""Accounts, API keys and agreements as ops functions over a real database."""

from __future__ import annotations

import pytest

from hegui.errors import InputError
from hegui.ops import accounts, agreements, keys
from hegui.ops.records import AgeBand, Sanction
from hegui.store import audit
from hegui.store.db import Store
from hegui.store.schema import api_keys

from .conftest import NOW


def _account(store: Store, band: AgeBand = AgeBand.ADULT) -> accounts.Account:
    return store.write(
        lambda c: accounts.create_account(c, name="用户甲", age_band=band, actor="test", now=NOW)
    )


def _actions(store: Store) -> list[str]:
    with store.read() as conn:
        return [
            r.action
            for r in conn.execute(audit.audit_events.select().order_by(audit.audit_events.c.seq))
        ]


def test_new_account_defaults_and_audit(store: Store) -> None:
    acc = _account(store, AgeBand.UNDER_16)
    assert (acc.age_band, acc.sanction, acc.agreement_version, acc.training_opt_out) == (
        AgeBand.UNDER_16,
        Sanction.NORMAL,
        None,
        False,
    )
    assert acc.created_at == NOW
    assert _actions(store) == ["account.create"]


def test_account_changes_are_audited(store: Store) -> None:
    acc = _account(store)
    store.write(lambda c: accounts.set_age_band(c, acc.id, AgeBand.AGE_16_17, actor="t"))
    changed = store.write(lambda c: accounts.set_training_opt_out(c, acc.id, True, actor="t"))
    assert changed.age_band is AgeBand.AGE_16_17 and changed.training_opt_out
    assert _actions(store) == ["account.create", "account.age_band", "account.training_opt_out"]
    with store.read() as conn:
        assert audit.verify(conn).ok


@pytest.mark.parametrize("bad", ["", "   ", "x" * 201])
def test_bad_account_names_are_refused(store: Store, bad: str) -> None:
    with pytest.raises(InputError):
        store.write(
            lambda c: accounts.create_account(c, name=bad, age_band=AgeBand.ADULT, actor="t")
        )


def test_unknown_age_band_and_account_are_input_errors(store: Store) -> None:
    with pytest.raises(InputError, match="age band"):
        accounts.parse_age_band("child")
    with store.read() as conn, pytest.raises(InputError, match="no account"):
        accounts.get_account(conn, "missing")


def test_key_is_hashed_verified_and_revocable(store: Store) -> None:
    acc = _account(store)
    new = store.write(lambda c: keys.create_key(c, acc.id, actor="t"))
    assert new.api_key.startswith(f"hg-{new.key_id}-")
    assert keys.parse_api_key(new.api_key) == new.key_id
    with store.read() as conn:
        stored = conn.execute(api_keys.select()).one()
        row = keys.lookup_key(conn, new.key_id)
    assert stored.secret_hash != new.api_key and new.api_key not in stored.secret_hash
    assert stored.secret_hash.startswith("$argon2id$")
    assert row is not None and row.id == acc.id
    assert keys.verify_secret(row.secret_hash, new.api_key)
    assert not keys.verify_secret(row.secret_hash, new.api_key[:-1] + "x")
    assert store.write(lambda c: keys.revoke_key(c, new.key_id, actor="t")) == acc.id
    with store.read() as conn:
        assert keys.lookup_key(conn, new.key_id) is None
        assert keys.list_keys(conn, acc.id)[0]["revoked_at"] is not None
    with pytest.raises(InputError, match="already revoked"):
        store.write(lambda c: keys.revoke_key(c, new.key_id, actor="t"))
    assert _actions(store)[-2:] == ["key.create", "key.revoke"]


@pytest.mark.parametrize("presented", ["", "sk-abc", "hg-123-abc", "hg-zzzzzzzzzzzz-" + "a" * 43])
def test_malformed_keys_have_no_key_id(presented: str) -> None:
    assert keys.parse_api_key(presented) is None


def test_key_for_unknown_account_is_refused(store: Store) -> None:
    with pytest.raises(InputError):
        store.write(lambda c: keys.create_key(c, "missing", actor="t"))


def test_agreement_publish_accept_and_current(store: Store) -> None:
    acc = _account(store)
    with store.read() as conn:
        assert agreements.current_agreement(conn) is None
    with pytest.raises(InputError, match="no agreement"):
        store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="t"))
    store.write(
        lambda c: agreements.publish_agreement(
            c, "v1", "https://e/v1", text="条款", actor="t", now=NOW
        )
    )
    assert (
        store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="t")).agreement_version
        == "v1"
    )
    later = NOW.replace(hour=5)
    store.write(
        lambda c: agreements.publish_agreement(c, "v2", "https://e/v2", actor="t", now=later)
    )
    with store.read() as conn:
        current = agreements.current_agreement(conn)
        assert current is not None and current.version == "v2"
        assert accounts.get_account(conn, acc.id).agreement_version == "v1"  # must accept again
    store.write(lambda c: agreements.accept_agreement(c, acc.id, "v2", actor="t"))
    with store.read() as conn:
        assert [a["version"] for a in agreements.acceptances(conn, acc.id)] == ["v1", "v2"]
    with pytest.raises(InputError, match="already published"):
        store.write(lambda c: agreements.publish_agreement(c, "v1", "https://e", actor="t"))
    with pytest.raises(InputError, match="no agreement 'v9'"):
        store.write(lambda c: agreements.accept_agreement(c, acc.id, "v9", actor="t"))
