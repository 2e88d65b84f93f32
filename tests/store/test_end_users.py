"""End users' records and admin tokens: the rules, on SQLite and PostgreSQL (issue 14)."""

from __future__ import annotations

import base64
import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from hegui.errors import InputError
from hegui.ops import accounts, admin_tokens, agreements, end_users, sanctions
from hegui.ops.cli_admin import SCOPE_HELP
from hegui.ops.records import AgeBand, Sanction
from hegui.store.audit_records import verify_records
from hegui.store.crypto import Keyring
from hegui.store.db import Store
from hegui.store.schema import end_users as end_users_table
from hegui.store.schema import utcnow

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
KEYRING = Keyring(base64.b64decode(base64.b64encode(bytes(range(32)))))


def _app(store: Store, band: AgeBand = AgeBand.ADULT) -> str:
    made = store.write(lambda c: accounts.create_account(c, name="app", age_band=band, actor="t"))
    return made.id


@pytest.mark.parametrize(
    "value",
    ["", "  ", "\t", "a\nb", "a\x00b", "a\x7fb", "x" * 129, 7, None, ["a"], {"id": 1}, 1.5],
)
def test_bad_end_user_ids_are_input_errors(value: object) -> None:
    with pytest.raises(InputError):
        end_users.check_end_user_id(value, 128)


@pytest.mark.parametrize("value", ["a", "user-42", "alice@example.com", "张三", "x" * 128, "a b"])
def test_good_end_user_ids_pass_unchanged(value: str) -> None:
    assert end_users.check_end_user_id(value, 128) == value


def test_the_hash_is_keyed_per_app_and_hides_the_id() -> None:
    h1 = end_users.external_hash(KEYRING, "app1", "alice")
    assert h1 == end_users.external_hash(KEYRING, "app1", "alice")
    assert h1 != end_users.external_hash(KEYRING, "app2", "alice")
    other = Keyring(bytes(32))
    assert h1 != end_users.external_hash(other, "app1", "alice")
    assert "alice" not in h1 and len(h1) <= 64


def test_first_sight_creates_once_inherits_the_app_band_and_is_sealed(store: Store) -> None:
    app = _app(store, AgeBand.UNDER_16)
    h = end_users.external_hash(KEYRING, app, "kid")
    first = store.write(lambda c: end_users.ensure_end_user(c, app, h))
    again = store.write(lambda c: end_users.ensure_end_user(c, app, h))
    assert first.id == again.id and first.app_account_id == app
    assert first.age_band == "under_16" and first.agreement_version is None
    assert [a.id for a in store.write(accounts.list_accounts)] == [app]
    with store.read() as conn:
        assert verify_records(conn).ok


def test_racing_first_sights_make_one_end_user(store: Store) -> None:
    app = _app(store)
    h = end_users.external_hash(KEYRING, app, "racer")
    ids: list[str] = []
    barrier = threading.Barrier(4)

    def go() -> None:
        barrier.wait()
        ids.append(store.write(lambda c: end_users.ensure_end_user(c, app, h)).id)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1
    with store.read() as conn:
        assert len(list(conn.execute(select(end_users_table)))) == 1


def test_an_end_user_has_its_own_agreement_band_and_sanction(store: Store) -> None:
    app = _app(store)
    store.write(lambda c: agreements.publish_agreement(c, "v1", "https://x.test", actor="t"))
    eu = store.write(
        lambda c: end_users.ensure_end_user(c, app, end_users.external_hash(KEYRING, app, "a"))
    ).id
    state = store.write(lambda c: end_users.update(c, eu, "app:x", agreement="current"))
    assert state["agreement_version"] == "v1"
    state = store.write(lambda c: end_users.update(c, eu, "app:x", age_band=AgeBand.AGE_16_17))
    assert state["age_band"] == "16_17"
    store.write(lambda c: sanctions.set_sanction(c, eu, Sanction.SUSPENDED, reason="r", actor="t"))
    assert store.write(lambda c: accounts.get_account(c, app)).sanction is Sanction.NORMAL
    assert store.write(lambda c: accounts.get_account(c, app)).agreement_version is None
    page = store.write(lambda c: end_users.list_end_users(c, app))
    assert [p["sanction"] for p in page] == ["suspended"]
    with pytest.raises(InputError):
        store.write(lambda c: end_users.update(c, app, "t", agreement="current"))  # not one
    with pytest.raises(InputError):  # no end users of end users
        store.write(lambda c: end_users.ensure_end_user(c, eu, "p_x"))


def test_end_user_pages_follow_the_after_cursor(store: Store) -> None:
    app = _app(store)
    for i in range(5):
        h = end_users.external_hash(KEYRING, app, f"u{i}")
        store.write(lambda c, h=h: end_users.ensure_end_user(c, app, h))
    first = store.write(lambda c: end_users.list_end_users(c, app, limit=3))
    rest = store.write(lambda c: end_users.list_end_users(c, app, after=first[-1]["id"]))
    ids = [r["id"] for r in first + rest]
    assert len(ids) == 5 and ids == sorted(ids)
    with pytest.raises(InputError):
        store.write(lambda c: end_users.list_end_users(c, app, limit=0))


