"""No answer leaves before its usage record is durable (Art. 11/14 records; issue 10).

The gateway calls :func:`record_before_release` when a response is about to start. A complete
answer's record is journaled then (``record_usage``); a stream's record is journaled as
provisional (``record_provisional``, when the backend has it) and replaced by the final one when
the stream ends, so a crash mid-stream still leaves the record of what was released. When the
record cannot be kept, the client gets ``503 store_unavailable`` instead of the answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hegui.gateway.backend import GatewayBackend
from hegui.gateway.errors import to_gateway_error
from hegui.gateway.exchange import Exchange
from hegui.gateway.responses import JSON_HEADERS, send_bytes

__all__ = ["record_before_release", "usage_metrics"]

log = logging.getLogger("hegui.gateway")

Send = Callable[[dict[str, Any]], Awaitable[None]]


def _is_stream(start: dict[str, Any]) -> bool:
    for name, value in start.get("headers", ()):
        if name.lower() == b"content-type":
            return bytes(value).startswith(b"text/event-stream")
    return False


async def record_before_release(
    backend: GatewayBackend, ex: Exchange, start: dict[str, Any], send: Send
) -> bool:
    """Journal the request's record before ``start`` is sent; False (and a 503 sent) if it
    could not be journaled."""
    try:
        if _is_stream(start):
            provisional = getattr(backend, "record_provisional", None)
            if provisional is not None:
                await provisional(ex.usage_record())
        else:
            await backend.record_usage(ex.usage_record())
            ex.recorded = True
    except Exception as exc:
        log.error("answer withheld: usage record not kept: %s: %s", type(exc).__name__, exc)
        err = to_gateway_error(exc)
        ex.decision, ex.status = err.decision, err.status
        ex.recorded = False
        await send_bytes(send, err.status, err.body(), [*JSON_HEADERS, *err.headers])
        return False
    return True


def usage_metrics(backend: GatewayBackend) -> bytes:
    """Prometheus lines for the usage log (backlog, writer, quarantined rows), when the backend
    has one."""
    status_of = getattr(backend, "usage_status", None)
    if status_of is None:
        return b""
    st = status_of()
    lines = [
        "# HELP hegui_usage_backlog_records Usage records journaled, not yet in the database.",
        "# TYPE hegui_usage_backlog_records gauge",
        f"hegui_usage_backlog_records {int(st.get('backlog_records', 0))}",
        "# HELP hegui_usage_backlog_bytes Bytes of usage journal not yet in the database.",
        "# TYPE hegui_usage_backlog_bytes gauge",
        f"hegui_usage_backlog_bytes {int(st.get('backlog_bytes', 0))}",
        "# HELP hegui_usage_writer_up 1 while the usage writer runs.",
        "# TYPE hegui_usage_writer_up gauge",
        f"hegui_usage_writer_up {1 if st.get('writer') else 0}",
        "# HELP hegui_usage_quarantined_total Usage records the database refused, quarantined.",
        "# TYPE hegui_usage_quarantined_total counter",
        f"hegui_usage_quarantined_total {int(st.get('quarantined', 0))}",
    ]
    return ("\n".join(lines) + "\n").encode()
