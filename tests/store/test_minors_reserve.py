"""Minors' budget is reserved when a request is admitted, not charged after (issue 11, item 9)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from hegui.config import MinorsSettings
from hegui.ops.records import AgeBand
from hegui.ops.shared import LocalState, RedisState, SharedState

from . import test_backend
from .conftest import NOW, REDIS_URL
from .test_backend import seed, settings_for

make_backend = test_backend.make_backend  # the fixture

DAY = "2026-11-28"


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
async def shared(request: pytest.FixtureRequest) -> AsyncIterator[SharedState]:
    if request.param == "local":
        yield LocalState(MinorsSettings())
        return
    prefix = request.getfixturevalue("redis_prefix")
    state = RedisState(REDIS_URL, prefix, MinorsSettings())
    try:
        yield state
    finally:
        await state.close()


async def test_reservations_share_what_is_left_of_the_budget(shared: SharedState) -> None:
    await shared.minors_add("acct", DAY, 30, NOW)
    first, t1 = await shared.minors_reserve("acct", DAY, 20, 60, NOW)
    second, t2 = await shared.minors_reserve("acct", DAY, 20, 60, NOW)
    third, t3 = await shared.minors_reserve("acct", DAY, 20, 60, NOW)
    assert (first, second, third, t3) == (20, 10, 0, "")
    await shared.minors_release("acct", DAY, t1)
    again, _ = await shared.minors_reserve("acct", DAY, 20, 60, NOW)
    assert again == 20 and t2


async def test_a_reservation_left_behind_expires(shared: SharedState) -> None:
    granted, _ = await shared.minors_reserve("acct", DAY, 60, 60, NOW)
    assert granted == 60
    assert (await shared.minors_reserve("acct", DAY, 60, 60, NOW + timedelta(seconds=30)))[0] == 0
    later = NOW + timedelta(seconds=60 + 61)  # its longest duration plus the slack has passed
    assert (await shared.minors_reserve("acct", DAY, 60, 60, later))[0] == 60


async def test_concurrent_checks_cannot_spend_the_same_minutes(
    sqlite_url: str, make_backend: Any
) -> None:
    seeded = seed(sqlite_url, AgeBand.UNDER_16)
    settings = settings_for(sqlite_url)
    settings.minors.daily_minutes_under_16 = 1
    settings.gateway.upstream_timeout = 15.0  # a request holds up to 20 s of the budget
    backend = await make_backend(settings)
    view = await backend.authenticate(seeded.api_key)
    assert view is not None
    decisions = await asyncio.gather(*(backend.minors_check(view, NOW) for _ in range(20)))
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 3 and sum(d.reserved_seconds for d in allowed) == 60
    assert {d.reason for d in decisions if not d.allowed} == {"daily_limit"}
    await backend.minors_add_usage(view, 2.0, NOW, reservation=allowed[0].reservation)
    after = await backend.minors_check(view, NOW)  # 2 s spent, 18 s given back
    assert after.allowed and after.reserved_seconds == 18
