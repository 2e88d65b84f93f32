"""The gateway as one raw ASGI app: a small dispatcher, one error mapping, one record per request.

No framework on the hot path (Starlette/FastAPI cost 0.15–0.3 ms per request here). Per-request
state lives in an :class:`Exchange` created inside ``__call__``; the app object only holds what
is shared and safe to share (engine, upstream pool, backend, metrics).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from hegui.errors import StoreError
from hegui.gateway.access import admit, identify, standing
from hegui.gateway.asgi import ASGIApp, Message, Receive, Scope, Send
from hegui.gateway.backend import GatewayBackend
from hegui.gateway.body import check_length, read_body
from hegui.gateway.chat import generate
from hegui.gateway.cors import Cors
from hegui.gateway.embeddings import embeddings
from hegui.gateway.end_user import end_user_id
from hegui.gateway.endpoints import images, list_models, moderations
from hegui.gateway.errors import (
    AnswerWithheldError,
    ClientGoneError,
    GatewayError,
    UpstreamLostError,
    to_gateway_error,
)
from hegui.gateway.exchange import Exchange
from hegui.gateway.gc_tuning import tune_gc
from hegui.gateway.hegui_apis import hegui_apis
from hegui.gateway.image_fetch import ImageFetcher
from hegui.gateway.labels import TextLabeler
from hegui.gateway.logging_setup import stop_batching
from hegui.gateway.metrics import GatewayMetrics
from hegui.gateway.metrics_http import MetricsEndpoint
from hegui.gateway.moderation import Checker, Moderation
from hegui.gateway.probes import Readiness, upstream_health
from hegui.gateway.records import record_before_release, usage_metrics
from hegui.gateway.request_id import reset_request_id, set_request_id
from hegui.gateway.responses import JSON_HEADERS, send_bytes, send_error
from hegui.gateway.responses_api import responses
from hegui.gateway.schema import parse_body
from hegui.gateway.services import Services
from hegui.gateway.tracing import traced
from hegui.gateway.upstream.aiohttp_client import AiohttpTransport
from hegui.gateway.upstream.clients import own_transport
from hegui.gateway.upstream.lean import LeanTransport
from hegui.gateway.upstream.pool import UpstreamPool
from hegui.gateway.upstream.spec import parse_upstream
from hegui.gateway.upstream.transport import Transport
from hegui.ops.records import MinorsDecision

if TYPE_CHECKING:
    from hegui.config import Settings

__all__ = [
    "Gateway",
    "app_factory",
    "create_app",
    "tune_gc",
]

log = logging.getLogger("hegui.gateway")

# path → (endpoint name, method)
API_ROUTES: dict[str, tuple[str, str]] = {
    "/v1/chat/completions": ("chat", "POST"),
    "/v1/completions": ("completions", "POST"),
    "/v1/embeddings": ("embeddings", "POST"),
    "/v1/images/generations": ("images", "POST"),
    "/v1/moderations": ("moderations", "POST"),
    "/v1/models": ("models", "GET"),
    "/v1/responses": ("responses", "POST"),
}


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
            offload_chars=g.offload_check_chars,
            threads=g.check_threads,
        )
        self._own_transport = transport is None
        self.transport: Transport = transport or own_transport(g)
        key = g.upstream_api_key.get_secret_value() if g.upstream_api_key else None
        self.pool = UpstreamPool(
            [parse_upstream(u) for u in g.upstreams],
            self.transport,
            retries=g.upstream_retries,
            timeout=g.upstream_timeout,
            first_byte_timeout=g.first_byte_timeout,
            breaker_threshold=g.breaker_failures,
            breaker_reset_s=g.breaker_reset_seconds,
            health_interval=g.health_interval,
            api_key=key,
            on_error=self.metrics.upstream_error,
            # Upstreams with their own proxy or TLS settings get a client of their own; a
            # transport handed in (tests) serves them all.
            transport_for=(lambda opts: own_transport(g, opts)) if transport is None else None,
        )
        self.labeler = TextLabeler(g, settings.labeling)
        # Images answered by URL: a client of their own (a transport handed in serves them too).
        self.images = ImageFetcher(g, None if transport is None else self.transport)
        self.services = Services(
            moderation=self.moderation,
            labeler=self.labeler,
            pool=self.pool,
            transport=self.transport,
            images=self.images,
            metrics=self.metrics,
            backend=backend,
            gateway=g,
            labeling=settings.labeling,
            store_content=settings.store.store_content,
            count_output_violations=settings.sanctions.count_output_violations,
            stream_window=max(g.stream_window_chars, self.moderation.max_term_length),
            stream_step=g.stream_release_step,
            stream_hold=g.stream_hold,
            unchecked_fields=frozenset(g.unchecked_fields),
        )
        self.access_log = settings.logging.access_log
        self.cors = Cors.build(g)  # None: off (the default), no CORS headers at all
        self.readiness = Readiness()
        self.readiness.register("upstreams", lambda: upstream_health(self.pool))
        self.readiness.register("store", self._store_health)
        extra = getattr(backend, "health_checks", None)  # e.g. the usage writer: alive, backlog
        if callable(extra):
            for name, fn in extra().items():
                self.readiness.register(name, fn)
        self.metrics_endpoint = MetricsEndpoint(self.metrics, self.pool, settings.metrics)
        self.metrics_endpoint.extra.append(lambda: usage_metrics(self.backend))
        self._started = False
        self._backend_up = False
        self._last_attempt = -10.0
        self._start_lock: asyncio.Lock | None = None

    # ------------------------------------------------------------------ lifecycle
    async def startup(self) -> None:
        if self._started:
            return
        token = set_request_id(None)  # tasks started here outlive the request that got here
        try:
            await self._startup()
        finally:
            reset_request_id(token)

    async def _startup(self) -> None:
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
            await self.metrics_endpoint.start()
            self._started = True

    async def shutdown(self) -> None:
        await self.metrics_endpoint.close()
        await self.pool.close()
        self.moderation.close()
        if self._own_transport and isinstance(self.transport, LeanTransport | AiohttpTransport):
            await self.transport.close()
        await self.images.close()
        if self._backend_up:
            try:
                await self.backend.flush()
            except Exception as exc:
                log.error("usage records not flushed at shutdown: %s", exc)
            finally:
                await self.backend.close()
        self._started = self._backend_up = False
        stop_batching()  # the process may end without atexit: no log line waits in a batch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await traced(self._route, scope, receive, send, access_log=self.access_log)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif self.fallback is not None:
            await self.fallback(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = API_ROUTES.get(scope["path"])
        if route is not None:
            if self.cors is not None:
                cors_send = await self.cors.admit(scope, send, route[1])
                if cors_send is None:  # a preflight, answered
                    return
                send = cors_send
            await self._api(route, scope, receive, send)
        else:
            await self._plain(scope, receive, send)

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
            check_length(headers, self.settings.gateway.max_body_bytes)
            await self.startup()
            if self._writable is not None:
                self._writable()
            peer = scope.get("client")
            app = await identify(
                self.backend,
                headers,
                require_key=self.settings.gateway.require_api_key,
                client=peer[0] if peer else None,
            )
            raw, doc = b"", None
            if endpoint != "models":  # the body may name the end user (its 'user' field)
                raw = await read_body(receive, self.settings.gateway.max_body_bytes)
                doc = parse_body(raw)
            ex.account, minors = await admit(
                self.backend,
                app,
                agreement_url=self.settings.gateway.agreement_url,
                end_user=end_user_id(headers, doc, self.settings.end_users),
                own_agreement=self.settings.end_users.own_agreement,
            )
            ex.remind_rest = bool(minors and minors.remind_rest)
            notice = standing(ex.account)
            if notice is not None:  # warned or restricted: served, and told so
                ex.hegui["account"] = notice
            if doc is None:
                await list_models(self.services, tracked)
                return
            if endpoint in ("chat", "completions"):
                await generate(self.services, ex, doc, raw, endpoint, tracked, receive)
            elif endpoint == "responses":
                await responses(self.services, ex, doc, tracked, receive)
            elif endpoint == "embeddings":
                await embeddings(self.services, ex, doc, tracked)
            elif endpoint == "moderations":
                await moderations(self.services, ex, doc, tracked)
            else:
                await images(self.services, ex, doc, tracked)
        except ClientGoneError:
            ex.decision, ex.status = "client_closed", 499
        except AnswerWithheldError:
            pass  # answered 503 by record_before_release
        except Exception as exc:
            err = to_gateway_error(exc)
            if err.status >= 500 and not isinstance(exc, GatewayError | UpstreamLostError):
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
                await send_error(send, err)
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
        elif path == "/metrics" and self.metrics_endpoint.on_api_port:
            await self.metrics_endpoint.answer(scope["headers"], send)
        elif self.fallback is not None:
            await self.fallback(scope, receive, send)
        else:
            await send_error(send, GatewayError(404, f"Unknown path {path}.", code="not_found"))

    async def _ready(self, send: Send) -> None:
        ready, doc = await self.readiness.report()
        await send_bytes(send, 200 if ready else 503, orjson.dumps(doc), JSON_HEADERS)

    async def _store_health(self) -> dict[str, object]:
        try:
            await self.startup()
            return {"ok": await self.backend.ready()}
        except Exception as exc:
            return {"ok": False, "error": type(exc).__name__}


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
    if fallback is None and settings.console.enabled:  # portal + console over the same store
        from hegui.console.app import attach

        engine, fallback = attach(settings, backend, engine)
    return Gateway(settings, backend, engine, transport, hegui_apis(settings, backend, fallback))


def app_factory() -> Gateway:
    """``uvicorn --factory hegui.gateway.app:app_factory`` (settings from hegui.toml / HEGUI_*)."""
    from hegui.config import load_settings
    from hegui.gateway.logging_setup import configure_logging

    settings = load_settings()
    configure_logging(
        settings.logging.level, settings.logging.format, interval=settings.logging.batch_seconds
    )  # in each worker process
    app = create_app(settings)
    tune_gc()
    return app
