"""The gateway as one raw ASGI app: a small dispatcher, one error mapping, one record per request.

No framework on the hot path (Starlette/FastAPI cost 0.15–0.3 ms per request here). Per-request
state lives in an :class:`Exchange` created inside ``__call__``; the app object only holds what
is shared and safe to share (engine, upstream pool, backend, metrics).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from hegui.errors import StoreError
from hegui.gateway.access import admit, standing
from hegui.gateway.backend import GatewayBackend, MinorsDecision
from hegui.gateway.chat import JSON_HEADERS, generate, send_bytes
from hegui.gateway.client import LeanTransport
from hegui.gateway.endpoints import images, list_models, moderations
from hegui.gateway.errors import GatewayError, to_gateway_error
from hegui.gateway.exchange import Exchange
from hegui.gateway.labels import TextLabeler
from hegui.gateway.metrics import GatewayMetrics
from hegui.gateway.moderation import Checker, Moderation
from hegui.gateway.records import AnswerWithheldError, record_before_release, usage_metrics
from hegui.gateway.schema import parse_body
from hegui.gateway.upstream import AiohttpTransport, Transport, UpstreamPool, parse_upstream

if TYPE_CHECKING:
    from hegui.config import GatewaySettings, Settings

__all__ = [
    "ASGIApp",
    "Gateway",
    "Receive",
    "Scope",
    "Send",
    "app_factory",
    "create_app",
    "tune_gc",
]

log = logging.getLogger("hegui.gateway")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# path → (endpoint name, method)
API_ROUTES: dict[str, tuple[str, str]] = {
    "/v1/chat/completions": ("chat", "POST"),
    "/v1/completions": ("completions", "POST"),
    "/v1/images/generations": ("images", "POST"),
    "/v1/moderations": ("moderations", "POST"),
    "/v1/models": ("models", "GET"),
}


class _ClientGoneError(Exception):
    """The client disconnected before its request body arrived."""


class Gateway:
    """The ASGI callable. Build with :func:`create_app`."""

    def __init__(
        self,
        settings: Settings,
        backend: GatewayBackend,
        checker: Checker,
        transport: Transport | None = None,
        fallback: ASGIApp | None = None,
    ) -> None:
        g = settings.gateway
        self.fallback = fallback  # e.g. the portal/console app, served for every non-gateway path
        self.settings = settings
        self.backend = backend
        # A backend whose last usage batch failed refuses new requests (fail closed).
        self._writable: Callable[[], None] | None = getattr(backend, "check_writable", None)
        self.metrics = GatewayMetrics()
        self.moderation = Moderation(
            checker,
            guard_timeout=settings.engine.guard_timeout,
            observe=self.metrics.observe_moderation,
        )
        self._own_transport = transport is None
        self.transport: Transport = transport or _own_transport(g)
        key = g.upstream_api_key.get_secret_value() if g.upstream_api_key else None
        self.pool = UpstreamPool(
            [parse_upstream(u) for u in g.upstreams],
            self.transport,
            retries=g.upstream_retries,
            timeout=g.upstream_timeout,
            breaker_threshold=g.breaker_failures,
            breaker_reset_s=g.breaker_reset_seconds,
            health_interval=g.health_interval,
            api_key=key,
            on_error=self.metrics.upstream_error,
        )
        self.labeler = TextLabeler(g, settings.labeling)
        self.stream_window = max(g.stream_window_chars, self.moderation.max_term_length)
        self.stream_step = g.stream_release_step
        self.unchecked_fields = frozenset(g.unchecked_fields)
        self.max_upstream_bytes = 64 * 1024 * 1024
        self._started = False
        self._backend_up = False
        self._last_attempt = -10.0
        self._start_lock: asyncio.Lock | None = None

    # ------------------------------------------------------------------ lifecycle
    async def startup(self) -> None:
        if self._started:
            return
        if self._start_lock is None:
            self._start_lock = asyncio.Lock()
        async with self._start_lock:
            if self._started:
                return
            if not self._backend_up:
                if time.monotonic() - self._last_attempt < 1.0:
                    raise StoreError("record store unavailable (retrying start-up)")
                self._last_attempt = time.monotonic()
                await self.backend.start()
                self._backend_up = True
            if self.pool.upstreams:
                await self.pool.check_health()
                self.pool.start()
            self._started = True

    async def shutdown(self) -> None:
        await self.pool.close()
        if self._own_transport and isinstance(self.transport, LeanTransport | AiohttpTransport):
            await self.transport.close()
        if self._backend_up:
            try:
                await self.backend.flush()
            except Exception as exc:
                log.error("usage records not flushed at shutdown: %s", exc)
            finally:
                await self.backend.close()
        self._started = self._backend_up = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            route = API_ROUTES.get(scope["path"])
            if route is not None:
                await self._api(route, scope, receive, send)
            else:
                await self._plain(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif self.fallback is not None:
            await self.fallback(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except StoreError as exc:  # keep serving: requests answer 503 until it is back
                    log.error("record store unavailable at start-up: %s", exc)
                except Exception as exc:
                    log.exception("gateway start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # ------------------------------------------------------------------ /v1
    async def _api(
        self, route: tuple[str, str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        endpoint, method = route
        ex = Exchange(endpoint=endpoint)
        started = withheld = False

        async def tracked(message: Message) -> None:
            nonlocal started, withheld
            if withheld:  # the record could not be kept: nothing of this answer goes out
                raise AnswerWithheldError
            if message["type"] == "http.response.start":
                ex.status = message["status"]
                started = True
                if not await record_before_release(self.backend, ex, message, send):
                    withheld = True
                    return
            await send(message)

        minors = None
        try:
            if scope["method"] != method:
                raise GatewayError(
                    405,
                    f"Use {method} for {scope['path']}.",
                    code="method_not_allowed",
                    decision="invalid",
                )
            headers: list[tuple[bytes, bytes]] = scope["headers"]
            _check_length(headers, self.settings.gateway.max_body_bytes)
            await self.startup()
            if self._writable is not None:
                self._writable()
            peer = scope.get("client")
            ex.account, minors = await admit(
                self.backend,
                headers,
                require_key=self.settings.gateway.require_api_key,
                agreement_url=self.settings.gateway.agreement_url,
                client=peer[0] if peer else None,
            )
            ex.remind_rest = bool(minors and minors.remind_rest)
            notice = standing(ex.account)
            if notice is not None:  # warned or restricted: served, and told so
                ex.hegui["account"] = notice
            if endpoint == "models":
                await list_models(self, tracked)
                return
            raw = await _read_body(receive, self.settings.gateway.max_body_bytes)
            doc = parse_body(raw)
            if endpoint in ("chat", "completions"):
                await generate(self, ex, doc, raw, endpoint, tracked, receive)
            elif endpoint == "moderations":
                await moderations(self, ex, doc, tracked)
            else:
                await images(self, ex, doc, tracked)
        except _ClientGoneError:
            ex.decision, ex.status = "client_closed", 499
        except AnswerWithheldError:
            pass  # answered 503 by record_before_release
        except Exception as exc:
            err = to_gateway_error(exc)
            if err.status >= 500 and not isinstance(exc, GatewayError):
                log.error(
                    "%s failed: %s: %s",
                    endpoint,
                    type(exc).__name__,
                    exc,
                    exc_info=err.status == 500,
                )
            ex.decision = err.decision
            if started:
                log.warning("%s: error after the response started: %s", endpoint, err.message)
            else:
                ex.status = err.status
                await send_bytes(send, err.status, err.body(), [*JSON_HEADERS, *err.headers])
        finally:
            await self._finish(ex, minors)

    async def _finish(self, ex: Exchange, minors: MinorsDecision | None) -> None:
        elapsed = time.perf_counter() - ex.started
        self.metrics.request(ex.endpoint, ex.status, ex.decision, elapsed)
        backend = self.backend
        try:
            if minors is not None and ex.account is not None:
                await backend.minors_add_usage(
                    ex.account, elapsed, datetime.now(UTC), reservation=minors.reservation
                )
            if not ex.recorded:  # errors, client gone, a stream's final record
                await backend.record_usage(ex.usage_record())
        except Exception as exc:
            log.error("usage record not written: %s: %s", type(exc).__name__, exc)

    # ------------------------------------------------------------------ other paths
    async def _plain(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path == "/healthz":
            await send_bytes(send, 200, b'{"status":"ok"}', JSON_HEADERS)
        elif path == "/readyz":
            await self._ready(send)
        elif path == "/metrics":
            for up in self.pool.upstreams:
                self.metrics.circuit_open[up.spec.url] = 1 if up.breaker.state == "open" else 0
            await send_bytes(
                send,
                200,
                self.metrics.render() + usage_metrics(self.backend),
                [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8")],
            )
        elif self.fallback is not None:
            await self.fallback(scope, receive, send)
        else:
            err = GatewayError(404, f"Unknown path {path}.", code="not_found")
            await send_bytes(send, 404, err.body(), JSON_HEADERS)

    async def _ready(self, send: Send) -> None:
        checks: dict[str, bool] = {}
        try:
            await self.startup()
            checks["store"] = await self.backend.ready()
        except Exception:
            checks["store"] = False
        ups = self.pool.upstreams
        checks["upstream"] = not ups or any(u.healthy and u.breaker.state != "open" for u in ups)
        ok = all(checks.values())
        body = orjson.dumps({"status": "ok" if ok else "unavailable", "checks": checks})
        await send_bytes(send, 200 if ok else 503, body, JSON_HEADERS)


def _check_length(headers: list[tuple[bytes, bytes]], limit: int) -> None:
    for name, value in headers:
        if name == b"content-length":
            try:
                size = int(value)
            except ValueError:
                raise GatewayError(
                    400, "Invalid Content-Length header.", decision="invalid"
                ) from None
            if size > limit:
                raise _too_large(limit)
            return


def _too_large(limit: int) -> GatewayError:
    return GatewayError(
        413,
        f"Request body is larger than {limit} bytes.",
        code="request_too_large",
        decision="invalid",
    )


async def _read_body(receive: Receive, limit: int) -> bytes:
    first = await receive()
    if first["type"] == "http.disconnect":
        raise _ClientGoneError
    body: bytes = first.get("body", b"")
    if not first.get("more_body"):
        if len(body) > limit:
            raise _too_large(limit)
        return body
    parts = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGoneError
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


def _own_transport(g: GatewaySettings) -> Transport:
    """The upstream client the settings name (``gateway.upstream_client``)."""
    kind = LeanTransport if g.upstream_client == "lean" else AiohttpTransport
    return kind(
        limit=g.pool_connections,
        keepalive_s=g.upstream_keepalive,
        connect_timeout=g.connect_timeout,
    )


def create_app(
    settings: Settings | None = None,
    backend: GatewayBackend | None = None,
    engine: Checker | None = None,
    transport: Transport | None = None,
    fallback: ASGIApp | None = None,
) -> Gateway:
    """The gateway ASGI app; the store backend and the engine default to the configured ones.

    ``fallback`` receives every request outside the gateway's paths (the portal and console).
    """
    if settings is None:
        from hegui.config import load_settings

        settings = load_settings()
    if backend is None:
        from hegui.ops.backend import StoreBackend

        backend = StoreBackend(settings)
    if engine is None:
        from hegui.safety.engine import Engine

        engine = Engine.from_settings(settings.engine)
        engine.warm_up()
    return Gateway(settings, backend, engine, transport, fallback)


# Measured on the benchmark's load (~12,000 requests, c=64 then c=1): at Python's default
# (700, 10, 10) the serving process ran ~27 collections per 1,000 requests, ~18 µs per request in
# all, full passes of up to 31 ms; at these, ~0.35 per 1,000 requests, ~2 µs per request.
GC_THRESHOLDS = (20_000, 20, 20)


def tune_gc() -> None:
    """GC settings for a serving process: call once the app is built, before serving."""
    import gc

    gc.collect()
    gc.freeze()  # the engine's tables are permanent: keep them out of every GC pass
    gc.set_threshold(*GC_THRESHOLDS)


def app_factory() -> Gateway:
    """``uvicorn --factory hegui.gateway.app:app_factory`` (settings from hegui.toml / HEGUI_*)."""
    app = create_app()
    tune_gc()
    return app
