"""Per-request context for every HTTP request: the request id, the response header, the access log.

Pure ASGI (no ``call_next``): sets the request id for the request's task, adds ``x-request-id``
to the response head, and writes one access line when the request ends, whatever the path
(gateway routes, probes, portal and console alike). A request cancelled at shutdown ends with a
warning line, not a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hegui.gateway.logging_setup import log_access
from hegui.gateway.request_id import HEADER, accept_or_new, reset_request_id, set_request_id

__all__ = ["traced"]

log = logging.getLogger("hegui.gateway")

Message = dict[str, Any]
Handler = Callable[
    [dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


async def traced(
    handler: Handler,
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
    *,
    access_log: bool = True,
) -> None:
    rid = accept_or_new(scope["headers"])
    token = set_request_id(rid)
    header = (HEADER, rid.encode("ascii"))
    status = 0
    t0 = time.perf_counter()

    async def send_with_id(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            message = {**message, "headers": [*message.get("headers", ()), header]}
        await send(message)

    try:
        await handler(scope, receive, send_with_id)
    except asyncio.CancelledError:
        # Only uvicorn cancels a request task: at shutdown, after the graceful timeout. One line
        # says so; re-raising would print a raw traceback per request ("Exception in ASGI app").
        status = status or 503
        log.warning("%s %s cancelled: server shutting down", scope["method"], scope["path"])
    except BaseException:
        status = status or 500
        raise
    finally:
        if access_log:
            # 499: the client went away before any answer was started
            log_access(scope["method"], scope["path"], status or 499, time.perf_counter() - t0)
        reset_request_id(token)
