"""The gateway's branch of hegui's exception tree, and the one OpenAI-style error object.

Every exception the gateway raises on purpose derives from :class:`hegui.errors.HeguiError`::

    HeguiError                   (hegui.errors)
    ├── GatewayError             answered to the client: a status and an OpenAI error object
    ├── ClientGoneError          the client left before its answer started (recorded as 499)
    ├── StreamStopError          a streamed answer must stop here (its verdict is a violation)
    └── UpstreamError            talking to an upstream model server went wrong
        ├── UpstreamLostError    the connection failed or ended before the answer was complete
        ├── UpstreamBrokeError   the upstream's stream ended abnormally (error event, not JSON)
        └── SSEProtocolError     the upstream's bytes are not a valid UTF-8 event stream

They live here, not in :mod:`hegui.errors`: they carry HTTP statuses and the OpenAI error shape,
which only the gateway speaks, while ``hegui.errors`` is the leaf every room (safety, store, ...)
imports. ``{"error": {"message", "type", "param", "code"}}`` plus, where useful, a ``hegui``
object (risk codes, incident id, agreement link, sanction expiry). Handlers raise
:class:`GatewayError`; :func:`to_gateway_error` maps everything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import orjson

from hegui.errors import (
    AuthThrottledError,
    EngineError,
    HeguiError,
    InputError,
    LabelError,
    StoreError,
)

if TYPE_CHECKING:
    from hegui.safety.types import Verdict

__all__ = [
    "AnswerWithheldError",
    "ClientGoneError",
    "GatewayError",
    "SSEProtocolError",
    "StreamStopError",
    "UpstreamBrokeError",
    "UpstreamError",
    "UpstreamLostError",
    "error_body",
    "to_gateway_error",
    "upstream_failure",
]


class GatewayError(HeguiError):
    """An error answered to the client with ``status`` and an OpenAI error object."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        hegui: dict[str, Any] | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
        decision: str = "error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.hegui = hegui
        self.headers = headers or []
        self.decision = decision

    def body(self) -> bytes:
        return error_body(self.message, self.type, self.code, self.param, self.hegui)


class AnswerWithheldError(HeguiError):
    """Raised into the handler after its answer was replaced by a 503 because its usage record
    could not be kept (stops the generation; nothing more is sent)."""


class ClientGoneError(HeguiError):
    """The client disconnected before its answer was started (recorded as 499, nothing sent)."""


class StreamStopError(HeguiError):
    """Raised by :class:`hegui.gateway.stream.StreamModerator` when a stream must stop here."""

    def __init__(self, verdict: Verdict, channel: Hashable) -> None:
        super().__init__(verdict.error or ",".join(verdict.codes) or "content_filter")
        self.verdict = verdict
        self.channel = channel


class UpstreamError(HeguiError):
    """Talking to an upstream model server went wrong (the client gets a 502)."""


class UpstreamLostError(UpstreamError):
    """The connection to the upstream failed or ended before its answer was complete.

    Raised before the answer head (refused, reset, a stale pooled connection: the pool fails
    over) and while its body is read or streamed (502 ``upstream_disconnected``).
    ``before_bytes``: nothing of the answer had arrived, so the request may be sent again.
    """

    def __init__(self, message: str, *, before_bytes: bool = True) -> None:
        super().__init__(message)
        self.before_bytes = before_bytes


class UpstreamBrokeError(UpstreamError):
    """The upstream's stream ended abnormally (an error event, an event that is not JSON)."""


class SSEProtocolError(UpstreamError, ValueError):
    """The upstream sent bytes that are not a valid UTF-8 event stream."""


def error_body(
    message: str,
    type: str,
    code: str | None = None,
    param: str | None = None,
    hegui: dict[str, Any] | None = None,
) -> bytes:
    err: dict[str, Any] = {"message": message, "type": type, "param": param, "code": code}
    doc: dict[str, Any] = {"error": err}
    if hegui:
        doc["hegui"] = hegui
    return orjson.dumps(doc)


def upstream_failure(status: int, data: bytes) -> GatewayError:
    """An upstream's non-200 answer: its own OpenAI error for 4xx, 502 for anything else."""
    err = None
    try:
        doc = orjson.loads(data)
        err = doc.get("error") if isinstance(doc, dict) else None
    except orjson.JSONDecodeError:
        pass
    if 400 <= status < 500 and isinstance(err, dict):
        return GatewayError(
            status,
            str(err.get("message") or "upstream rejected the request"),
            type=str(err.get("type") or "invalid_request_error"),
            code=err.get("code") if isinstance(err.get("code"), str) else None,
            param=err.get("param") if isinstance(err.get("param"), str) else None,
            decision="upstream_error",
        )
    return GatewayError(
        502,
        f"upstream answered HTTP {status}",
        type="upstream_error",
        code="upstream_error",
        decision="upstream_error",
    )


def to_gateway_error(exc: BaseException) -> GatewayError:
    """Map any exception met while serving a request to the error the client receives."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, InputError):
        return GatewayError(400, str(exc), code="invalid_request")
    if isinstance(exc, AuthThrottledError):
        return GatewayError(
            429,
            str(exc),
            type="rate_limit_error",
            code="auth_throttled",
            headers=[(b"retry-after", str(max(1, round(exc.retry_after))).encode())],
            decision="unauthorized",
        )
    if isinstance(exc, StoreError):
        return GatewayError(
            503,
            "record store unavailable; request not served",
            type="service_unavailable",
            code="store_unavailable",
        )
    if isinstance(exc, EngineError):
        return GatewayError(
            503,
            "moderation failed; request not served",
            type="service_unavailable",
            code="moderation_failed",
            decision="failed",
        )
    if isinstance(exc, LabelError):
        return GatewayError(
            502,
            f"the upstream's answer could not be labelled: {exc}",
            type="upstream_error",
            code="upstream_invalid",
            decision="upstream_error",
        )
    if isinstance(exc, UpstreamLostError):
        return GatewayError(
            502,
            f"upstream connection lost: {exc}",
            type="upstream_error",
            code="upstream_disconnected",
        )
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return GatewayError(
            504, "upstream timed out", type="upstream_error", code="upstream_timeout"
        )
    return GatewayError(500, "internal gateway error", type="server_error", code="internal_error")
