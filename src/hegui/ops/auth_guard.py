"""Failed API-key checks: throttled per key id and per client address, argon2 work bounded.

Why: checking a well-formed key whose id exists costs one argon2 verification (~40 ms of a core),
so a flood of wrong secrets for a real key id starved every other request, and the difference in
time to an unknown id (no argon2 at all) told an attacker which key ids exist. The backend pays the
same argon2 cost for every well-formed key (unknown ids verify against a dummy hash, see
:func:`hegui.ops.keys.verify_secret`) and asks this guard first:

- after ``per_key`` failures for one key id, or ``per_client`` failures from one address, within
  one minute, further checks for it are refused at once (:class:`AuthThrottledError`, HTTP 429)
  without any argon2 work. A key this process has verified before never reaches the guard, so an
  attacker hammering a key id does not lock out its owner;
- at most ``concurrency`` verifications run at once and at most ``16 × concurrency`` wait; a
  request beyond that is refused with 429 rather than queued behind the flood.

Counters live in the serving process: each replica throttles what it sees.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from hegui.errors import AuthThrottledError

__all__ = ["AuthGuard"]

WINDOW_S = 60.0
_MAX_TRACKED = 100_000


class _Counter:
    """Failures per name in fixed windows of :data:`WINDOW_S` seconds."""

    __slots__ = ("_clock", "_seen", "limit")

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._seen: dict[str, tuple[float, int]] = {}

    def retry_after(self, name: str) -> float | None:
        """Seconds until ``name`` may try again, or None when it is not throttled."""
        if self.limit <= 0:
            return None
        entry = self._seen.get(name)
        if entry is None:
            return None
        started, count = entry
        left = started + WINDOW_S - self._clock()
        if left <= 0:
            del self._seen[name]
            return None
        return left if count >= self.limit else None

    def add(self, name: str) -> None:
        if self.limit <= 0:
            return
        now = self._clock()
        if len(self._seen) >= _MAX_TRACKED:
            self._seen = {k: v for k, v in self._seen.items() if v[0] + WINDOW_S > now}
        started, count = self._seen.get(name, (now, 0))
        if started + WINDOW_S <= now:
            started, count = now, 0
        self._seen[name] = (started, count + 1)


class AuthGuard:
    """One per backend; all methods run on the event loop (no locks needed)."""

    def __init__(
        self,
        *,
        per_key: int = 10,
        per_client: int = 30,
        concurrency: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = _Counter(per_key, clock)
        self._clients = _Counter(per_client, clock)
        self._slots = max(1, concurrency)
        self._queue_limit = 16 * self._slots
        self._semaphore: asyncio.Semaphore | None = None
        self._waiting = 0

    def check(self, key_id: str, client: str | None) -> None:
        """Raise :class:`AuthThrottledError` when this key id or address is throttled."""
        wait = self._keys.retry_after(key_id)
        if wait is not None:
            raise AuthThrottledError(
                "Too many failed attempts with this API key id; try again later.",
                retry_after=wait,
            )
        if client is not None:
            wait = self._clients.retry_after(client)
            if wait is not None:
                raise AuthThrottledError(
                    "Too many failed API-key attempts from this address; try again later.",
                    retry_after=wait,
                )

    def failed(self, key_id: str, client: str | None) -> None:
        """Count one failed check against the key id and the address."""
        self._keys.add(key_id)
        if client is not None:
            self._clients.add(client)

    @asynccontextmanager
    async def hashing(self, key_id: str, client: str | None) -> AsyncIterator[None]:
        """Hold one of the bounded argon2 slots for this key id and address.

        Checked again once the slot is free: failures counted while this request waited
        (a flood on one key id) throttle it before it spends any CPU.
        """
        self.check(key_id, client)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self._slots)
        if self._semaphore.locked() and self._waiting >= self._queue_limit:
            raise AuthThrottledError(
                "Too many API-key checks in progress; try again shortly.", retry_after=1.0
            )
        self._waiting += 1
        try:
            await self._semaphore.acquire()
        finally:
            self._waiting -= 1
        try:
            self.check(key_id, client)
            yield
        finally:
            self._semaphore.release()
