"""API keys under attack: header precedence, equal cost for unknown ids, throttling (issue 11, 8)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from hegui.config import Settings
from hegui.errors import AuthThrottledError
from hegui.ops import keys
from hegui.ops.auth_guard import AuthGuard
from hegui.ops.backend import StoreBackend

from .conftest import Running
from .test_store_backend import SECRET, seed

BODY = {"model": "mock-model", "messages": [{"role": "user", "content": "你好"}]}


# ------------------------------------------------------------------ which header carries the key
@pytest.mark.parametrize("authorization_first", [True, False])
def test_authorization_header_wins_whatever_the_header_order(
    gw: Running, authorization_first: bool
) -> None:
    good, bad = ("authorization", "Bearer sk-good"), ("x-api-key", "sk-wrong")
    headers = [good, bad] if authorization_first else [bad, good]
    r = gw.client.post("/v1/chat/completions", json=BODY, headers=httpx_headers(headers))
    assert r.status_code == 200, r.text
    good, bad = ("x-api-key", "sk-good"), ("authorization", "Bearer sk-wrong")
    headers = [good, bad] if authorization_first else [bad, good]
    r = gw.client.post("/v1/chat/completions", json=BODY, headers=httpx_headers(headers))
    assert r.status_code == 401


def test_two_different_authorization_headers_are_refused(gw: Running) -> None:
    headers = [("authorization", "Bearer sk-good"), ("authorization", "Bearer sk-other")]
    r = gw.client.post("/v1/chat/completions", json=BODY, headers=httpx_headers(headers))
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_api_key"


def httpx_headers(pairs: list[tuple[str, str]]) -> Any:
    import httpx

    return httpx.Headers(pairs)  # keeps order and repeats; replaces the client's default header


# ------------------------------------------------------------------ the guard on its own
def test_guard_throttles_a_key_id_after_its_failures_and_forgets_them_after_a_minute() -> None:
    now = [0.0]
    guard = AuthGuard(per_key=3, per_client=100, clock=lambda: now[0])
    for _ in range(3):
        guard.check("k", "1.2.3.4")
        guard.failed("k", "1.2.3.4")
    with pytest.raises(AuthThrottledError) as err:
        guard.check("k", "5.6.7.8")
    assert 0 < err.value.retry_after <= 60
    guard.check("other", "1.2.3.4")  # another key id from the same address is fine
    now[0] = 61.0
    guard.check("k", "1.2.3.4")


def test_guard_throttles_an_address_that_fails_on_many_key_ids() -> None:
    guard = AuthGuard(per_key=100, per_client=5)
    for n in range(5):
        guard.failed(f"id{n}", "10.0.0.9")
    with pytest.raises(AuthThrottledError):
        guard.check("fresh", "10.0.0.9")
    guard.check("fresh", "10.0.0.10")


async def test_guard_bounds_concurrent_hashing_and_refuses_a_long_queue() -> None:
    guard = AuthGuard(per_key=1000, per_client=1000, concurrency=2)
    running = peak = 0
    release = asyncio.Event()

    async def one(n: int) -> str:
        nonlocal running, peak
        try:
            async with guard.hashing(f"k{n}", None):
                running += 1
                peak = max(peak, running)
                await release.wait()
                running -= 1
                return "hashed"
        except AuthThrottledError:
            return "refused"

    tasks = [asyncio.create_task(one(n)) for n in range(40)]
    await asyncio.sleep(0.05)
    release.set()
    results = await asyncio.gather(*tasks)
    assert peak == 2
    assert results.count("hashed") == 2 + 32 and results.count("refused") == 6


# ------------------------------------------------------------------ the store backend
class _CountingHasher:
    """Wraps ``keys.verify_secret`` to count calls and the most that ran at once."""

    def __init__(self) -> None:
        self.real = keys.verify_secret
        self.calls = 0
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, secret_hash: str | None, api_key: str) -> bool:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return self.real(secret_hash, api_key)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> _CountingHasher:
    counting = _CountingHasher()
    monkeypatch.setattr(keys, "verify_secret", counting)
    return counting


async def _backend(tmp_path: Any, **limits: Any) -> tuple[StoreBackend, str]:
    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    api_key = seed(url)
    settings = Settings.model_validate(
        {"store": {"url": url, "secret_key": SECRET}, "rate_limit": limits}
    )
    backend = StoreBackend(settings, writer_process=False)
    await backend.start()
    return backend, api_key


def _wrong(api_key: str, n: int) -> str:
    key_id = keys.parse_api_key(api_key)
    return f"hg-{key_id}-wrongsecret{n:04d}xxxxxxxxxxxxxxxx"


async def test_unknown_key_id_costs_the_same_argon2_check(
    tmp_path: Any, hasher: _CountingHasher
) -> None:
    backend, api_key = await _backend(tmp_path)
    try:
        assert await backend.authenticate("hg-000000000000-" + "x" * 43, "1.1.1.1") is None
        assert hasher.calls == 1  # the dummy hash: no faster answer for an id that does not exist
        assert await backend.authenticate(_wrong(api_key, 1), "1.1.1.1") is None
        assert hasher.calls == 2  # the same work for an id that exists (timings: auth_flood.py)
    finally:
        await backend.close()


async def test_wrong_secrets_for_a_real_key_id_are_throttled_without_hashing(
    tmp_path: Any, hasher: _CountingHasher
) -> None:
    backend, api_key = await _backend(tmp_path, failed_auth_per_key=3, failed_auth_per_client=100)
    try:
        assert await backend.authenticate(api_key, "9.9.9.9") is not None  # verified once
        for n in range(3):
            assert await backend.authenticate(_wrong(api_key, n), "1.1.1.1") is None
        calls = hasher.calls
        with pytest.raises(AuthThrottledError):
            await backend.authenticate(_wrong(api_key, 99), "2.2.2.2")
        assert hasher.calls == calls  # refused before any argon2 work
        backend.accounts.clear()  # even with the answer cache expired, the owner is not locked out
        assert await backend.authenticate(api_key, "9.9.9.9") is not None
        assert hasher.calls == calls
    finally:
        await backend.close()


async def test_a_flood_of_wrong_secrets_runs_at_most_the_configured_argon2_checks_at_once(
    tmp_path: Any, hasher: _CountingHasher
) -> None:
    backend, api_key = await _backend(
        tmp_path, failed_auth_per_key=1000, failed_auth_per_client=1000, auth_hash_concurrency=2
    )
    try:
        results = await asyncio.gather(
            *(backend.authenticate(_wrong(api_key, n), f"10.0.0.{n}") for n in range(32)),
            return_exceptions=True,
        )
        assert all(r is None or isinstance(r, AuthThrottledError) for r in results)
        assert hasher.peak <= 2
    finally:
        await backend.close()


def test_throttled_client_gets_429_with_retry_after(make_gateway, upstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from .test_store_backend import start

    url = f"sqlite:///{tmp_path / 'hegui.db'}"
    api_key = seed(url)
    g = start(make_gateway, upstream.url, url, rate_limit={"failed_auth_per_client": 2})
    codes = [
        g.client.post(
            "/v1/chat/completions",
            json=BODY,
            headers={"authorization": f"Bearer {_wrong(api_key, n)}"},
        )
        for n in range(3)
    ]
    assert [r.status_code for r in codes] == [401, 401, 429]
    assert codes[2].json()["error"]["code"] == "auth_throttled"
    assert int(codes[2].headers["retry-after"]) >= 1