def test_admin_tokens_are_scoped_hashed_and_revocable(store: Store) -> None:
    new = store.write(
        lambda c: admin_tokens.create_token(c, "ci", ["accounts:read,keys:write"], actor="t")
    )
    assert new.scopes == ("accounts:read", "keys:write")
    assert admin_tokens.parse_admin_token(new.token) == new.token_id
    with store.read() as conn:
        found = admin_tokens.find_token(conn, new.token_id)
        listed = admin_tokens.list_tokens(conn)
    assert found is not None and new.token not in found[0]  # only the argon2 hash is kept
    assert admin_tokens.verify_token(found[0], new.token)
    assert not admin_tokens.verify_token(found[0], new.token + "x")
    assert not admin_tokens.verify_token(None, new.token)
    assert "secret_hash" not in listed[0]
    store.write(lambda c: admin_tokens.revoke_token(c, new.token_id, actor="t"))
    with store.read() as conn:
        assert admin_tokens.find_token(conn, new.token_id) is None
        assert verify_records(conn).ok
    with pytest.raises(InputError):
        store.write(lambda c: admin_tokens.revoke_token(c, new.token_id, actor="t"))


@pytest.mark.parametrize("scopes", [[], ["accounts:rule"], ["keys:write", "root"]])
def test_unknown_or_missing_scopes_are_input_errors(scopes: list[str]) -> None:
    with pytest.raises(InputError):
        admin_tokens.parse_scopes(scopes)


def test_star_grants_every_scope_and_the_cli_help_names_them_all() -> None:
    assert admin_tokens.parse_scopes(["*"]) == tuple(sorted(admin_tokens.SCOPES))
    assert SCOPE_HELP.split(", ") == list(admin_tokens.SCOPES)


def test_the_cache_answers_from_memory_drops_on_forget_and_expires_timed_sanctions(
    store: Store,
) -> None:
    import asyncio
    from datetime import timedelta

    from hegui.config import Settings
    from hegui.ops.end_user_cache import EndUserCache
    from hegui.ops.records import AccountView

    app_id = _app(store)
    now = [NOW]
    cache = EndUserCache(Settings(), lambda: now[0])
    cache.bind(store, KEYRING)
    app = AccountView(app_id, "p", AgeBand.ADULT, None, Sanction.NORMAL, None, None, False, "k1")

    async def go() -> None:
        first = await cache.resolve(app, "ann")
        assert first.app_account_id == app_id and first.key_id == "k1"
        assert (await cache.resolve(app, "ann")) is first  # memory, no new view
        assert (await cache.resolve(replace(app, key_id="k2"), "ann")).key_id == "k2"
        until = NOW + timedelta(hours=1)
        store.write(
            lambda c: sanctions.set_sanction(
                c, first.account_id, Sanction.SUSPENDED, reason="r", actor="t", until=until, now=NOW
            )
        )
        assert (await cache.resolve(app, "ann")).sanction is Sanction.NORMAL  # still cached
        cache.forget(f"account:{first.account_id}")
        assert (await cache.resolve(app, "ann")).sanction is Sanction.SUSPENDED
        now[0] = NOW + timedelta(hours=2)  # the timed sanction is over: lifted on next load
        assert (await cache.resolve(app, "ann")).sanction is Sanction.NORMAL
        cache.forget("*")
        assert len(cache) == 0

    asyncio.run(go())


def test_a_stale_entry_is_answered_at_once_and_refreshed_behind(store: Store) -> None:
    import asyncio
    import time

    from hegui.config import Settings
    from hegui.ops.end_user_cache import EndUserCache
    from hegui.ops.records import AccountView

    app_id = _app(store)
    cache = EndUserCache(Settings.model_validate({"end_users": {"cache_ttl": 0.2}}), utcnow)
    cache.bind(store, KEYRING)
    app = AccountView(app_id, "p", AgeBand.ADULT, None, Sanction.NORMAL, None, None, False, "k1")

    async def go() -> None:
        first = await cache.resolve(app, "bea")
        store.write(
            lambda c: sanctions.set_sanction(
                c, first.account_id, Sanction.WARNED, reason="r", actor="t"
            )
        )
        await asyncio.sleep(0.25)  # past the TTL, within twice it
        t0 = time.perf_counter()
        stale = await cache.resolve(app, "bea")
        assert stale.sanction is Sanction.NORMAL  # answered from memory ...
        assert time.perf_counter() - t0 < 0.05
        for _ in range(100):  # ... while the refresh runs behind
            await asyncio.sleep(0.01)
            if (await cache.resolve(app, "bea")).sanction is Sanction.WARNED:
                break
        assert (await cache.resolve(app, "bea")).sanction is Sanction.WARNED
        store.write(
            lambda c: sanctions.set_sanction(
                c, first.account_id, Sanction.NORMAL, reason="r", actor="t"
            )
        )
        await asyncio.sleep(0.45)  # past twice the TTL: the request waits for the database
        assert (await cache.resolve(app, "bea")).sanction is Sanction.NORMAL

    asyncio.run(go())
