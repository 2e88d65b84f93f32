"""Metrics summed over ``--workers N`` processes, so counters never go backwards between scrapes.

uvicorn hands each connection to one worker, so a scrape sees one process. Each worker writes
its counters (:meth:`GatewayMetrics.state`) plus its process figures to ``<dir>/<pid>.json``
every second and just before it answers a scrape (written to a temporary file, then renamed:
a reader never sees half a file). Whoever answers ``/metrics`` sums every file. A worker that
died keeps its file for the run, so its counts stay in the totals (as prometheus_client's
multiprocess mode keeps them); its memory and open files are no longer counted. ``hegui serve``
makes the folder per run and removes it when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from hegui.gateway.metrics import GatewayMetrics

__all__ = ["SharedMetrics"]

log = logging.getLogger("hegui.gateway")


class SharedMetrics:
    def __init__(
        self,
        directory: Path,
        metrics: GatewayMetrics,
        interval: float = 1.0,
        refresh: Callable[[], None] | None = None,
    ) -> None:
        self.dir = directory
        self.metrics = metrics
        self.refresh = refresh  # brings gauges (circuit states) up to date before each write
        self.interval = interval
        self.pid = os.getpid()
        self._process = ProcessCollector(registry=None)
        self._task: asyncio.Task[None] | None = None

    def _process_state(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for family in self._process.collect():
            for sample in family.samples:
                out[sample.name] = sample.value
        return out

    def write(self) -> None:
        if self.refresh is not None:
            self.refresh()
        state = self.metrics.state()
        state["pid"] = self.pid
        state["process"] = self._process_state()
        tmp = self.dir / f".{self.pid}.tmp"
        try:
            tmp.write_bytes(orjson.dumps(state))
            os.replace(tmp, self.dir / f"{self.pid}.json")
        except OSError as exc:
            log.warning("metrics not shared with other workers: %s", exc)

    def read_all(self) -> list[dict[str, Any]]:
        states = []
        for path in sorted(self.dir.glob("*.json")):
            try:
                states.append(orjson.loads(path.read_bytes()))
            except (OSError, orjson.JSONDecodeError):
                continue  # removed meanwhile; never half-written (renamed into place)
        return states

    def render(self) -> bytes:
        self.write()
        states = self.read_all()
        registry = CollectorRegistry(auto_describe=False)
        registry.register(GatewayMetrics.merged(states))
        registry.register(_Processes(states))
        return generate_latest(registry)

    def start(self) -> None:
        if self._task is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.write()
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.write()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.write()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Processes:
    """process_* figures over all workers: CPU over every worker that ran, the rest live only."""

    def __init__(self, states: list[dict[str, Any]]) -> None:
        self.states = states

    def collect(self) -> Iterator[Metric]:
        cpu = rss = fds = 0.0
        live = 0
        for st in self.states:
            proc = st.get("process", {})
            cpu += float(proc.get("process_cpu_seconds_total", 0.0))
            if _alive(int(st.get("pid", 0))):
                live += 1
                rss += float(proc.get("process_resident_memory_bytes", 0.0))
                fds += float(proc.get("process_open_fds", 0.0))
        yield CounterMetricFamily(
            "process_cpu_seconds", "CPU seconds of all gateway workers.", value=cpu
        )
        yield GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory of the live workers.", value=rss
        )
        yield GaugeMetricFamily("process_open_fds", "Open files of the live workers.", value=fds)
        yield GaugeMetricFamily("hegui_workers", "Gateway worker processes alive.", value=live)
