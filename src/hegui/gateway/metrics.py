"""Prometheus metrics of one gateway app, cheap enough for the hot path.

prometheus_client's own Counter/Histogram take a lock and walk label dicts on every update
(~5–20 µs each); the gateway updates several per request, so it keeps plain counters here and
hands them to prometheus_client only when ``/metrics`` is scraped (a custom collector). Each app
has its own registry, so several apps (tests, workers) never collide. The plain state can be
dumped and summed (:meth:`GatewayMetrics.state`, :meth:`GatewayMetrics.merged`), which is how
``--workers N`` shows totals over all workers (:mod:`hegui.gateway.metrics_share`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

__all__ = ["GatewayMetrics", "Histogram"]

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    120,
)
CHECK_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5)


class Histogram:
    """Per-bucket counts (not cumulative) plus sum; cumulated at scrape time."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, int]]:
        out, acc = [], 0
        for bound, n in zip((*self.bounds, float("inf")), self.counts, strict=True):
            acc += n
            out.append(("+Inf" if bound == float("inf") else repr(float(bound)), acc))
        return out


class GatewayMetrics:
    """Counters the gateway bumps; rendered in the Prometheus text format on demand."""

    def __init__(self, *, process: bool = True) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.moderation: dict[str, Histogram] = {}
        self.upstream_errors: dict[tuple[str, str], int] = {}
        self.stream_stops: dict[str, int] = {}
        self.circuit_open: dict[str, int] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)
        if process:  # process_cpu_seconds_total, process_resident_memory_bytes, open fds, …
            ProcessCollector(registry=self.registry)

    def state(self) -> dict[str, Any]:
        """Everything counted so far, as plain JSON-able data."""
        return {
            "requests": [[*k, n] for k, n in self.requests.items()],
            "latency": {k: [h.counts, h.total] for k, h in self.latency.items()},
            "moderation": {k: [h.counts, h.total] for k, h in self.moderation.items()},
            "upstream_errors": [[*k, n] for k, n in self.upstream_errors.items()],
            "stream_stops": dict(self.stream_stops),
            "circuit_open": dict(self.circuit_open),
        }

    @classmethod
    def merged(cls, states: Iterable[dict[str, Any]]) -> GatewayMetrics:
        """The sum of several workers' :meth:`state` (gauges: the highest value)."""
        out = cls(process=False)
        for st in states:
            for *key, n in st.get("requests", ()):
                k = (str(key[0]), str(key[1]), str(key[2]))
                out.requests[k] = out.requests.get(k, 0) + int(n)
            for attr, bounds in (("latency", LATENCY_BUCKETS), ("moderation", CHECK_BUCKETS)):
                hists: dict[str, Histogram] = getattr(out, attr)
                for name, (counts, total) in st.get(attr, {}).items():
                    h = hists.get(name)
                    if h is None:
                        h = hists[name] = Histogram(bounds)
                    if len(counts) == len(h.counts):
                        h.counts = [a + int(b) for a, b in zip(h.counts, counts, strict=True)]
                        h.total += float(total)
            for up, kind, n in st.get("upstream_errors", ()):
                out.upstream_errors[(up, kind)] = out.upstream_errors.get((up, kind), 0) + int(n)
            for reason, n in st.get("stream_stops", {}).items():
                out.stream_stops[reason] = out.stream_stops.get(reason, 0) + int(n)
            for up, v in st.get("circuit_open", {}).items():
                out.circuit_open[up] = max(out.circuit_open.get(up, 0), int(v))
        return out

    def request(self, endpoint: str, status: int, decision: str, seconds: float) -> None:
        key = (endpoint, str(status), decision)
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.latency.get(endpoint)
        if hist is None:
            hist = self.latency[endpoint] = Histogram(LATENCY_BUCKETS)
        hist.observe(seconds)

    def observe_moderation(self, direction: str, seconds: float) -> None:
        hist = self.moderation.get(direction)
        if hist is None:
            hist = self.moderation[direction] = Histogram(CHECK_BUCKETS)
        hist.observe(seconds)

    def upstream_error(self, upstream: str, kind: str) -> None:
        key = (upstream, kind)
        self.upstream_errors[key] = self.upstream_errors.get(key, 0) + 1

    def stream_stop(self, reason: str) -> None:
        self.stream_stops[reason] = self.stream_stops.get(reason, 0) + 1

    def collect(self) -> Iterator[Metric]:
        c = CounterMetricFamily(
            "hegui_requests",
            "Requests answered, by endpoint, HTTP status and decision.",
            labels=["endpoint", "status", "decision"],
        )
        for key, n in sorted(self.requests.items()):
            c.add_metric(list(key), n)
        yield c
        h = HistogramMetricFamily(
            "hegui_request_seconds",
            "Gateway time per request (streams: until the last byte).",
            labels=["endpoint"],
        )
        for name, hist in sorted(self.latency.items()):
            h.add_metric([name], hist.buckets(), hist.total)
        yield h
        m = HistogramMetricFamily(
            "hegui_moderation_seconds", "Engine time per check.", labels=["direction"]
        )
        for name, hist in sorted(self.moderation.items()):
            m.add_metric([name], hist.buckets(), hist.total)
        yield m
        u = CounterMetricFamily(
            "hegui_upstream_errors",
            "Upstream failures by upstream and kind.",
            labels=["upstream", "kind"],
        )
        for (upstream, kind), n in sorted(self.upstream_errors.items()):
            u.add_metric([upstream, kind], n)
        yield u
        s = CounterMetricFamily(
            "hegui_stream_stops",
            "Streams stopped mid-way, by reason (block, refuse, failed, upstream).",
            labels=["reason"],
        )
        for reason, n in sorted(self.stream_stops.items()):
            s.add_metric([reason], n)
        yield s
        g = GaugeMetricFamily(
            "hegui_upstream_circuit_open",
            "1 while an upstream's circuit breaker is open.",
            labels=["upstream"],
        )
        for up, v in sorted(self.circuit_open.items()):
            g.add_metric([up], v)
        yield g

    def render(self) -> bytes:
        return generate_latest(self.registry)
