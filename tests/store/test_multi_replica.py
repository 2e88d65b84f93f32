"""Two gateway replicas sharing PostgreSQL and Redis agree on limits, budgets and sanctions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from hegui.config import Settings
from hegui.errors import StoreError
from hegui.ops import keys
from hegui.ops.backend import StoreBackend
from hegui.ops.records import AgeBand, Sanction

from .conftest import NOW, REDIS_URL
from .test_backend import Clock, seed, settings_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _settings(pg_shared_url: str, prefix: str) -> Settings:
    s = settings_for(pg_shared_url, redis_url=REDIS_URL, redis_prefix=prefix)
    s.rate_limit.requests_per_minute = 10
    return s


@pytest.fixture
async def replicas(
    pg_shared_url: str, redis_prefix: str
) -> AsyncIterator[tuple[StoreBackend, StoreBackend]]:
    # the replicas share state through PostgreSQL and Redis; where each writes its usage
    # records does not matter here, so a writer thread each (a writer process costs ~0.5 s CPU)
    a = StoreBackend(_settings(pg_shared_url, redis_prefix), clock=Clock(), writer_process=False)
    b = StoreBackend(_settings(pg_shared_url, redis_prefix), clock=Clock(), writer_process=False)
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def test_replicas_share_one_rate_limit(pg_shared_url: str, replicas) -> None:
    a, b = replicas
    seeded = seed(pg_shared_url)
    view = await a.authenticate(seeded.api_key)
    assert view is not None and await b.authenticate(seeded.api_key) == view
    results = await asyncio.gather(*((a if i % 2 else b).rate_limit(view, NOW) for i in range(16)))
    assert sum(results) == 10


async def test_replicas_share_minors_budget(pg_shared_url: str, replicas) -> None:
    a, b = replicas
    seeded = seed(pg_shared_url, AgeBand.UNDER_16)
    view = await a.authenticate(seeded.api_key)
    assert view is not None
    await a.minors_add_usage(view, 30 * 60, NOW)
    await b.minors_add_usage(view, 29 * 60, NOW + timedelta(minutes=1))
    assert (await a.minors_check(view, NOW + timedelta(minutes=2))).allowed
    await a.minors_add_usage(view, 60, NOW + timedelta(minutes=2))
    for replica in (a, b):
        decision = await replica.minors_check(view, NOW + timedelta(minutes=3))
        assert (decision.allowed, decision.reason) == (False, "daily_limit")
        assert decision.minutes_used_today == pytest.approx(60)


async def test_replicas_share_streaks_and_sanctions(pg_shared_url: str, replicas) -> None:
    a, b = replicas
    seeded = seed(pg_shared_url)
    view = await a.authenticate(seeded.api_key)
    assert view is not None and await b.authenticate(seeded.api_key) is not None
    await a.register_violation(view, ["A.1.a"])
    await b.register_violation(view, ["A.1.a"])
    outcome = await a.register_violation(view, ["A.1.a"])
    assert outcome.changed and outcome.sanction is Sanction.WARNED
    for _ in range(100):  # b hears about it over pub/sub
        seen = await b.authenticate(seeded.api_key)
        if seen is not None and seen.sanction is Sanction.WARNED:
            break
        await asyncio.sleep(0.02)
    assert seen is not None and seen.sanction is Sanction.WARNED


async def test_revocation_reaches_every_replica(pg_shared_url: str, replicas) -> None:
    a, b = replicas
    seeded = seed(pg_shared_url)
    assert await b.authenticate(seeded.api_key) is not None
    await a.store.awrite(lambda c: keys.revoke_key(c, seeded.key_id, actor="t"))
    await a.invalidate(f"key:{seeded.key_id}")
    for _ in range(100):
        if await b.authenticate(seeded.api_key) is None:
            break
        await asyncio.sleep(0.02)
    assert await b.authenticate(seeded.api_key) is None


async def test_rest_reminder_across_replicas(pg_shared_url: str, replicas) -> None:
    a, b = replicas
    seeded = seed(pg_shared_url, AgeBand.AGE_16_17)
    view = await a.authenticate(seeded.api_key)
    assert view is not None
    for minute in range(0, 32, 2):
        await (a if minute % 4 else b).minors_add_usage(view, 30, NOW + timedelta(minutes=minute))
    assert (await a.minors_check(view, NOW + timedelta(minutes=31))).remind_rest
    assert not (await b.minors_check(view, NOW + timedelta(minutes=45))).remind_rest


async def test_unreachable_redis_fails_to_start(pg_shared_url: str) -> None:
    s = settings_for(pg_shared_url, redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(StoreError, match="redis"):
        await StoreBackend(s, writer_process=False).start()
