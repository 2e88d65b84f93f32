"""Upstream model servers (Art. 13: safe, stable, continuous service).

A pool of OpenAI-compatible upstreams per model: weighted choice, connect-error retries with
failover, a first-byte timeout that fails over too, a circuit breaker per upstream fed only by
what says the upstream is unreachable (connection errors, timeouts, failed health probes: never
an HTTP answer, which a user's content can provoke), periodic health checks that also discover
each upstream's model list, per-upstream keys, headers and model names (``model_map``), and
bounded connection pools whose keep-alive is shorter than common servers' idle timeout (uvicorn:
5 s), so a pooled connection is not reused after the upstream closed it. Everything that touches
the network sits behind :class:`Transport`, one method, so tests can plug in a function
(:class:`hegui.gateway.upstream.transport.FunctionTransport`); an upstream with its own proxy or
TLS settings gets its own transport (``transport_for``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import orjson

from hegui.gateway.errors import GatewayError, UpstreamLostError
from hegui.gateway.upstream.connect import ConnectOptions, environment_proxies
from hegui.gateway.upstream.spec import UpstreamSpec, parse_upstream, route_proxy, route_url
from hegui.gateway.upstream.transport import Transport, UpstreamResponse

__all__ = [
    "CircuitBreaker",
    "Upstream",
    "UpstreamPool",
    "UpstreamSpec",
    "parse_upstream",
]

log = logging.getLogger("hegui.gateway")


class CircuitBreaker:
    """Open after ``threshold`` consecutive failures; after ``reset_s`` let one probe through."""

    __slots__ = ("_opened_at", "_probing", "failures", "reset_s", "threshold")

    def __init__(self, threshold: int = 5, reset_s: float = 10.0) -> None:
        self.threshold = threshold
        self.reset_s = reset_s
        self.failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half_open" if time.monotonic() - self._opened_at >= self.reset_s else "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        self.failures = 0
        self._opened_at = None
        self._probing = False

    def failure(self) -> None:
        self.failures += 1
        self._probing = False
        if self.failures >= self.threshold:
            self._opened_at = time.monotonic()


class Upstream:
    """One upstream server: its breaker, discovered model list, headers and transport."""

    def __init__(
        self,
        spec: UpstreamSpec,
        breaker: CircuitBreaker,
        name: str,
        transport: Transport,
        api_key: str | None = None,
    ) -> None:
        self.spec = spec
        self.name = name  # never the URL: names go where URLs must not (metrics, API errors)
        self.breaker = breaker
        self.transport = transport
        self.discovered: frozenset[str] | None = None
        self.healthy = True
        key = spec.api_key or api_key
        self.headers = {"content-type": "application/json"}
        if key:
            self.headers["authorization"] = f"Bearer {key}"
        self.headers.update(spec.headers)  # configured headers win, Authorization included
        self._urls: dict[str, str] = {}

    @property
    def models(self) -> frozenset[str] | None:
        return self.spec.models if self.spec.models is not None else self.discovered

    def serves(self, model: str) -> bool:
        mapped = self.spec.model_map
        if mapped and (model in mapped or "*" in mapped):
            return True
        models = self.models
        return models is None or model in models

    def upstream_model(self, model: str) -> str:
        """The name sent upstream: mapped explicitly, kept when listed, else the ``*`` default."""
        mapped = self.spec.model_map
        if not mapped:
            return model
        target = mapped.get(model)
        if target is not None:
            return target
        if "*" in mapped:
            models = self.models
            if models is None or model not in models:
                return mapped["*"]
        return model

    def url(self, route: str) -> str:
        url = self._urls.get(route)
        if url is None:
            url = self._urls[route] = route_url(self.spec.url, route)
        return url


class UpstreamPool:
    """Choose, call and watch upstreams. Create inside the event loop that will use it."""

    def __init__(
        self,
        specs: list[UpstreamSpec],
        transport: Transport,
        *,
        retries: int = 2,
        timeout: float = 120.0,
        first_byte_timeout: float = 30.0,
        breaker_threshold: int = 5,
        breaker_reset_s: float = 10.0,
        health_interval: float = 15.0,
        api_key: str | None = None,
        on_error: Callable[[str, str], None] | None = None,
        transport_for: Callable[[ConnectOptions], Transport] | None = None,
    ) -> None:
        self.transport = transport
        self._own: dict[ConnectOptions, Transport] = {}  # made here for upstreams' own settings
        self.upstreams: list[Upstream] = []
        env = environment_proxies()
        for i, s in enumerate(specs):
            name = s.name or f"upstream-{i}"
            _check_route(name, s, env)  # a bad proxy setting stops start-up, not requests
            chosen = transport
            if transport_for is not None and not s.connect.is_default:
                chosen = self._own.get(s.connect) or self._own.setdefault(
                    s.connect, transport_for(s.connect)
                )
            breaker = CircuitBreaker(breaker_threshold, breaker_reset_s)
            self.upstreams.append(Upstream(s, breaker, name, chosen, api_key))
        self.retries = retries
        self.timeout = timeout
        self.first_byte_timeout = first_byte_timeout
        self.health_interval = health_interval
        self._on_error = on_error
        self._task: asyncio.Task[None] | None = None

    def knows(self, model: str) -> bool:
        return any(u.serves(model) for u in self.upstreams)

    def require(self, model: str | None = None) -> None:
        """Raise the client's error when no upstream is configured, or none serves ``model``."""
        if not self.upstreams:
            raise GatewayError(
                503,
                "No upstream model server is configured (hegui serve --upstream URL).",
                type="service_unavailable",
                code="no_upstream",
            )
        if model is not None and not self.knows(model):
            raise GatewayError(
                404,
                f"The model `{model}` does not exist",
                code="model_not_found",
                param="model",
                decision="invalid",
            )

    def model_ids(self) -> list[str]:
        """Models the upstreams list, plus client names their ``model_map`` defines (not ``*``)."""
        names: set[str] = set()
        for u in self.upstreams:
            names.update(u.models or ())
            names.update(m for m in u.spec.model_map if m != "*")
        return sorted(names)

    def _order(self, model: str) -> list[Upstream]:
        """Healthy upstreams serving ``model`` in weighted-random order, unhealthy ones last."""
        if len(self.upstreams) == 1:
            return self.upstreams if self.upstreams[0].serves(model) else []
        cands = [u for u in self.upstreams if u.serves(model)]
        keyed = [(u.healthy, random.random() ** (1.0 / u.spec.weight), u) for u in cands]
        keyed.sort(key=lambda k: (k[0], k[1]), reverse=True)
        return [k[2] for k in keyed]

    async def send(self, model: str, path: str, body: bytes) -> UpstreamResponse:
        """POST ``body`` to ``path`` on an upstream for ``model``, failing over on connect errors
        and on upstreams that send nothing within ``first_byte_timeout``.

        Raises :class:`GatewayError` 502 (all upstreams unreachable or open) or 504 (timeout).
        Messages name upstreams by their configured name, never by address.
        """
        order = self._order(model)
        if not order:
            raise GatewayError(
                404, f"The model `{model}` does not exist", code="model_not_found", param="model"
            )
        attempts = 0
        last = "circuit open"
        slow: set[int] = set()  # upstreams that timed out: not asked again for this request
        bodies: dict[str, bytes] = {model: body}  # the request per upstream model name
        for upstream in _cycle(order, self.retries + 1):
            if id(upstream) in slow or not upstream.breaker.allow():
                continue
            attempts += 1
            sent = body
            if upstream.spec.model_map:  # this upstream may know the model by another name
                target = upstream.upstream_model(model)
                sent = bodies.get(target) or bodies.setdefault(target, _with_model(body, target))
            try:
                resp = await self._request(upstream, path, sent)
            except UpstreamLostError as exc:
                upstream.breaker.failure()
                last = f"{upstream.name}: connection failed"
                self._error(upstream, "connect")
                log.warning("upstream %s connect error: %s", upstream.name, exc)
                continue
            except TimeoutError:
                upstream.breaker.failure()
                slow.add(id(upstream))
                last = f"{upstream.name}: timed out"
                self._error(upstream, "timeout")
                log.warning("upstream %s sent no answer in time", upstream.name)
                continue
            # Any HTTP answer proves the upstream reachable. A 5xx may be caused by the request's
            # content: counted in metrics, but it must not open the breaker for everyone.
            upstream.breaker.success()
            if resp.status >= 500:
                self._error(upstream, f"http_{resp.status}")
            return resp
        if slow:
            raise GatewayError(
                504,
                f"upstream timed out ({last})",
                type="upstream_error",
                code="upstream_timeout",
            )
        raise GatewayError(
            502,
            f"upstream unavailable after {attempts} attempt(s) ({last})",
            type="upstream_error",
            code="upstream_unavailable",
        )

    async def _request(self, upstream: Upstream, path: str, body: bytes) -> UpstreamResponse:
        """The upstream's answer head within ``first_byte_timeout`` (the body may take longer)."""
        call = upstream.transport.request(
            "POST", upstream.url(path), body, upstream.headers, self.timeout
        )
        if self.first_byte_timeout <= 0 or self.first_byte_timeout >= self.timeout:
            return await call
        try:
            return await asyncio.wait_for(call, self.first_byte_timeout)
        except TimeoutError:
            raise TimeoutError("no first byte from the upstream") from None

    def _error(self, upstream: Upstream, kind: str) -> None:
        if self._on_error is not None:
            self._on_error(upstream.name, kind)

    async def check_health(self) -> None:
        """GET {base}/models on every upstream: marks health and refreshes discovered models."""
        await asyncio.gather(*(self._probe(u) for u in self.upstreams))

    async def _probe(self, upstream: Upstream) -> None:
        try:
            resp = await upstream.transport.request(
                "GET", upstream.url("/v1/models"), None, upstream.headers, min(self.timeout, 5.0)
            )
            try:
                data = await resp.read(4 * 1024 * 1024) if resp.status == 200 else b""
            finally:
                resp.close()
        except (UpstreamLostError, TimeoutError) as exc:
            upstream.healthy = False
            upstream.breaker.failure()
            log.warning("upstream %s health check failed: %s", upstream.name, exc)
            return
        upstream.healthy = resp.status < 500
        if upstream.healthy:
            upstream.breaker.success()
        else:
            upstream.breaker.failure()
        try:
            doc = orjson.loads(data) if data else None
            ids = frozenset(str(m["id"]) for m in doc["data"]) if isinstance(doc, dict) else None
        except (orjson.JSONDecodeError, KeyError, TypeError):
            ids = None
        if ids:
            upstream.discovered = ids

    def start(self) -> None:
        if self.health_interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._health_loop())

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.health_interval)
            try:
                await self.check_health()
            except Exception:  # keep watching whatever one probe did
                log.exception("health check loop error")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        for own in self._own.values():
            closer = getattr(own, "close", None)
            if closer is not None:
                await closer()
        self._own.clear()


def _check_route(name: str, spec: UpstreamSpec, env: dict[str, str]) -> None:
    """Resolve the upstream's proxy once (a bad value is a ConfigError) and say what was chosen."""
    proxy = route_proxy(spec, env)
    if spec.assumed_v1:
        log.info("upstream %s: the base URL has no path, so /v1 is used", name)
    if proxy is not None:
        log.info("upstream %s: through the HTTP proxy %s:%d", name, proxy.host, proxy.port)
    if not spec.connect.verify:
        log.warning("upstream %s: TLS certificates are NOT verified (verify = false)", name)


def _with_model(body: bytes, model: str) -> bytes:
    """The request body with ``model`` replaced (only when a ``model_map`` renames it)."""
    try:
        doc: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(doc, dict) or doc.get("model") == model:
        return body
    doc["model"] = model
    return orjson.dumps(doc)


def _cycle(order: list[Upstream], n: int) -> list[Upstream]:
    out: list[Upstream] = []
    while len(out) < n:
        out.extend(order)
    return out[: max(n, len(order))]
