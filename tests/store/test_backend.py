"""StoreBackend: the gateway's view of the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from hegui.config import Settings
from hegui.errors import ConfigError, StoreError
from hegui.ops import accounts, agreements, keys, sanctions
from hegui.ops.backend import StoreBackend
from hegui.ops.records import AccountView, AgeBand, IncidentRecord, Sanction, UsageRecord
from hegui.store import audit
from hegui.store.db import open_store
from hegui.store.schema import usage_records, violations

from .conftest import NOW

SECRET = base64.b64encode(bytes(range(32))).decode()


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings_for(url: str, **store: object) -> Settings:
    s = Settings()
    s.store.url = url
    s.store.secret_key = SECRET  # type: ignore[assignment]
    for k, v in store.items():
        setattr(s.store, k, v)
    return s


@dataclass
class Seeded:
    account_id: str
    api_key: str
    key_id: str


def seed(url: str, band: AgeBand = AgeBand.ADULT) -> Seeded:
    s = open_store(url)
    try:
        acc = s.write(lambda c: accounts.create_account(c, name="u", age_band=band, actor="t"))
        new = s.write(lambda c: keys.create_key(c, acc.id, actor="t"))
    finally:
        s.close()
    return Seeded(acc.id, new.api_key, new.key_id)


@pytest.fixture
async def make_backend() -> AsyncIterator[Callable[..., object]]:
    """Started backends, closed after the test. Account rules (keys, agreements, sanctions,
    minors, limits) do not depend on where usage records are written, so their tests use the
    writer thread (starting a writer process costs ~0.5 s of CPU each time); tests about usage
    records ask for the writer process that `hegui serve` uses (see also test_writer.py)."""
    started: list[StoreBackend] = []

    async def make(
        settings: Settings, clock: Clock | None = None, *, writer_process: bool = False
    ) -> StoreBackend:
        b = StoreBackend(settings, clock=clock or Clock(), writer_process=writer_process)
        await b.start()
        started.append(b)
        return b

    yield make
    for b in started:
        await b.close()


def _usage(view: AccountView, decision: str = "allow") -> UsageRecord:
    return UsageRecord(
        pseudonym=view.pseudonym,
        key_id=view.key_id,
        model="m",
        endpoint="chat",  # what the gateway writes (only generation endpoints end a streak)
        decision=decision,
        prompt_tokens=1,
    )


async def test_authenticate_caches_after_the_first_call(db_url: str, make_backend) -> None:
    seeded = seed(db_url)
    b = await make_backend(settings_for(db_url))
    queries: list[str] = []
    event.listen(b.store.read_engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    view = await b.authenticate(seeded.api_key)
    assert (
        view is not None and view.account_id == seeded.account_id and view.key_id == seeded.key_id
    )
    assert view.pseudonym == b.keyring.pseudonym(seeded.account_id) != seeded.account_id
    cold = len(queries)
    for _ in range(1000):
        assert await b.authenticate(seeded.api_key) == view
    assert len(queries) == cold  # hot path: no database at all


async def test_concurrent_cold_authentications_share_one_lookup(db_url: str, make_backend) -> None:
    seeded = seed(db_url)
    b = await make_backend(settings_for(db_url))
    queries: list[str] = []
    event.listen(b.store.read_engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    views = await asyncio.gather(*(b.authenticate(seeded.api_key) for _ in range(64)))
    assert len({v.account_id for v in views if v}) == 1 and all(views)
    assert len([q for q in queries if "api_keys" in q]) == 1


@pytest.mark.parametrize("bad", ["", "nonsense", "hg-000000000000-" + "a" * 43])
async def test_unknown_keys_are_refused(sqlite_url: str, make_backend, bad: str) -> None:
    seed(sqlite_url)
    b = await make_backend(settings_for(sqlite_url))
    assert await b.authenticate(bad) is None


async def test_wrong_secret_for_a_real_key_id_is_refused(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url)
    b = await make_backend(settings_for(sqlite_url))
    assert (
        await b.authenticate(
            seeded.api_key[:-2] + ("AA" if not seeded.api_key.endswith("AA") else "BB")
        )
        is None
    )
    assert await b.authenticate(seeded.api_key) is not None


async def test_revoked_key_is_refused_once_invalidated(db_url: str, make_backend) -> None:
    seeded = seed(db_url)
    b = await make_backend(settings_for(db_url))
    assert await b.authenticate(seeded.api_key) is not None
    await b.store.awrite(lambda c: keys.revoke_key(c, seeded.key_id, actor="t"))
    await b.invalidate(f"key:{seeded.key_id}")
    assert await b.authenticate(seeded.api_key) is None


async def test_cache_expires_after_ttl(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url)
    b = await make_backend(settings_for(sqlite_url, auth_cache_ttl=0.05))
    assert await b.authenticate(seeded.api_key) is not None
    await b.store.awrite(lambda c: keys.revoke_key(c, seeded.key_id, actor="t"))
    await asyncio.sleep(0.1)
    assert await b.authenticate(seeded.api_key) is None


async def test_current_agreement_and_acceptance(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url)
    b = await make_backend(settings_for(sqlite_url))
    assert await b.current_agreement() is None
    await b.store.awrite(lambda c: agreements.publish_agreement(c, "v1", "https://e/v1", actor="t"))
    await b.invalidate("agreement:")
    current = await b.current_agreement()
    assert current is not None and current.version == "v1"
    view = await b.authenticate(seeded.api_key)
    assert view is not None and view.agreement_version is None  # gateway must refuse: 403
    await b.store.awrite(lambda c: agreements.accept_agreement(c, seeded.account_id, actor="t"))
    await b.invalidate(f"account:{seeded.account_id}")
    view = await b.authenticate(seeded.api_key)
    assert view is not None and view.agreement_version == "v1"


async def test_10000_usage_records_from_64_tasks_are_all_stored(db_url: str, make_backend) -> None:
    seeded = seed(db_url)
    b = await make_backend(settings_for(db_url), writer_process=True)
    view = await b.authenticate(seeded.api_key)
    assert view is not None
    total, tasks = 10_000, 64

    async def client(n: int) -> None:
        for _ in range(n):
            await b.record_usage(_usage(view))
            await asyncio.sleep(0)

    shares = [total // tasks + (1 if i < total % tasks else 0) for i in range(tasks)]
    await asyncio.gather(*(client(n) for n in shares))
    await b.flush()
    with b.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(usage_records)).scalar_one() == total
        report = audit.verify(conn)
    assert report.ok and b.records_written == total


async def test_background_writer_writes_without_flush(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url)
    b = await make_backend(settings_for(sqlite_url, usage_flush_interval=0.02), writer_process=True)
    view = await b.authenticate(seeded.api_key)
    assert view is not None
    await b.record_usage(_usage(view))
    for _ in range(200):
        if b.records_written:
            break
        await asyncio.sleep(0.01)
    assert b.records_written == 1


async def test_violations_escalate_and_refresh_the_cached_account(
    db_url: str, make_backend
) -> None:
    seeded = seed(db_url)
    b = await make_backend(settings_for(db_url))
    view = await b.authenticate(seeded.api_key)
    assert view is not None
    outcomes = [await b.register_violation(view, ["A.1.a"]) for _ in range(3)]
    assert [o.changed for o in outcomes] == [False, False, True]
    assert (
        outcomes[-1].sanction is Sanction.WARNED and outcomes[-1].reason == "3 violations in a row"
    )
    refreshed = await b.authenticate(seeded.api_key)
    assert refreshed is not None and refreshed.sanction is Sanction.WARNED
    # clean requests break the streak, so only the 5th of the day escalates again
    await b.record_usage(_usage(refreshed))
    assert not (await b.register_violation(refreshed, ["A.1.a"])).changed
    await b.record_usage(_usage(refreshed))
    fifth = await b.register_violation(refreshed, ["A.1.a"])
    assert (fifth.sanction, fifth.reason) == (Sanction.RESTRICTED, "5 violations today")
    with b.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(violations)).scalar_one() == 5


async def test_expired_sanction_is_lifted_at_authentication(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url)
    clock = Clock()
    b = await make_backend(settings_for(sqlite_url), clock)
    await b.store.awrite(
        lambda c: sanctions.set_sanction(
            c,
            seeded.account_id,
            Sanction.SUSPENDED,
            reason="r",
            actor="s",
            until=NOW + timedelta(hours=1),
            now=NOW,
        )
    )
    view = await b.authenticate(seeded.api_key)
    assert view is not None and view.sanction is Sanction.SUSPENDED
    clock.now = NOW + timedelta(hours=2)
    view = await b.authenticate(seeded.api_key)  # cached view is past its end: reloaded
    assert view is not None and view.sanction is Sanction.NORMAL


async def test_minors_budget_survives_a_restart(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url, AgeBand.UNDER_16)
    b = await make_backend(settings_for(sqlite_url))
    view = await b.authenticate(seeded.api_key)
    assert view is not None
    first = await b.minors_check(view, NOW)  # an allowed check reserves budget until settled
    assert first.allowed
    await b.minors_add_usage(view, 59 * 60, NOW, reservation=first.reservation)
    second = await b.minors_check(view, NOW)
    assert second.allowed
    await b.minors_add_usage(view, 60, NOW + timedelta(minutes=1), reservation=second.reservation)
    decision = await b.minors_check(view, NOW + timedelta(minutes=2))
    assert (decision.allowed, decision.reason) == (False, "daily_limit")
    await b.close()
    again = await make_backend(settings_for(sqlite_url))
    assert (await again.minors_check(view, NOW + timedelta(minutes=3))).reason == "daily_limit"
    assert (await again.minors_check(view, NOW + timedelta(days=1))).allowed  # a new local day


async def test_rate_limit_per_minute_and_for_restricted_accounts(
    sqlite_url: str, make_backend
) -> None:
    seeded = seed(sqlite_url)
    s = settings_for(sqlite_url)
    s.rate_limit.requests_per_minute = 5
    s.rate_limit.restricted_requests_per_minute = 2
    b = await make_backend(s)
    view = await b.authenticate(seeded.api_key)
    assert view is not None
    assert [await b.rate_limit(view, NOW) for _ in range(6)] == [True] * 5 + [False]
    assert await b.rate_limit(view, NOW + timedelta(minutes=1))  # next window
    restricted = AccountView(
        **{
            **{f: getattr(view, f) for f in view.__slots__},
            "sanction": Sanction.RESTRICTED,
            "account_id": "other",
        }
    )
    assert [await b.rate_limit(restricted, NOW) for _ in range(3)] == [True, True, False]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_unreachable_database_fails_to_start() -> None:
    b = StoreBackend(settings_for(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x"))
    with pytest.raises(StoreError):
        await b.start()
    assert not await b.ready()


@pytest.mark.postgres
async def test_database_lost_while_running_fails_closed(pg_url: str, make_backend) -> None:
    import psycopg

    from .conftest import PG_ADMIN

    seeded = seed(pg_url)
    # the key stays cached however long the failures below take on a loaded machine (they took
    # 35 s once, past the default TTL, and the last assertion then read the dropped database)
    settings = settings_for(pg_url, auth_cache_ttl=3600.0)
    b = await make_backend(settings, writer_process=True)
    view = await b.authenticate(seeded.api_key)
    assert view is not None and await b.ready()
    await b.record_usage(_usage(view))
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    incident = IncidentRecord("p", "input", "prompt", "refuse", ["A.1.a"], "m", evidence="x")
    with pytest.raises(StoreError):
        await b.record_incident(incident)
    with pytest.raises(StoreError):
        await b.register_violation(view, ["A.1.a"])
    with pytest.raises(StoreError):
        await b.flush()
    assert not await b.ready()
    assert await b.authenticate(seeded.api_key) == view  # cached; the gateway checks readiness


async def test_a_clean_request_breaks_the_streak(sqlite_url: str, make_backend) -> None:
    seeded = seed(sqlite_url)
    b = await make_backend(settings_for(sqlite_url))
    view = await b.authenticate(seeded.api_key)
    assert view is not None
    await b.register_violation(view, ["A.1.a"])
    await b.register_violation(view, ["A.1.a"])
    await b.record_usage(_usage(view, "refuse"))  # a refusal is not a clean request
    await b.record_usage(_usage(view, "allow"))
    assert not (await b.register_violation(view, ["A.1.a"])).changed
    assert not (await b.register_violation(view, ["A.1.a"])).changed
    assert (await b.register_violation(view, ["A.1.a"])).changed  # 3 in a row again (and 5 today)


async def test_close_writes_what_is_queued_and_returns(sqlite_url: str) -> None:
    b = StoreBackend(settings_for(sqlite_url, usage_batch_size=10), clock=Clock())
    await b.start()
    for _ in range(25):  # more than a batch: the writer has been woken when close() starts
        await b.record_usage(UsageRecord("p_x", None, "m", "/v1/completions", "allow"))
    await asyncio.wait_for(b.close(), timeout=30)
    s = open_store(sqlite_url)
    try:
        with s.read() as conn:
            assert conn.execute(select(func.count()).select_from(usage_records)).scalar_one() == 25
    finally:
        s.close()


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("store", "store_content", "everything", "store_content"),
        ("sanctions", "max_automatic", "banned", "max_automatic"),
        ("minors", "timezone", "Mars/Olympus", "timezone"),
        ("minors", "curfew_start", "late", "HH:MM"),
        ("store", "usage_batch_size", 0, "usage_batch_size"),
    ],
)
async def test_bad_settings_stop_the_start(
    sqlite_url: str, section: str, field: str, value: object, message: str
) -> None:
    s = settings_for(sqlite_url)
    setattr(getattr(s, section), field, value)
    with pytest.raises(ConfigError, match=message):
        await StoreBackend(s).start()
