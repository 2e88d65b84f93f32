"""gateway room: the OpenAI-compatible compliance proxy (see docs/gateway.md).

Import from here: ``create_app``, ``Gateway``, ``GatewayError``, ``StreamModerator``,
``StreamStopError``, ``SSEParser``, ``UpstreamPool``, ``FunctionTransport``. Nothing is imported
at package import (``hegui --help`` and ``hegui check`` stay fast); names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.gateway.app import Gateway, create_app
    from hegui.gateway.errors import GatewayError, StreamStopError
    from hegui.gateway.stream import StreamModerator
    from hegui.gateway.upstream.pool import UpstreamPool
    from hegui.gateway.upstream.sse import SSEParser
    from hegui.gateway.upstream.transport import FunctionTransport

__all__ = [
    "FunctionTransport",
    "Gateway",
    "GatewayError",
    "SSEParser",
    "StreamModerator",
    "StreamStopError",
    "UpstreamPool",
    "create_app",
]

_HOME = {
    "FunctionTransport": "upstream.transport",
    "Gateway": "app",
    "GatewayError": "errors",
    "SSEParser": "upstream.sse",
    "StreamModerator": "stream",
    "StreamStopError": "errors",
    "UpstreamPool": "upstream.pool",
    "create_app": "app",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"hegui.gateway.{_HOME[name]}"), name)
    raise AttributeError(f"module 'hegui.gateway' has no attribute {name!r}")
