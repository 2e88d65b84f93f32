"""``/metrics``: on the API port behind an optional bearer token, or on a separate address.

``[metrics] token`` makes ``/metrics`` answer 401 without ``Authorization: Bearer <token>``.
``[metrics] bind = "HOST:PORT"`` serves it only there (a small listener each worker opens with
``SO_REUSEPORT``, so any worker can answer; with ``--workers N`` each renders the sum over all
workers, see :mod:`hegui.gateway.metrics_share`); the API port then answers 404 for it.
Labels name upstreams by their configured name, never by URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from hegui.errors import ConfigError
from hegui.gateway.errors import GatewayError
from hegui.gateway.metrics_share import SharedMetrics
from hegui.gateway.responses import send_bytes, send_error

if TYPE_CHECKING:
    from hegui.config import MetricsSettings
    from hegui.gateway.asgi import Send
    from hegui.gateway.metrics import GatewayMetrics
    from hegui.gateway.upstream.pool import UpstreamPool

__all__ = ["MULTIPROC_ENV", "MetricsEndpoint", "parse_bind"]

log = logging.getLogger("hegui.gateway")
MULTIPROC_ENV = "HEGUI_METRICS_DIR"  # set by `hegui serve --workers N` for its workers
CONTENT_TYPE = (b"content-type", b"text/plain; version=0.0.4; charset=utf-8")


def parse_bind(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"metrics.bind must be HOST:PORT: {text!r}")
    return host.strip("[]"), int(port)


class MetricsEndpoint:
    def __init__(
        self, metrics: GatewayMetrics, pool: UpstreamPool, settings: MetricsSettings
    ) -> None:
        self.metrics = metrics
        self.pool = pool  # its circuit breakers are reported as gauges
        self._token = settings.token.get_secret_value().encode() if settings.token else None
        self._bind = parse_bind(settings.bind) if settings.bind else None
        self.on_api_port = self._bind is None
        shared = os.environ.get(MULTIPROC_ENV)
        self.shared = SharedMetrics(Path(shared), metrics, refresh=self._gauges) if shared else None
        self._server: asyncio.AbstractServer | None = None
        # More exposition text appended to every scrape (e.g. the usage log's own figures).
        self.extra: list[Callable[[], bytes]] = []

    async def start(self) -> None:
        if self.shared is not None:
            self.shared.start()
        if self._bind is not None and self._server is None:
            host, port = self._bind
            self._server = await asyncio.start_server(self._serve, host, port, reuse_port=True)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
        if self.shared is not None:
            await self.shared.close()

    def authorized(self, headers: list[tuple[bytes, bytes]]) -> bool:
        if self._token is None:
            return True
        for name, value in headers:
            if name == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(
                    given.strip(), self._token
                )
        return False

    def _gauges(self) -> None:
        m = self.metrics
        for up in self.pool.upstreams:
            m.circuit_open[up.name] = 1 if up.breaker.state == "open" else 0

    def render(self) -> bytes:
        self._gauges()
        text = self.shared.render() if self.shared is not None else self.metrics.render()
        return text + b"".join(fn() for fn in self.extra)

    async def answer(self, headers: list[tuple[bytes, bytes]], send: Send) -> None:
        if not self.authorized(headers):
            err = GatewayError(401, "metrics token required", code="invalid_metrics_token")
            await send_error(send, err, [(b"www-authenticate", b"Bearer")])
            return
        await send_bytes(send, 200, self.render(), [CONTENT_TYPE])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One request per connection: enough for a Prometheus scraper."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status, body, ctype = self._local(head)
            writer.write(
                b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n"
                b"connection: close\r\n\r\n%s" % (status, _REASONS[status], ctype, len(body), body)
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()

    def _local(self, head: bytes) -> tuple[int, bytes, bytes]:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ")
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                headers.append((name.strip().lower(), value.strip()))
        if len(parts) != 3 or parts[0] != b"GET" or parts[1].split(b"?")[0] != b"/metrics":
            return 404, b"not found\n", b"text/plain"
        if not self.authorized(headers):
            return 401, b"metrics token required\n", b"text/plain"
        return 200, self.render(), CONTENT_TYPE[1]


_REASONS: dict[int, bytes] = {200: b"OK", 401: b"Unauthorized", 404: b"Not Found"}
