"""``/readyz``: what the gateway needs to serve, each part reported on its own.

A component is a name and a health function (sync or async) returning a mapping with at least
``"ok": bool`` and any detail worth showing (counts, states; never addresses or secrets). The
gateway registers ``upstreams`` and ``store``; a backend that has more to report (the usage
writer: alive, backlog) offers them through an optional ``health_checks()`` method returning
``{name: function}``, or anything can call :meth:`Readiness.register`. Ready means every
component is ok; the answer is 200 then, 503 otherwise, with the same JSON body::

    {"status": "unavailable",
     "components": {"upstreams": {"status": "ok", "configured": 2, "available": 1, ...},
                    "store": {"status": "ok"},
                    "usage_writer": {"status": "unavailable", "alive": false, "backlog": 12}}}
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.gateway.upstream.pool import UpstreamPool

__all__ = ["HealthFn", "Readiness", "upstream_health"]

log = logging.getLogger("hegui.gateway")

HealthFn = Callable[[], "Mapping[str, Any] | Awaitable[Mapping[str, Any]]"]


class Readiness:
    """Named health functions, asked together with a time limit each."""

    def __init__(self, timeout: float = 3.0) -> None:
        self.timeout = timeout
        self._checks: dict[str, HealthFn] = {}

    def register(self, name: str, fn: HealthFn) -> None:
        """Add (or replace) the component ``name``; its function is called on every probe."""
        self._checks[name] = fn

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """(ready, body) with every component's status and detail."""
        names = list(self._checks)
        results = await asyncio.gather(*(self._ask(n) for n in names))
        components = dict(zip(names, results, strict=True))
        ready = all(c["status"] == "ok" for c in components.values())
        return ready, {"status": "ok" if ready else "unavailable", "components": components}

    async def _ask(self, name: str) -> dict[str, Any]:
        try:
            out = self._checks[name]()
            if inspect.isawaitable(out):
                out = await asyncio.wait_for(out, self.timeout)
            detail = dict(out)
        except TimeoutError:
            return {"status": "unavailable", "error": "health check timed out"}
        except Exception as exc:  # a broken check is a failed check, never "ready"
            log.warning("readiness check %s failed: %s", name, type(exc).__name__)
            return {"status": "unavailable", "error": type(exc).__name__}
        ok = bool(detail.pop("ok", False))
        return {"status": "ok" if ok else "unavailable", **detail}


def upstream_health(pool: UpstreamPool) -> dict[str, Any]:
    """Ready when at least one upstream is configured, healthy and its circuit not open."""
    ups = pool.upstreams
    states = [
        {
            "name": u.name,
            "healthy": u.healthy,
            "circuit": u.breaker.state,
        }
        for u in ups
    ]
    available = sum(1 for u in ups if u.healthy and u.breaker.state != "open")
    out: dict[str, Any] = {
        "ok": available > 0,
        "configured": len(ups),
        "available": available,
        "upstreams": states,
    }
    if not ups:
        out["error"] = "no upstream configured"
    return out
