"""The ASGI types every gateway module speaks, in one leaf module that imports nothing of hegui.

Kept apart from :mod:`hegui.gateway.app` so a handler can name ``Send`` without importing the app
(and the app importing the handler back).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["ASGIApp", "Message", "Receive", "Scope", "Send"]

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
