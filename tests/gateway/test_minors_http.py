"""Minors' daily budget under concurrent requests, over HTTP with the real store (issue 11, 9).

Before: the budget was checked when a request started and charged when it ended, so 20 requests
sent at once were all admitted and a 1-minute budget ran 3.4 minutes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from hegui.ops import accounts, agreements, keys
from hegui.ops.records import AgeBand
from hegui.store.db import open_store

from .test_store_backend import start


def _minor_key(url: str) -> str:
    store = open_store(url)
    try:
        store.write(
            lambda c: agreements.publish_agreement(c, "v1", "https://example.test/t", actor="t")
        )
        acc = store.write(
            lambda c: accounts.create_account(c, name="kid", age_band=AgeBand.UNDER_16, actor="t")
        )
        store.write(lambda c: agreements.accept_agreement(c, acc.id, actor="t"))
        return store.write(lambda c: keys.create_key(c, acc.id, actor="t")).api_key
    finally:
        store.close()


def test_twenty_concurrent_requests_cannot_overspend_a_one_minute_budget(
    make_gateway: Any, upstream: Any, tmp_path: Any
) -> None:
    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    api_key = _minor_key(url)
    g = start(
        make_gateway,
        upstream.url,
        url,
        minors={"daily_minutes_under_16": 1, "curfew_start": "00:00", "curfew_end": "00:00"},
    )
    g.backend.settings.gateway.upstream_timeout = 5.0  # a request holds at most 10 s of budget
    body = {
        "model": "mock-model",
        "stream": True,
        "messages": [{"role": "user", "content": "讲个故事"}],
        "mock": {"reply": "从前有座山。" * 10, "chunks": 30, "gap_ms": 100},  # ~3 s each
    }

    async def one(client: httpx.AsyncClient) -> int:
        r = await client.post("/v1/chat/completions", json=body)
        return r.status_code

    async def flood() -> list[int]:
        headers = {"authorization": f"Bearer {api_key}"}
        async with httpx.AsyncClient(base_url=g.url, headers=headers, timeout=30) as client:
            return await asyncio.gather(*(one(client) for _ in range(20)))

    codes = asyncio.run(flood())
    served = codes.count(200)
    assert 1 <= served <= 6 and codes.count(429) == 20 - served
    view = g.server.call(g.backend.authenticate(api_key))
    after = g.server.call(g.backend.minors_check(view, datetime.now(UTC)))
    assert after.minutes_used_today <= 1.0
