"""Counters that several gateway replicas must agree on: in process, or in Redis.

Rate-limit windows, violation streaks, minors' daily usage (and the budget held by requests in
flight) and cache invalidation messages. With
one replica :class:`LocalState` keeps them in dictionaries; with ``store.redis_url`` set,
:class:`RedisState` keeps them in Redis (atomic INCR / a Lua script) and broadcasts invalidations
over pub/sub so every replica drops stale accounts at once. Redis failures raise
:class:`hegui.errors.StoreError`, so the gateway fails closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from hegui.config import MinorsSettings
from hegui.errors import StoreError
from hegui.ops.minors import MinorsState, add_usage

__all__ = ["LocalState", "RedisState", "SharedState", "publish_sync", "window_of"]

log = logging.getLogger(__name__)
_DAY = 86_400


class SharedState(Protocol):
    async def hit(self, key: str, window: int, limit: int) -> bool: ...
    async def streak_incr(self, pseudonym: str) -> int: ...
    async def streak_reset(self, pseudonym: str) -> None: ...
    async def minors_get(self, account_id: str, day: str) -> MinorsState | None: ...
    async def minors_seed(self, account_id: str, day: str, state: MinorsState) -> None: ...
    async def minors_add(
        self, account_id: str, day: str, seconds: float, now: datetime
    ) -> MinorsState: ...
    async def minors_reserve(
        self, account_id: str, day: str, want: float, budget: float, now: datetime
    ) -> tuple[float, str]: ...
    async def minors_release(self, account_id: str, day: str, token: str) -> None: ...
    async def publish(self, message: str) -> None: ...
    async def close(self) -> None: ...


class LocalState:
    """Single-replica state in dictionaries (the event loop makes each call atomic)."""

    def __init__(self, minors: MinorsSettings) -> None:
        self._minors_settings = minors
        self._windows: dict[str, tuple[int, int]] = {}
        self._streaks: dict[str, int] = {}
        self._minors: dict[tuple[str, str], MinorsState] = {}
        self._held: dict[tuple[str, str], dict[str, tuple[float, float]]] = {}
        self._latest_day = ""

    async def hit(self, key: str, window: int, limit: int) -> bool:
        if len(self._windows) > 10_000:  # forget accounts idle since before the last window
            self._windows = {k: v for k, v in self._windows.items() if v[0] >= window - 1}
        seen_window, count = self._windows.get(key, (window, 0))
        count = count + 1 if seen_window == window else 1
        self._windows[key] = (window, count)
        return count <= limit

    async def streak_incr(self, pseudonym: str) -> int:
        self._streaks[pseudonym] = self._streaks.get(pseudonym, 0) + 1
        return self._streaks[pseudonym]

    async def streak_reset(self, pseudonym: str) -> None:
        self._streaks.pop(pseudonym, None)

    async def minors_get(self, account_id: str, day: str) -> MinorsState | None:
        if day > self._latest_day:  # a new local day: yesterday's counters live on in the DB
            self._latest_day = day
            self._minors = {k: v for k, v in self._minors.items() if k[1] >= day}
            self._held = {k: v for k, v in self._held.items() if k[1] >= day}
        return self._minors.get((account_id, day))

    async def minors_seed(self, account_id: str, day: str, state: MinorsState) -> None:
        self._minors.setdefault((account_id, day), state)

    async def minors_add(
        self, account_id: str, day: str, seconds: float, now: datetime
    ) -> MinorsState:
        state = self._minors.get((account_id, day), MinorsState())
        state = add_usage(state, seconds, now, self._minors_settings)
        self._minors[(account_id, day)] = state
        return state

    async def minors_reserve(
        self, account_id: str, day: str, want: float, budget: float, now: datetime
    ) -> tuple[float, str]:
        held = self._held.setdefault((account_id, day), {})
        at = now.timestamp()
        for token in [t for t, (_, expires) in held.items() if expires <= at]:
            del held[token]
        used = self._minors.get((account_id, day), MinorsState()).seconds
        grant = min(want, budget - used - sum(s for s, _ in held.values()))
        if grant <= 0:
            return 0.0, ""
        token = secrets.token_hex(8)
        held[token] = (grant, at + want + RESERVATION_SLACK_S)
        return grant, token

    async def minors_release(self, account_id: str, day: str, token: str) -> None:
        self._held.get((account_id, day), {}).pop(token, None)

    async def publish(self, message: str) -> None:
        return None

    async def close(self) -> None:
        return None


# Adds ``seconds`` ending at ``now``; a pause of at least ``brk`` seconds starts a new session
# (the same rule as hegui.ops.minors.add_usage). Times are epoch seconds, returned as strings.
_MINORS_ADD = """
local last = tonumber(redis.call('HGET', KEYS[1], 'last_at') or '')
local start = tonumber(redis.call('HGET', KEYS[1], 'session_start') or '')
local secs, now, brk = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if last == nil or start == nil or now - last >= brk then start = now - secs end
local total = redis.call('HINCRBYFLOAT', KEYS[1], 'seconds', secs)
redis.call('HSET', KEYS[1], 'session_start', tostring(start), 'last_at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return {tostring(total), tostring(start), tostring(now)}
"""


# Holds seconds of a minor's daily budget for requests in flight (see ``minors_reserve``): drops
# reservations past their end, then grants up to ARGV[2] seconds of what is left, or 0.
_MINORS_RESERVE = """
local now, want, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local used = tonumber(redis.call('HGET', KEYS[1], 'seconds') or '0') or 0
local held = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  held = held + tonumber(string.match(member, ':(.*)$'))
end
local grant = math.min(want, budget - used - held)
if grant <= 0 then return '' end
local member = ARGV[4] .. ':' .. tostring(grant)
redis.call('ZADD', KEYS[2], now + want + tonumber(ARGV[5]), member)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[6]))
return member
"""

# A reservation outlives its request's longest possible duration by this much; one left by a
# replica that died is dropped after that.
RESERVATION_SLACK_S = 60.0


def _ts(value: datetime | None) -> str:
    return "" if value is None else repr(value.timestamp())


def _dt(value: str | None) -> datetime | None:
    return None if not value else datetime.fromtimestamp(float(value), UTC)


class RedisState:
    """Replica-shared state in Redis; every key starts with ``prefix``."""

    def __init__(self, url: str, prefix: str, minors: MinorsSettings) -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.from_url(url, decode_responses=True, socket_timeout=5)
        self._prefix = prefix
        self._channel = prefix + "invalidate"
        self._break = minors.rest_break_minutes * 60
        self._script: Any = self._redis.register_script(_MINORS_ADD)
        self._reserve: Any = self._redis.register_script(_MINORS_RESERVE)
        self._listener: asyncio.Task[None] | None = None

    async def _call(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        from redis.exceptions import RedisError

        try:
            return await fn()
        except (RedisError, OSError) as exc:
            raise StoreError(f"redis unavailable: {type(exc).__name__}") from exc

    async def ping(self) -> bool:
        await self._call(self._redis.ping)
        return True

    async def hit(self, key: str, window: int, limit: int) -> bool:
        name = f"{self._prefix}rl:{key}:{window}"

        async def run() -> Any:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, 120)
                return await pipe.execute()

        count, _ = await self._call(run)
        return int(count) <= limit

    async def streak_incr(self, pseudonym: str) -> int:
        name = f"{self._prefix}streak:{pseudonym}"

        async def run() -> Any:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, _DAY)
                return await pipe.execute()

        count, _ = await self._call(run)
        return int(count)

    async def streak_reset(self, pseudonym: str) -> None:
        await self._call(lambda: self._redis.delete(f"{self._prefix}streak:{pseudonym}"))

    def _minors_key(self, account_id: str, day: str) -> str:
        return f"{self._prefix}minors:{account_id}:{day}"

    async def minors_get(self, account_id: str, day: str) -> MinorsState | None:
        data = await self._call(lambda: self._redis.hgetall(self._minors_key(account_id, day)))
        if not data:
            return None
        return MinorsState(
            seconds=float(data.get("seconds") or 0.0),
            session_start=_dt(data.get("session_start")),
            last_at=_dt(data.get("last_at")),
        )

    async def minors_seed(self, account_id: str, day: str, state: MinorsState) -> None:
        name = self._minors_key(account_id, day)

        async def run() -> Any:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hsetnx(name, "seconds", repr(state.seconds))
                if state.session_start is not None and state.last_at is not None:
                    pipe.hsetnx(name, "session_start", _ts(state.session_start))
                    pipe.hsetnx(name, "last_at", _ts(state.last_at))
                pipe.expire(name, 2 * _DAY)
                return await pipe.execute()

        await self._call(run)

    async def minors_add(
        self, account_id: str, day: str, seconds: float, now: datetime
    ) -> MinorsState:
        args = [repr(max(0.0, seconds)), repr(now.timestamp()), self._break, 2 * _DAY]
        total, start, last = await self._call(
            lambda: self._script(keys=[self._minors_key(account_id, day)], args=args)
        )
        return MinorsState(seconds=float(total), session_start=_dt(start), last_at=_dt(last))

    async def minors_reserve(
        self, account_id: str, day: str, want: float, budget: float, now: datetime
    ) -> tuple[float, str]:
        keys = [self._minors_key(account_id, day), self._minors_key(account_id, day) + ":held"]
        args = [
            repr(now.timestamp()),
            repr(want),
            repr(budget),
            secrets.token_hex(8),
            RESERVATION_SLACK_S,
            2 * _DAY,
        ]
        token = await self._call(lambda: self._reserve(keys=keys, args=args))
        if not token:
            return 0.0, ""
        return float(str(token).rpartition(":")[2]), str(token)

    async def minors_release(self, account_id: str, day: str, token: str) -> None:
        name = self._minors_key(account_id, day) + ":held"
        await self._call(lambda: self._redis.zrem(name, token))

    async def publish(self, message: str) -> None:
        await self._call(lambda: self._redis.publish(self._channel, message))

    async def listen(self, on_message: Callable[[str], None]) -> None:
        """Subscribe now; deliver messages from a background task until :meth:`close`."""
        pubsub = self._redis.pubsub()
        await self._call(lambda: pubsub.subscribe(self._channel))
        self._listener = asyncio.create_task(self._listen(pubsub, on_message))

    async def _listen(self, pubsub: Any, on_message: Callable[[str], None]) -> None:
        from redis.exceptions import RedisError

        while True:
            try:
                msg = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if msg is not None and msg.get("type") == "message":
                    on_message(str(msg["data"]))
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (RedisError, OSError):
                # Messages may have been missed: drop everything cached, then retry.
                log.warning("redis pub/sub interrupted; clearing the account cache")
                on_message("*")
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._redis.aclose()


def window_of(now: datetime, seconds: int = 60) -> int:
    """Index of the fixed rate-limit window ``now`` falls in."""
    return int(now.timestamp() // seconds)


def publish_sync(url: str, prefix: str, message: str) -> bool:
    """Tell running gateways (from the CLI) to drop cached state; False if Redis is unreachable."""
    import redis
    from redis.exceptions import RedisError

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    try:
        client.publish(prefix + "invalidate", message)
    except (RedisError, OSError):
        return False
    finally:
        client.close()
    return True
